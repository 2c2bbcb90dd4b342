"""Writes: intake."""
