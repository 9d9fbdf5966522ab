"""Pure file readers: bytes in, rows with per-row problems out (no database)."""
