"""Forms of the calendar page: preview date, key date edit, per-organisation extension."""

from django import forms

from loanportal.models import Organisation
from loanportal.roles import OrgKind

from .models import KeyDate

DATE_WIDGET = forms.DateInput(attrs={"type": "date", "class": "form-control"}, format="%Y-%m-%d")


class PreviewForm(forms.Form):
    as_of = forms.DateField(label="预演日期", widget=DATE_WIDGET)


class KeyDateEditForm(forms.Form):
    start_date = forms.DateField(label="开始日期", widget=DATE_WIDGET)
    end_date = forms.DateField(label="截止日期", widget=DATE_WIDGET)
    reminder_days = forms.CharField(
        label="提前提醒天数",
        required=False,
        help_text="用逗号分隔，如 7,3,1",
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    reason = forms.CharField(
        label="修改原因", widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}), min_length=2
    )

    def clean_reminder_days(self):
        raw = (self.cleaned_data.get("reminder_days") or "").replace("，", ",")
        try:
            return [int(part) for part in raw.split(",") if part.strip()]
        except ValueError as exc:
            raise forms.ValidationError("请填写整数，用逗号分隔，如 7,3,1") from exc


class OrganisationChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.name}（{obj.code}）"


class ExtensionForm(forms.Form):
    key_date = forms.ModelChoiceField(
        label="时间节点", queryset=KeyDate.objects.none(), widget=forms.Select(attrs={"class": "form-select"})
    )
    organisation = OrganisationChoiceField(
        label="延期机构",
        queryset=Organisation.objects.none(),
        widget=forms.Select(attrs={"class": "form-select"}),
    )
    end_date = forms.DateField(label="延期至", widget=DATE_WIDGET)
    reason = forms.CharField(
        label="延期原因", widget=forms.Textarea(attrs={"rows": 2, "class": "form-control"}), min_length=2
    )

    def __init__(self, *args, loan_year, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key_date"].queryset = loan_year.key_dates.order_by("order")
        self.fields["key_date"].label_from_instance = lambda kd: (
            f"{kd.short_label}（{OrgKind(kd.owed_by).label}，{kd.end_date.month}月{kd.end_date.day}日）"
        )
        self.fields["organisation"].queryset = Organisation.objects.filter(
            is_active=True, kind__in=[OrgKind.COUNTY, OrgKind.UNIVERSITY, OrgKind.CITY, OrgKind.BANK]
        ).order_by("kind", "code")
