"""`python -m oura_stats.cli`."""

from oura_stats.cli.main import main

raise SystemExit(main())
