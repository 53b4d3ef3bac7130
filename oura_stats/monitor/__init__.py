"""Is it still collecting? Freshness verdicts, `status`, the health endpoint and metrics."""
