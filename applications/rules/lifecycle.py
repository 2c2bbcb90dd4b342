"""Pure policy rules: lifecycle (no database)."""
