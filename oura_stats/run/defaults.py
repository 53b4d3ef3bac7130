"""The run's settings the command line shows as defaults: requests in flight at once, the
address the health endpoint binds to.

Kept apart from the collector and the service loop so that building the command line
imports neither.
"""

DEFAULT_CONCURRENCY = 4
DEFAULT_HEALTH_HOST = "127.0.0.1"
