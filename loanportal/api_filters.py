"""Filtering of the API (django-filter). Kept apart from loanportal.api because REST_FRAMEWORK names
the backend: importing it must not import DRF's generic views."""

import django_filters
from django import forms
from django.db import models
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field


@extend_schema_field({"type": "integer", "description": "记录 id"})
class IdFilter(django_filters.NumberFilter):
    """Filter on a reference by id: any integer (no such record → no rows), not a choice list that
    answers 400 for ids it does not know."""

    field_class = forms.IntegerField


class StrictBooleanField(forms.Field):
    """true/false (or 1/0); empty means "not given"; anything else is a 400, not silently ignored."""

    widget = forms.TextInput

    def to_python(self, value):
        text = str(value).strip().lower() if value is not None else ""
        if text == "":
            return None
        if text in ("true", "1"):
            return True
        if text in ("false", "0"):
            return False
        raise forms.ValidationError("应为 true 或 false", code="invalid")


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class PortalFilterSet(filters.FilterSet):
    """FilterSet of the API: references (foreign keys) filter by integer id (IdFilter); yes/no fields
    take only true/false (StrictBooleanFilter)."""

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if lookup_type == "exact":
            if isinstance(field, models.ForeignKey | models.OneToOneField):
                return IdFilter, {}
            if isinstance(field, models.BooleanField):
                return StrictBooleanFilter, {}
        return super().filter_for_lookup(field, lookup_type)


class PortalFilterBackend(DjangoFilterBackend):
    """DjangoFilterBackend whose generated FilterSets (from `filterset_fields`) are PortalFilterSets."""

    filterset_base = PortalFilterSet


def allow_empty_query_values(result, generator, request, public):
    """drf-spectacular postprocessing hook: every query parameter may be sent empty (`?level=`), which
    django-filter, the ordering and the pagination all read as "not given"; the schema says so."""
    for path in result.get("paths", {}).values():
        for operation in path.values():
            for parameter in operation.get("parameters", []) if isinstance(operation, dict) else []:
                if parameter.get("in") == "query":
                    parameter["allowEmptyValue"] = True
    return result
