"""Forms of the loan year's close: the bank's status per contract, its spreadsheet, archive boxes."""

from django import forms

from loanportal.imports import UPLOAD_FIELD_ERRORS

from ..rules import yearend as rules

_CONTROL = {"class": "form-control"}


class ReceiptReturnForm(forms.Form):
    reason = forms.CharField(
        label="退回原因", min_length=2, max_length=500, widget=forms.TextInput(attrs=_CONTROL)
    )


class BankStatusForm(forms.Form):
    result = forms.ChoiceField(
        label="审批结果",
        choices=list(rules.RESULT_LABELS.items()),
        widget=forms.RadioSelect,
    )
    loan_amount = forms.IntegerField(
        label="银行贷款金额（元）",
        min_value=0,
        max_value=10**9,
        required=False,
        widget=forms.NumberInput(attrs=_CONTROL),
        help_text="与合同签约金额核对；留空则不核对",
    )
    to_university = forms.IntegerField(
        label="划入高校金额（元）",
        min_value=0,
        max_value=10**9,
        required=False,
        widget=forms.NumberInput(attrs=_CONTROL),
    )
    to_student = forms.IntegerField(
        label="划入学生金额（元）",
        min_value=0,
        max_value=10**9,
        required=False,
        widget=forms.NumberInput(attrs=_CONTROL),
    )
    disbursed_on = forms.DateField(
        label="放款日期",
        required=False,
        widget=forms.DateInput(attrs={**_CONTROL, "type": "date"}, format="%Y-%m-%d"),
    )
    reason = forms.CharField(
        label="不通过原因", max_length=500, required=False, widget=forms.TextInput(attrs=_CONTROL)
    )


class BankStatusImportForm(forms.Form):
    file = forms.FileField(
        label="银行审批放款情况表（.xlsx）",
        error_messages=UPLOAD_FIELD_ERRORS,
        widget=forms.ClearableFileInput(attrs={**_CONTROL, "accept": ".xlsx"}),
    )


class ArchiveBoxForm(forms.Form):
    year = forms.IntegerField(
        label="贷款年度", min_value=2000, max_value=2100, widget=forms.NumberInput(attrs=_CONTROL)
    )
    number = forms.CharField(label="盒号", max_length=40, widget=forms.TextInput(attrs=_CONTROL))
    archived_on = forms.DateField(
        label="归档日期", widget=forms.DateInput(attrs={**_CONTROL, "type": "date"}, format="%Y-%m-%d")
    )
    contents = forms.CharField(
        label="盒内材料",
        max_length=500,
        widget=forms.TextInput(attrs={**_CONTROL, "placeholder": "如：借款合同、受理证明、身份证复印件"}),
    )
    location = forms.CharField(
        label="存放位置", max_length=100, required=False, widget=forms.TextInput(attrs=_CONTROL)
    )
