"""Which categories freshness judges by default, and after how many hours without new data
one is stale.

Kept apart from `freshness` so that the command line can show them without importing the
CSV readers.
"""

DEFAULT_STALE_HOURS = 36.0
NEVER_STALE = frozenset({"personal_info", "ring_configuration"})
# Filled every day for anyone wearing the ring (Gen2 and later, any membership).
DAILY_BY_NATURE = (
    "daily_activity",
    "daily_readiness",
    "daily_sleep",
    "heartrate",
    "ring_battery_level",
    "sleep",
)
