"""Writes: lifecycle."""
