"""Scoped reads: intake."""
