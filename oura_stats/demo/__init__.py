"""A synthetic Oura account: a realistic history for every category (`history`) served by a
local API that behaves like the real one (`server`). The `demo` command and the tests use it."""
