"""Forms of the pre-application list: search, import upload, manual add, withdraw (notice 三(六))."""

from django import forms
from django.utils import timezone

from loanportal.imports import UPLOAD_FIELD_ERRORS
from loanportal.rules import normalise_id_number, validate_id_number, validate_person_name, validate_phone

from ..models.preapplication import PreApplicationBasis, PreApplicationStatus


def current_year() -> int:
    """The loan year (贷款年度) of today (deadlines.services.current_loan_year, the one function)."""
    from deadlines.services import current_loan_year

    return current_loan_year(timezone.localdate())


def _year_field():
    return forms.IntegerField(
        label="贷款年度",
        min_value=2000,
        max_value=2100,
        initial=current_year,
        widget=forms.NumberInput(attrs={"class": "form-control mw-8rem"}),
    )


class PreApplicationSearchForm(forms.Form):
    q = forms.CharField(label="姓名", required=False, widget=forms.TextInput(attrs={"class": "form-control"}))
    id_tail = forms.CharField(
        label="身份证后4位",
        required=False,
        max_length=4,
        widget=forms.TextInput(attrs={"class": "form-control w-7rem"}),
    )
    year = forms.IntegerField(
        label="年度",
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control w-6rem"}),
    )
    basis = forms.ChoiceField(
        label="预申请依据",
        required=False,
        choices=[("", "全部"), *PreApplicationBasis.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    high_school = forms.ChoiceField(
        label="高中学校", required=False, widget=forms.Select(attrs={"class": "form-select"})
    )
    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部"), *PreApplicationStatus.choices],
        widget=forms.Select(attrs={"class": "form-select"}),
    )

    def __init__(self, *args, high_schools=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["high_school"].choices = [("", "全部"), *((s, s) for s in high_schools)]

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.filter(name__contains=data["q"].strip())
        if data.get("id_tail"):
            qs = qs.filter(id_number__endswith=data["id_tail"].strip().upper())
        if data.get("year"):
            qs = qs.filter(year=data["year"])
        if data.get("basis"):
            qs = qs.filter(basis=data["basis"])
        if data.get("high_school"):
            qs = qs.filter(high_school=data["high_school"])
        if data.get("status"):
            qs = qs.filter(status=data["status"])
        return qs


class PreApplicationImportForm(forms.Form):
    year = _year_field()
    file = forms.FileField(
        label="名单文件（.xlsx）",
        error_messages=UPLOAD_FIELD_ERRORS,
        widget=forms.ClearableFileInput(
            attrs={
                "class": "form-control",
                "accept": ".xlsx,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            }
        ),
    )


class PreApplicationAddForm(forms.Form):
    """现场补录: a student found eligible before or during intake but not on the list (notice 三(六) ¶2)."""

    year = _year_field()
    name = forms.CharField(
        label="姓名",
        max_length=50,
        validators=[validate_person_name],
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    id_number = forms.CharField(
        label="身份证号",
        max_length=18,
        validators=[validate_id_number],
        widget=forms.TextInput(attrs={"class": "form-control font-monospace", "autocomplete": "off"}),
    )
    basis = forms.ChoiceField(
        label="预申请依据",
        choices=PreApplicationBasis.choices,
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    high_school = forms.CharField(
        label="高中学校", max_length=100, widget=forms.TextInput(attrs={"class": "form-control"})
    )
    phone = forms.CharField(
        label="联系电话",
        max_length=20,
        required=False,
        validators=[validate_phone],
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    note = forms.CharField(
        label="认定材料/备注",
        max_length=200,
        required=False,
        help_text="根据学生提供的有关材料和实际情况认定，请注明材料",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )

    def clean_id_number(self):
        return normalise_id_number(self.cleaned_data["id_number"])


class PreApplicationWithdrawForm(forms.Form):
    reason = forms.CharField(
        label="撤销原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )


class PreApplicationRestoreForm(forms.Form):
    reason = forms.CharField(
        label="恢复原因", max_length=200, widget=forms.TextInput(attrs={"class": "form-control"})
    )
