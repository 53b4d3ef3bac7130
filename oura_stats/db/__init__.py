"""The database mirror: the CSVs' rows, typed as the API types them, in SQLite or PostgreSQL.

`target` parses `--db`, `schema` builds tables and views from the category and field
tables, `sqlite` and `postgres` are the two backends behind `backend.Database`, and
`mirror` keeps the tables level with the CSVs (the CSVs stay the source of truth).
"""
