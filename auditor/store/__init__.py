"""The SQL inventory: versioned, append-only resource history over SQLite or PostgreSQL."""
