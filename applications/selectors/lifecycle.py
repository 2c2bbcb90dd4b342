"""Scoped reads: lifecycle."""
