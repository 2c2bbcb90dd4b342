"""Forms of the first-loan application: the intake form, actions, corrections, receipt entry, parameters."""

from dataclasses import dataclass

from django import forms
from django.utils import timezone

from loanportal.models import Organisation, Relationship, StudyLevel
from loanportal.roles import OrgKind
from loanportal.rules import (
    mask_id_number,
    mask_phone,
    normalise_id_number,
    place_name,
    validate_id_number,
    validate_phone,
)

from ..models import ApplicationStatus, LoanPolicy
from ..rules import lifecycle as rules
from ..services.lifecycle.policy import POLICY_FIELDS

REQUIRED = "请填写{}"


def _required(label):
    return {"required": REQUIRED.format(label)}


@dataclass(frozen=True)
class PrefillSource:
    """Where the form was opened from (an appointment or a pre-application of the clerk's county).

    The page never carries its full ID number or phone (issue 7 item 8): the clerk types the ID number
    from the student's card and the form checks it against this source; a phone left blank keeps the
    one on record."""

    label: str  # "预约" or "预申请名单"
    id_number: str
    phone: str = ""


class ApplicationForm(forms.Form):
    """首贷申请: student, co-borrower, study data, amounts, and the written commitment (notice 三(八)).

    There is deliberately no field for a civil-affairs certificate of the family's situation: notice
    三(八) replaced it with the applicant's written commitment."""

    # Student (household county is the clerk's county)
    name = forms.CharField(label="学生姓名", max_length=50, error_messages=_required("学生姓名"))
    id_number = forms.CharField(
        label="学生身份证号",
        max_length=18,
        validators=[validate_id_number],
        error_messages=_required("学生身份证号"),
    )
    phone = forms.CharField(
        label="学生联系电话",
        max_length=20,
        validators=[validate_phone],
        error_messages=_required("学生联系电话"),
    )
    address = forms.CharField(label="家庭住址", max_length=200, error_messages=_required("家庭住址"))
    # Co-borrower (共同借款人)
    co_name = forms.CharField(
        label="共同借款人姓名", max_length=50, error_messages=_required("共同借款人姓名")
    )
    co_id_number = forms.CharField(
        label="共同借款人身份证号",
        max_length=18,
        error_messages=_required("共同借款人身份证号"),
    )
    co_relationship = forms.ChoiceField(
        label="与学生关系", choices=Relationship.choices, error_messages=_required("与学生关系")
    )
    co_phone = forms.CharField(
        label="共同借款人电话",
        max_length=20,
        validators=[validate_phone],
        error_messages=_required("共同借款人电话"),
    )
    # Study data
    university = forms.ModelChoiceField(
        label="就读高校",
        queryset=Organisation.objects.filter(kind=OrgKind.UNIVERSITY, is_active=True).order_by("code"),
        empty_label="请选择高校",
        error_messages={"required": "请选择就读高校", "invalid_choice": "所选高校不存在"},
    )
    major = forms.CharField(label="专业", max_length=100, error_messages=_required("专业"))
    level = forms.ChoiceField(label="学历层次", choices=StudyLevel.choices, initial=StudyLevel.UNDERGRADUATE)
    enrolment_year = forms.IntegerField(
        label="入学年份",
        min_value=2000,
        max_value=2100,
        error_messages={
            **_required("入学年份"),
            "min_value": "入学年份不正确",
            "max_value": "入学年份不正确",
        },
    )
    study_years = forms.IntegerField(
        label="学制（年）",
        min_value=1,
        max_value=8,
        initial=4,
        error_messages={
            **_required("学制"),
            "min_value": "学制应在1–8年之间",
            "max_value": "学制应在1–8年之间",
        },
    )
    # Amounts (yuan per year)
    tuition_amount = forms.IntegerField(
        label="学费贷款（元）",
        min_value=0,
        initial=0,
        error_messages={**_required("学费贷款金额"), "min_value": "金额不能为负数"},
    )
    accommodation_amount = forms.IntegerField(
        label="住宿费贷款（元）",
        min_value=0,
        initial=0,
        error_messages={**_required("住宿费贷款金额"), "min_value": "金额不能为负数"},
    )
    commitment_accepted = forms.BooleanField(
        label="已向申请人提示承诺不实应负的法律责任，申请人已阅读并签署书面承诺",
        required=False,
    )
    appointment = forms.IntegerField(required=False, widget=forms.HiddenInput)
    pre_application = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, pre_applied: bool = False, source: PrefillSource | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.pre_applied = pre_applied
        self.source = source
        if source is not None:
            self.fields["id_number"].widget.attrs["placeholder"] = (
                f"请对照身份证输入（{source.label}登记 {mask_id_number(source.id_number)}）"
            )
            if source.phone:
                self.fields["phone"].required = False
                self.fields["phone"].widget.attrs["placeholder"] = f"不填则沿用 {mask_phone(source.phone)}"
        self.fields["enrolment_year"].initial = timezone.localdate().year
        for field in self.fields.values():
            css = "form-select" if isinstance(field.widget, forms.Select) else "form-control"
            if isinstance(field.widget, forms.CheckboxInput):
                css = "form-check-input"
            field.widget.attrs.setdefault("class", css)
        for name in ("id_number", "co_id_number"):
            self.fields[name].widget.attrs.update({"autocomplete": "off", "maxlength": "18"})
        for name in ("tuition_amount", "accommodation_amount"):
            self.fields[name].widget.attrs.update({"step": "100"})

    def clean_id_number(self):
        return normalise_id_number(self.cleaned_data["id_number"])

    def clean_co_id_number(self):
        value = normalise_id_number(self.cleaned_data["co_id_number"])
        from loanportal.rules import id_number_error

        message = id_number_error(value, label="共同借款人身份证号")
        if message:
            raise forms.ValidationError(message)
        return value

    def clean(self):
        data = super().clean()
        source = self.source
        if source is not None:
            if data.get("id_number") and data["id_number"] != source.id_number:
                self.add_error(
                    "id_number",
                    f"与{source.label}登记的身份证号（{mask_id_number(source.id_number)}）不一致，"
                    "请核对学生身份证后重新输入",
                )
            if not data.get("phone") and "phone" not in self.errors and source.phone:
                data["phone"] = source.phone
        if data.get("id_number") and data.get("co_id_number") and data["id_number"] == data["co_id_number"]:
            self.add_error("co_id_number", "共同借款人不能是学生本人")
        if data.get("co_relationship") and data.get("co_id_number") and "co_id_number" not in self.errors:
            from loanportal.rules import birth_date_of

            message = rules.co_borrower_age_error(
                relationship=data["co_relationship"],
                birth_date=birth_date_of(data["co_id_number"]),
                on=timezone.localdate(),
            )
            if message:
                self.add_error("co_relationship", message)
        return data

    def service_kwargs(self) -> dict:
        d = self.cleaned_data
        return {
            "student": {k: d[k] for k in ("name", "id_number", "phone", "address")},
            "co_borrower": {
                "name": d["co_name"],
                "id_number": d["co_id_number"],
                "relationship": d["co_relationship"],
                "phone": d["co_phone"],
            },
            "study": {k: d[k] for k in ("university", "major", "level", "enrolment_year", "study_years")},
            "tuition_amount": d["tuition_amount"],
            "accommodation_amount": d["accommodation_amount"],
            "commitment_accepted": d["commitment_accepted"],
        }


