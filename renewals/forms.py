"""Forms of the university pages: the fee standards table, its import, the fee account, the renewal import,
a late declaration at the county's window, graduation confirmation. They only shape input: every rule
is checked by the services (renewals.rules), whose Chinese messages the views put on the fields."""

from django import forms

from loanportal.imports import UPLOAD_FIELD_ERRORS
from loanportal.models import StudyLevel

LEVEL_CHOICES = [("", "请选择"), *StudyLevel.choices]
ADD_ROWS = 5


class StyledForm(forms.Form):
    """Bootstrap classes on every visible widget (templates render plain widgets)."""

    small = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            widget = field.widget
            if isinstance(widget, forms.HiddenInput | forms.CheckboxInput):
                if isinstance(widget, forms.CheckboxInput):
                    widget.attrs.setdefault("class", "form-check-input")
                continue
            base = "form-select" if isinstance(widget, forms.Select) else "form-control"
            widget.attrs.setdefault("class", base + (f" {base}-sm" if self.small else ""))


class FeeRowForm(StyledForm):
    """One row of the fee standards table (收费标准: 专业 / 学历层次 / 学费 / 住宿费)."""

    small = True

    pk = forms.IntegerField(required=False, widget=forms.HiddenInput)
    major = forms.CharField(label="专业", required=False, max_length=100)
    level = forms.ChoiceField(label="学历层次", required=False, choices=LEVEL_CHOICES)
    tuition = forms.CharField(label="学费（元/年）", required=False, max_length=12)
    accommodation = forms.CharField(label="住宿费（元/年）", required=False, max_length=12)

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {}) or {}
        return not data.get("pk") and not any(
            (data.get(key) or "").strip() for key in ("major", "level", "tuition", "accommodation")
        )


FeeRowFormSet = forms.formset_factory(FeeRowForm, extra=0, can_delete=True, max_num=500, absolute_max=500)


def fee_row_formset(*, data=None, standards=(), blank_rows: int = 3):
    """The table: one form per saved standard plus blank rows; bound to POST data when given (with
    `add_rows` in it, five more blank rows are added and nothing is saved)."""
    if data is not None:
        if "add_rows" in data:
            data = data.copy()
            typed = str(data.get("form-TOTAL_FORMS") or "0")
            total = int(typed) if typed.isdigit() else 0
            data["form-TOTAL_FORMS"] = str(min(total + ADD_ROWS, 500))
        return FeeRowFormSet(data)
    initial = [
        {
            "pk": s.pk,
            "major": s.major,
            "level": s.level,
            "tuition": str(s.tuition),
            "accommodation": str(s.accommodation),
        }
        for s in standards
    ]
    formset_class = forms.formset_factory(
        FeeRowForm, extra=blank_rows, can_delete=True, max_num=500, absolute_max=500
    )
    return formset_class(initial=initial)


class UploadForm(StyledForm):
    file = forms.FileField(
        label="Excel文件（.xlsx）",
        error_messages=UPLOAD_FIELD_ERRORS,
    )


class FeeAccountForm(StyledForm):
    """收费账户: confirmed once a loan year."""

    account_name = forms.CharField(label="账户名称", max_length=100)
    bank_name = forms.CharField(label="开户银行", max_length=100)
    account_number = forms.CharField(label="账号", max_length=40)


class LateDeclarationForm(StyledForm):
    """A late renewal declaration entered by a county clerk at the window (notice 三(七) last sentence)."""

    student = forms.IntegerField(widget=forms.HiddenInput)
    contract_number = forms.CharField(label="原贷款合同编号", max_length=40)
    tuition_amount = forms.IntegerField(label="申请学费贷款（元）", min_value=0, max_value=1_000_000)
    accommodation_amount = forms.IntegerField(
        label="申请住宿费贷款（元）", min_value=0, max_value=1_000_000, initial=0
    )
    statement = forms.CharField(
        label="学生声明", required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


EMPLOYMENT_CHOICES = [
    ("", "请选择"),
    ("已就业", "已就业"),
    ("升学", "升学"),
    ("自主创业", "自主创业"),
    ("灵活就业", "灵活就业"),
    ("待就业", "待就业"),
    ("应征入伍", "应征入伍"),
    ("其他", "其他"),
]


class GraduationForm(StyledForm):
    """毕业确认与信息维护 (notice 七(十九)): graduation date, contact, employment."""

    graduation_date = forms.DateField(
        label="毕业时间", widget=forms.DateInput(attrs={"type": "date"}), input_formats=["%Y-%m-%d"]
    )
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    address = forms.CharField(label="联系地址", max_length=200, required=False)
    employer = forms.CharField(label="工作单位", max_length=200, required=False)
    employment_status = forms.ChoiceField(label="就业情况", choices=EMPLOYMENT_CHOICES, required=False)
