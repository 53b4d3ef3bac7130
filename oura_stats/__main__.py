"""`python -m oura_stats`."""

from oura_stats.cli import main

raise SystemExit(main())
