"""Scoped reads: preapplications."""
