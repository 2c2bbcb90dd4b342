"""Loan portal core: organisations, users and roles, scoping, audit, masking."""

from .celery import app as celery_app

__all__ = ["celery_app"]
