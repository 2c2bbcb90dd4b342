from django import forms
from django.db.models import Q

from . import selectors
from .models import StudyLevel
from .roles import OrgKind


class StudentSearchForm(forms.Form):
    q = forms.CharField(label="姓名", required=False)
    id_tail = forms.CharField(label="身份证后4位", required=False, max_length=4)
    household_county = forms.ModelChoiceField(
        label="生源地", queryset=None, required=False, empty_label="全部"
    )
    university = forms.ModelChoiceField(label="就读高校", queryset=None, required=False, empty_label="全部")
    level = forms.ChoiceField(label="学历层次", choices=[("", "全部"), *StudyLevel.choices], required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["household_county"].queryset = selectors.counties_visible_to(user=user)
        orgs = selectors.organisations_visible_to(user=user)
        self.fields["university"].queryset = orgs.filter(kind=OrgKind.UNIVERSITY)

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("q"):
            qs = qs.filter(name__contains=data["q"].strip())
        if data.get("id_tail"):
            qs = qs.filter(id_number__endswith=data["id_tail"].strip().upper())
        if data.get("household_county"):
            qs = qs.filter(household_county=data["household_county"])
        if data.get("university"):
            qs = qs.filter(university=data["university"])
        if data.get("level"):
            qs = qs.filter(level=data["level"])
        return qs


class AuditSearchForm(forms.Form):
    action = forms.CharField(label="操作", required=False)
    actor = forms.CharField(label="操作人（姓名或账号）", required=False)
    object_repr = forms.CharField(label="对象", required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def filter(self, qs):
        data = self.cleaned_data
        if data.get("action"):
            qs = qs.filter(action__icontains=data["action"].strip())
        if data.get("actor"):
            term = data["actor"].strip()
            qs = qs.filter(Q(actor_username__icontains=term) | Q(actor__full_name__icontains=term))
        if data.get("object_repr"):
            qs = qs.filter(object_repr__icontains=data["object_repr"].strip())
        if data.get("date_from"):
            qs = qs.filter(created_at__date__gte=data["date_from"])
        if data.get("date_to"):
            qs = qs.filter(created_at__date__lte=data["date_to"])
        return qs
