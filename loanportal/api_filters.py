"""Filtering of the API (django-filter). Kept apart from loanportal.api because REST_FRAMEWORK names
the backend: importing it must not import DRF's generic views."""

import re

import django_filters
from django import forms
from django.core.validators import ProhibitNullCharactersValidator
from django.db import models
from django_filters import rest_framework as filters
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.utils import extend_schema_field

INTEGER = re.compile(r"-?[0-9]+")


class StrictIntegerField(forms.IntegerField):
    """An integer written as digits (an optional minus). Django's IntegerField reads "2026.0" as 2026 and
    django-filter's NumberFilter any decimal ("0.0", "2.6e-67"): both would answer a query the schema
    calls invalid with rows. Empty means "not given"."""

    default_error_messages = {"invalid": "应为整数（只含数字，如 2026），不能是小数或其他文字"}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        text = str(value)
        if not INTEGER.fullmatch(text):
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid")
        return int(text)


@extend_schema_field({"type": "integer"})
class IntegerFilter(django_filters.NumberFilter):
    """Filter on an integer field (a year, a count): digits only (StrictIntegerField)."""

    field_class = StrictIntegerField


@extend_schema_field({"type": "integer", "description": "记录 id"})
class IdFilter(django_filters.NumberFilter):
    """Filter on a reference by id: any integer (no such record → no rows), not a choice list that
    answers 400 for ids it does not know."""

    field_class = StrictIntegerField


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


class TextFilterField(forms.CharField):
    """A text filter's field: any string, a NUL character too (TextFilter answers it)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.validators = [v for v in self.validators if not isinstance(v, ProhibitNullCharactersValidator)]


class TextFilter(django_filters.CharFilter):
    """Filter on a text field: any string the schema allows. No stored text holds a NUL character
    (PostgreSQL cannot), so a value with one matches no rows — an empty list, not a 400 for a string
    the schema calls valid, and never sent to the database (which would refuse it with a 500)."""

    field_class = TextFilterField

    def filter(self, qs, value):
        if value and "\x00" in value:
            return qs.none()
        return super().filter(qs, value)


TEXT_LOOKUPS = {
    "exact",
    "iexact",
    "contains",
    "icontains",
    "startswith",
    "istartswith",
    "endswith",
    "iendswith",
}


class PortalFilterSet(filters.FilterSet):
    """FilterSet of the API: references (foreign keys) filter by integer id (IdFilter); integer fields
    take only integers (IntegerFilter); text fields any string (TextFilter); yes/no fields take only
    true/false (StrictBooleanFilter)."""

    @classmethod
    def filter_for_lookup(cls, field, lookup_type):
        if lookup_type == "exact":
            if isinstance(field, models.ForeignKey | models.OneToOneField):
                return IdFilter, {}
            if isinstance(field, models.BooleanField):
                return StrictBooleanFilter, {}
            if isinstance(field, models.IntegerField) and not field.choices:
                return IntegerFilter, {}
        text = isinstance(field, models.CharField | models.TextField) and not field.choices
        if text and lookup_type in TEXT_LOOKUPS:
            return TextFilter, {}
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
