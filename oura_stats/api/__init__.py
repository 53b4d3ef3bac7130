"""The Oura API side: the category table, the HTTP client and its pacing, window planning.

Knows nothing of files: the collector hands what it fetches to `oura_stats.store`.
"""
