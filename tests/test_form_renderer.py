"""loanportal.form_renderer.PortalFormRenderer writes the stock widgets in Python: the HTML must be exactly
what Django's templates write, for every widget kind, value and attribute the portal's forms use."""

import datetime

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates
from django.utils.safestring import mark_safe

from loanportal.form_renderer import PortalFormRenderer


class EveryWidget(forms.Form):
    text = forms.CharField(label="姓名", widget=forms.TextInput(attrs={"placeholder": '"<引号>" & 符号'}))
    number = forms.IntegerField(label="金额", min_value=0, max_value=16000)
    decimal = forms.DecimalField(label="利率", decimal_places=2, max_digits=5)
    email = forms.EmailField(required=False)
    date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    when = forms.DateTimeField(required=False)
    hidden = forms.CharField(widget=forms.HiddenInput, required=False)
    password = forms.CharField(widget=forms.PasswordInput(render_value=True), required=False)
    secret = forms.CharField(widget=forms.PasswordInput, required=False)
    agree = forms.BooleanField(required=False)
    choice = forms.ChoiceField(
        choices=[("", "全部"), ("a", "甲 <1>"), ("b", mark_safe("<b>乙</b>")), (3, 3)], required=False
    )
    grouped = forms.ChoiceField(
        choices=[("", "—"), ("兰州市", [("620123", "榆中县"), ("620122", "皋兰县")]), ("x", "其他")],
        required=False,
    )
    many = forms.MultipleChoiceField(choices=[("1", "一"), ("2", "二")], required=False)
    note = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    flag = forms.NullBooleanField(required=False)
    disabled = forms.CharField(disabled=True, required=False, widget=forms.TextInput(attrs={"data-x": True}))


VALUES = [
    None,  # unbound: initial values
    {
        "text": 'O\'Neil "<script>"',
        "number": "12000",
        "decimal": "3.05",
        "email": "a@b.cn",
        "date": "2026-07-10",
        "when": "2026-07-10 08:30",
        "hidden": "<x>",
        "password": "p&w",
        "secret": "hidden",
        "agree": "on",
        "choice": "b",
        "grouped": "620122",
        "many": ["1", "2"],
        "note": "第一行\n<第二行> & 更多",
        "flag": "true",
        "disabled": "ignored",
    },
    {"number": "not a number", "date": "2026-02-30", "choice": "zzz", "note": ""},
]


@pytest.mark.parametrize("data", VALUES, ids=["unbound", "bound", "invalid"])
def test_every_widget_renders_exactly_as_the_templates(data):
    initial = {"text": "初始", "number": 5000, "date": datetime.date(2026, 9, 1), "agree": True}
    stock = EveryWidget(data, initial=initial, renderer=DjangoTemplates())
    ours = EveryWidget(data, initial=initial, renderer=PortalFormRenderer())
    for name in stock.fields:
        attrs = {"class": "form-control form-control-sm"}
        assert str(ours[name].as_widget(attrs=attrs)) == str(stock[name].as_widget(attrs=attrs)), name
        assert str(ours[name]) == str(stock[name]), name


def test_whole_forms_and_non_stock_templates_still_render(world):
    """A whole form (div.html, labels, errors) goes through the templates, its widgets through the fast
    path, and the result is the same as Django's."""
    from loanportal.forms import StudentSearchForm

    user = world.users.county1_staff
    data = {"q": "甲", "level": "zzz"}
    stock = StudentSearchForm(data, user=user, renderer=DjangoTemplates())
    ours = StudentSearchForm(data, user=user, renderer=PortalFormRenderer())
    assert str(ours) == str(stock)
    assert "<select" in str(ours) and "榆中县" in str(ours)


def test_the_portal_uses_it():
    from django.forms.renderers import get_default_renderer

    assert isinstance(get_default_renderer(), PortalFormRenderer)


class TemplatesForbidden(PortalFormRenderer):
    def get_template(self, template_name):
        raise AssertionError(f"went through the template engine: {template_name}")


def test_the_stock_widgets_never_reach_the_template_engine():
    """The point of the renderer: inputs, selects (with groups, several values) and text areas are built
    without a template; only what it does not know (here a select with a number as a label) falls back."""
    form = EveryWidget(VALUES[1], renderer=TemplatesForbidden())
    for name in form.fields:
        if name == "choice":
            with pytest.raises(AssertionError, match="select.html"):
                str(form[name])
        else:
            assert str(form[name]), name