ALL_YEARS = "all"
PLACE_FIELDS = ("city", "county", "university")


class PlaceChoiceField(forms.ModelChoiceField):
    """An organisation chosen by id, shown by its place name (榆中县, not 榆中县学生资助管理中心)."""

    def label_from_instance(self, obj):
        return place_name(obj.name)


def _select():
    return forms.Select(attrs={"class": "form-select"})


class ApplicationFilterForm(forms.Form):
    """The filters of the applications list (贷款申请), shared by the page and its export: status, name or
    ID tail, loan year (default: the current one, from the calendar) and, by the user's organisation, the
    place filters (市 / 县区 / 高校) with options from the scoped selectors. An invalid or out-of-scope
    value of one filter is left out (that filter shows 全部); the others still apply."""

    status = forms.ChoiceField(
        label="状态",
        required=False,
        choices=[("", "全部状态"), *ApplicationStatus.choices],
        widget=_select(),
    )
    q = forms.CharField(
        label="姓名或身份证号后几位",
        required=False,
        max_length=50,
        widget=forms.TextInput(attrs={"class": "form-control", "placeholder": "如 张三 或 123X"}),
    )
    year = forms.ChoiceField(label="贷款年度", required=False, widget=_select())
    city = PlaceChoiceField(
        label="市",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="全部市",
        # a new city reloads the list with that city's counties offered (static/js/portal.js)
        widget=forms.Select(attrs={"class": "form-select", "data-autosubmit": ""}),
    )
    county = PlaceChoiceField(
        label="县区",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="全部县区",
        widget=_select(),
    )
    university = PlaceChoiceField(
        label="高校",
        queryset=Organisation.objects.none(),
        required=False,
        empty_label="全部高校",
        widget=_select(),
    )

    def __init__(self, data=None, *, user, today=None):
        from deadlines.selectors import loan_years_visible_to
        from deadlines.services import current_loan_year

        from ..selectors import lifecycle as selectors

        self.loan_year = current_loan_year(today)
        data = data.copy() if data is not None else {}
        years = {self.loan_year, *loan_years_visible_to(user=user).values_list("year", flat=True)}
        given = str(data.get("year", "")).strip()
        if given.isdigit() and len(given) == 4:
            years.add(int(given))  # a year from a link or a frozen export, though it has no calendar
        elif given != ALL_YEARS:
            data["year"] = str(self.loan_year)  # not given or not a year: the current loan year
        super().__init__(data)
        self.fields["year"].choices = [
            *((str(y), f"{y}年度") for y in sorted(years, reverse=True)),
            (ALL_YEARS, "全部年度"),
        ]
        self.place_filters = selectors.application_place_filters_for(user=user)
        for name in PLACE_FIELDS:
            if name not in self.place_filters:
                del self.fields[name]
        if "city" in self.fields:
            self.fields["city"].queryset = selectors.application_filter_cities(user=user)
            self.chosen_city = self._clean_one("city")
        else:
            self.chosen_city = None
        if "county" in self.fields:
            self.fields["county"].queryset = selectors.application_filter_counties(
                user=user, city=self.chosen_city
            )
        if "university" in self.fields:
            self.fields["university"].queryset = selectors.application_filter_universities(user=user)

    def _clean_one(self, name):
        try:
            return self.fields[name].clean(self.data.get(name))
        except forms.ValidationError:
            return None

    @property
    def county_waits_for_city(self) -> bool:
        """The province picks a city before its counties are offered (no 100-county select)."""
        return "city" in self.fields and "county" in self.fields and self.chosen_city is None

    def filters(self) -> dict:
        """The keyword arguments of selectors.lifecycle.application_list: every valid filter."""
        self.is_valid()
        data = self.cleaned_data
        year = data.get("year") or str(self.loan_year)
        return {
            "status": data.get("status", ""),
            "query": data.get("q", ""),
            "year": None if year == ALL_YEARS else int(year),
            **{name: data.get(name) for name in PLACE_FIELDS if name in self.fields},
        }

    def frozen_params(self) -> dict:
        """The valid filters as query parameters, the year always explicit (an export keeps its year)."""
        self.is_valid()
        params = {}
        for name in self.fields:
            value = self.cleaned_data.get(name)
            if value in (None, ""):
                continue
            params[name] = str(getattr(value, "pk", value))
        params.setdefault("year", str(self.loan_year))
        return params


