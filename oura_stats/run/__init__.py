"""The run: one round (lock, state, collect, report), the collector and its jobs, the service
loop. The one place that knows the API client and the stores together."""
