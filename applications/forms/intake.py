"""Forms: intake (受理预案, 受理点, 预约, 现场取号)."""

from django import forms
from django.utils import timezone

from loanportal.rules import id_number_error, normalise_id_number, validate_person_name

from ..models import IntakePlan, IntakeSite
from ..services.queue import SITE_FIELDS

WEEKDAYS = [(1, "周一"), (2, "周二"), (3, "周三"), (4, "周四"), (5, "周五"), (6, "周六"), (7, "周日")]


class IntakePlanForm(forms.ModelForm):
    class Meta:
        model = IntakePlan
        fields = ["expected_applicants", "volunteers", "measures"]
        widgets = {
            "measures": forms.Textarea(
                attrs={"rows": 5, "placeholder": "预约受理、错峰受理、秩序维护、咨询答疑、便民服务等安排"}
            )
        }


class IntakeSiteForm(forms.ModelForm):
    windows = forms.IntegerField(label="窗口数", min_value=0, max_value=50, initial=2)
    opening_weekdays = forms.TypedMultipleChoiceField(
        label="开放日", choices=WEEKDAYS, coerce=int, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = IntakeSite
        fields = SITE_FIELDS
        widgets = {
            "opens_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
            "closes_at": forms.TimeInput(attrs={"type": "time"}, format="%H:%M"),
        }
        help_texts = {"lunch_break_minutes": "午休从12:00开始", "slot_minutes": "每个预约时段的长度"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name, field in self.fields.items():
            if name == "is_active":
                field.widget.attrs["class"] = "form-check-input"
            elif name == "kind":
                field.widget.attrs["class"] = "form-select"
            elif name != "opening_weekdays":
                field.widget.attrs["class"] = "form-control"


class SlotGenerateForm(forms.Form):
    start = forms.DateField(label="开始日期", widget=forms.DateInput(attrs={"type": "date"}))
    end = forms.DateField(label="结束日期", widget=forms.DateInput(attrs={"type": "date"}))


class PersonForm(forms.Form):
    """A caller or a walk-in: name, ID number (GB 11643 validated), phone."""

    name = forms.CharField(label="姓名", max_length=50, validators=[validate_person_name])
    id_number = forms.CharField(label="身份证号", max_length=18, min_length=18)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)

    def clean_id_number(self):
        value = normalise_id_number(self.cleaned_data["id_number"])
        message = id_number_error(value)
        if message:
            raise forms.ValidationError(message)
        return value


class BookingForm(PersonForm):
    slot = forms.ModelChoiceField(label="预约时段", queryset=None, empty_label="请选择时段")

    def __init__(self, *args, slots, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["slot"].queryset = slots
        self.fields["slot"].label_from_instance = lambda s: (
            f"{s.date:%m月%d日} {s.starts_at:%H:%M}–{s.ends_at:%H:%M}（余{s.free}个）"
        )
        self.order_fields(["slot", "name", "id_number", "phone"])


class QueueDayForm(forms.Form):
    site = forms.ModelChoiceField(label="受理点", queryset=None, empty_label=None)
    day = forms.DateField(label="日期", widget=forms.DateInput(attrs={"type": "date"}), required=False)

    def __init__(self, *args, sites, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["site"].queryset = sites

    def clean_day(self):
        return self.cleaned_data.get("day") or timezone.localdate()
