"""Writes: preapplications."""