class CorrectionForm(forms.Form):
    tuition_amount = forms.IntegerField(label="学费贷款（元）", min_value=0)
    accommodation_amount = forms.IntegerField(label="住宿费贷款（元）", min_value=0)
    major = forms.CharField(label="专业", max_length=100)
    enrolment_year = forms.IntegerField(label="入学年份", min_value=2000, max_value=2100)
    study_years = forms.IntegerField(label="学制（年）", min_value=1, max_value=8)
    reason = forms.CharField(label="更正原因", max_length=200, error_messages=_required("更正原因"))

    def __init__(self, *args, application=None, **kwargs):
        if application is not None and not kwargs.get("initial"):
            kwargs["initial"] = {name: getattr(application, name) for name in rules.CORRECTABLE_FIELDS}
        super().__init__(*args, **kwargs)
        self.application = application
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control form-control-sm")

    def changes(self) -> dict:
        return {
            name: self.cleaned_data[name]
            for name in rules.CORRECTABLE_FIELDS
            if self.cleaned_data[name] != getattr(self.application, name)
        }


class LoanPolicyForm(forms.ModelForm):
    reason = forms.CharField(label="修改原因", max_length=200, error_messages=_required("修改原因"))

    class Meta:
        model = LoanPolicy
        fields = POLICY_FIELDS
        widgets = {"effective_from": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs.setdefault("class", "form-control")
