"""The catalog on PostgreSQL (psycopg 3): the same stores as digitize/storage/sqlite/."""
