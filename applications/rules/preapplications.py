"""Pure policy rules: preapplications (no database)."""
