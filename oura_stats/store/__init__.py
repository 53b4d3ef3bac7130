"""Everything on disk: flattening, one sorted CSV per category, keys, atomic writes, state.

Knows nothing of HTTP: rows come in from the collector.
"""
