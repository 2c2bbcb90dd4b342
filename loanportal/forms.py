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
        if data.get("level"):
            qs = qs.filter(level=data["level"])
        return qs


class AuditSearchForm(forms.Form):
    # A select of the known actions by their Chinese names; an older link's code fragment or Chinese
    # word (?action=export, ?action=导出) still filters: codes containing it or whose name contains it.
    action = forms.CharField(label="操作", required=False, widget=forms.Select)
    actor = forms.CharField(label="操作人（姓名或账号）", required=False)
    object_repr = forms.CharField(label="对象", required=False)
    date_from = forms.DateField(
        label="起始日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label="截止日期", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        from .registry import action_choices

        choices = [("", "全部"), *action_choices()]
        value = (self.data.get("action") or "").strip() if self.is_bound else ""
        if value and value not in dict(choices):
            choices.append((value, value))  # keep an older link's free text selected
        self.fields["action"].widget.choices = choices

    def filter(self, qs):
        from .registry import action_choices

        data = self.cleaned_data
        term = (data.get("action") or "").strip()
        if term:
            labels = dict(action_choices())
            if term in labels:
                qs = qs.filter(action=term)
            else:
                named = [code for code, label in labels.items() if term in label]
                qs = qs.filter(Q(action__icontains=term) | Q(action__in=named))
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
