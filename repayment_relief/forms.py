"""Forms of the relief-case pages (还款救助). They only parse input; the services decide."""

from django import forms

from loanportal.selectors import students_visible_to, users_visible_to

from . import categories
from .models import ApplicantKind, ReliefCategory, VerificationMethod
from .selectors import loan_contracts_visible_to

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
DATE_ERRORS = {"invalid": "请填写有效日期（YYYY-MM-DD）"}


class ReliefCaseForm(forms.Form):
    borrower = forms.ModelChoiceField(
        label="借款学生", queryset=None, error_messages={"invalid_choice": "请选择本县的借款学生"}
    )
    contracts = forms.ModelMultipleChoiceField(
        label="涉及借款合同",
        queryset=None,
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
        error_messages={"invalid_choice": "所选合同不存在或不在本县", "required": "请选择至少一份借款合同"},
    )
    category = forms.ChoiceField(label="救助类别", choices=ReliefCategory.choices)
    category_detail = forms.ChoiceField(
        label="第二类细项",
        required=False,
        choices=[("", "（非第二类不填）"), *categories.INCAPACITY_LABELS.items()],
    )
    facts = forms.CharField(label="救助事由", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    event_date = forms.DateField(
        label="事由发生日期（第三类为受灾日期）", required=False, widget=DATE, error_messages=DATE_ERRORS
    )
    grace_period_ends_on = forms.DateField(
        label="还本宽限期截止日（第五类（二））", required=False, widget=DATE, error_messages=DATE_ERRORS
    )
    applicant_kind = forms.ChoiceField(label="申请人", choices=ApplicantKind.choices)
    applicant_name = forms.CharField(label="申请人姓名", max_length=50)
    applicant_id_number = forms.CharField(label="申请人身份证号", max_length=18)
    applicant_phone = forms.CharField(label="申请人联系电话", max_length=20, required=False)
    applicant_relationship = forms.CharField(
        label="与借款学生关系（非本人申请时必填）", max_length=20, required=False
    )
    county_found = forms.BooleanField(label="基层机构主动发现（第十九条（三））", required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["borrower"].queryset = students_visible_to(user=user).order_by("name")
        self.fields["contracts"].queryset = loan_contracts_visible_to(user=user)
        self.fields["contracts"].label_from_instance = lambda c: (
            f"{c.contract_no}（{c.borrower.name}，{c.school_year}学年，{c.principal}元）"
        )


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label="材料类型", choices=list(categories.DOCUMENT_LABELS.items()))
    file = forms.FileField(
        label="文件（PDF、JPEG、PNG）",
        error_messages={"required": "请选择要上传的文件", "empty": "上传的文件是空文件"},
    )


class VerificationForm(forms.Form):
    method = forms.ChoiceField(label="核实方式", choices=VerificationMethod.choices)
    checked_by = forms.CharField(label="核实人", max_length=50)
    checked_on = forms.DateField(label="核实日期", widget=DATE, error_messages=DATE_ERRORS)
    findings = forms.CharField(label="核实情况", max_length=2000, widget=forms.Textarea(attrs={"rows": 3}))
    bank_payment_told = forms.BooleanField(
        label="已向申请人讲明：救助资金直接支付给国开行甘肃分行用于偿还贷款本息，不发放给被救助人（第二十条（一））",
        required=False,
    )


class NoticeForm(forms.Form):
    starts_on = forms.DateField(label="公示开始日期", widget=DATE, error_messages=DATE_ERRORS)
    ends_on = forms.DateField(label="公示结束日期", widget=DATE, error_messages=DATE_ERRORS)
    place = forms.CharField(label="公示范围/地点", max_length=100)
    content = forms.CharField(
        label="公示内容（仅限可公开信息：姓名、救助类别、村组，不含身份证号、病情细节）",
        max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ObjectionForm(forms.Form):
    received_on = forms.DateField(label="收到日期", widget=DATE, error_messages=DATE_ERRORS)
    content = forms.CharField(label="异议内容", max_length=1000)


class ResolveForm(forms.Form):
    resolution = forms.CharField(label="处理结果", max_length=1000)


class DecisionForm(forms.Form):
    action = forms.CharField(max_length=32)
    reason = forms.CharField(label="意见/原因", max_length=1000, required=False)


class FraudForm(forms.Form):
    finding = forms.CharField(
        label="查实情况",
        max_length=2000,
        widget=forms.TextInput(attrs={"placeholder": "查实情况：虚构了什么理由、伪造了哪些要件"}),
    )
    employer_letter_on = forms.DateField(
        label="函告所在单位日期", required=False, widget=DATE, error_messages=DATE_ERRORS
    )
    court_referral_on = forms.DateField(
        label="移交司法机关日期", required=False, widget=DATE, error_messages=DATE_ERRORS
    )
    large_amount = forms.BooleanField(label="申请金额较大", required=False)


class HandOverForm(forms.Form):
    received_on = forms.DateField(label="银行收到材料日期", widget=DATE, error_messages=DATE_ERRORS)


class ArchiveBoxForm(forms.Form):
    year = forms.IntegerField(label="年度", min_value=2000, max_value=2100)
    title = forms.CharField(label="盒名", max_length=100, required=False)


class ArchiveItemForm(forms.Form):
    case_no = forms.CharField(label="救助编号", max_length=32)
    attachment = forms.ChoiceField(label="归档材料", choices=list(categories.ATTACHMENTS.items()))


class OfficerForm(forms.Form):
    user = forms.ModelChoiceField(label="信息管理责任人", queryset=None)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = users_visible_to(user=user).filter(
            organisation_id=user.organisation_id, is_active=True
        )
        self.fields["user"].label_from_instance = lambda u: u.full_name or u.username
