"""Forms: lifecycle."""
