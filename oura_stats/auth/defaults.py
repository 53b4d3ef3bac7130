"""What logging in uses unless told otherwise: the variables that name a token and the
credentials file, how long a login waits for the browser's redirect.

Kept apart from the login flow (an HTTP listener, requests) so that the command line can
show them without importing it.
"""

TOKEN_ENV = ("OURA_PERSONAL_ACCESS_TOKEN", "OURA_ACCESS_TOKEN")  # the first one set wins
CREDENTIALS_ENV = "OURA_CREDENTIALS_FILE"
LOGIN_TIMEOUT = 300.0  # seconds
