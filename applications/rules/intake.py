"""Pure policy rules: intake (no database)."""
