"""The SQLite implementation of the storage interface: one file, WAL, triggers keeping coverage's counters."""
