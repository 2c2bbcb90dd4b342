"""Forms of the export pages."""

from django import forms


class ExportRequestForm(forms.Form):
    purpose = forms.CharField(
        label="导出用途",
        max_length=300,
        required=False,
        widget=forms.Textarea(attrs={"class": "form-control", "rows": 2}),
        help_text="说明用途（如：报送市资助中心核对受理数据），审批人据此决定是否批准",
    )
    full_numbers = forms.BooleanField(label="申请导出完整身份证号与电话（默认打码）", required=False)


class ExportApproveForm(forms.Form):
    note = forms.CharField(label="审批意见", max_length=300, required=False)
    full_numbers = forms.BooleanField(label="同意导出完整身份证号与电话", required=False)


class ExportRefuseForm(forms.Form):
    reason = forms.CharField(label="不予批准的原因", max_length=300)


class ProgressYearForm(forms.Form):
    year = forms.IntegerField(
        label="贷款年度",
        min_value=2000,
        max_value=2100,
        required=False,
        widget=forms.NumberInput(attrs={"class": "form-control"}),
    )
