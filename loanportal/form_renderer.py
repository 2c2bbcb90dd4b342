"""The portal's form renderer (settings.FORM_RENDERER): Django's own, with the commonest widgets written
directly in Python.

Every filter bar and form on the busy pages renders 5–10 widgets, and each widget through the template engine
(input.html → attrs.html; a select with one include per option) costs about a millisecond: more than the
page's queries. For Django's stock input, select and textarea templates this renderer builds the same HTML
from the same widget context (tests/test_form_renderer.py compares the two outputs widget by widget); any
other template, or a context it does not expect, goes through the template engine as before."""

from django.forms.renderers import DjangoTemplates
from django.utils.functional import Promise
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

_WIDGETS = "django/forms/widgets/"
INPUT_TEMPLATES = frozenset(
    _WIDGETS + name
    for name in (
        "input.html",
        "text.html",
        "number.html",
        "email.html",
        "url.html",
        "password.html",
        "hidden.html",
        "date.html",
        "datetime.html",
        "time.html",
        "search.html",
        "tel.html",
        "color.html",
        "checkbox.html",
    )
)
SELECT_TEMPLATES = frozenset({_WIDGETS + "select.html"})
OPTION_TEMPLATE = _WIDGETS + "select_option.html"
TEXTAREA_TEMPLATE = _WIDGETS + "textarea.html"


class _Unsupported(Exception):
    """The context holds something the template engine would format differently: let it render."""


def _text(value) -> str:
    """`{{ value }}` for the strings widgets hold (str, safe strings, lazy translations)."""
    if isinstance(value, SafeData):
        return str(value)
    if isinstance(value, str | Promise):
        return conditional_escape(str(value))
    raise _Unsupported


def _formatted(value) -> str:
    """`{{ value|stringformat:'s' }}` (the filter keeps a safe string safe)."""
    text = str(value)
    return text if isinstance(value, SafeData) else conditional_escape(text)


def _attrs(attrs: dict) -> str:
    parts = []
    for name, value in attrs.items():
        if value is False:
            continue
        parts.append(
            f" {conditional_escape(name)}"
            if value is True
            else f' {conditional_escape(name)}="{_formatted(value)}"'
        )
    return "".join(parts)


def _input(widget: dict) -> str:
    value = "" if widget["value"] is None else f' value="{_formatted(widget["value"])}"'
    return f'<input type="{_text(widget["type"])}" name="{_text(widget["name"])}"{value}{_attrs(widget["attrs"])}>'


def _option(option: dict) -> str:
    if option.get("template_name") != OPTION_TEMPLATE:
        raise _Unsupported
    return f'<option value="{_formatted(option["value"])}"{_attrs(option["attrs"])}>{_text(option["label"])}</option>'


def _select(widget: dict) -> str:
    parts = [f'<select name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>']
    for group_name, group_choices, _index in widget["optgroups"]:
        if group_name:
            parts.append(f'\n  <optgroup label="{_text(group_name)}">')
        for option in group_choices:
            parts.append("\n  " + _option(option) + "\n")  # select_option.html ends with a new line
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts)


def _textarea(widget: dict) -> str:
    value = widget["value"]
    body = _text(value) if value else ""
    return f'<textarea name="{_text(widget["name"])}"{_attrs(widget["attrs"])}>\n{body}</textarea>'


class PortalFormRenderer(DjangoTemplates):
    def render(self, template_name, context, request=None):
        widget = context.get("widget") if isinstance(context, dict) else None
        if isinstance(widget, dict):
            try:
                if template_name in INPUT_TEMPLATES:
                    return mark_safe(_input(widget))  # noqa: S308 — every part escaped above
                if template_name in SELECT_TEMPLATES:
                    return mark_safe(_select(widget))  # noqa: S308
                if template_name == TEXTAREA_TEMPLATE:
                    return mark_safe(_textarea(widget))  # noqa: S308
            except (_Unsupported, KeyError):
                pass
        return super().render(template_name, context, request=request)
