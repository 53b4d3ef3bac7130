"""oura-stats: keep your Oura Ring data as one deduplicated CSV file per category."""

__version__ = "0.1.0"
