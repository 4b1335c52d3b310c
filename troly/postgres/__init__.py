"""PostgreSQL, shared by the state store (web) and the index (index): connections, locks, schema, and the
embedded server that tests, CI and a laptop run on. Imports psycopg lazily: the SQLite default never needs it."""
