"""HTML views of the first-loan application: intake list, new application, detail with actions,
acceptance certificate, receipt entry, corrections, policy parameters. Thin: selectors + services."""

from django.urls import path

from .detail import (
    application_act,
    application_certificate,
    application_detail,
    correction_decide,
    correction_new,
)
from .intake import application_new, application_precheck, fee_standard_prefill
from .lists import application_list
from .parameters import loan_policy_edit, loan_policy_list
from .receipts import (
    fee_certificate_issue,
    fee_certificate_list,
    fee_certificate_print,
    receipt_entry,
    receipt_import,
    receipt_import_job,
    receipt_import_job_status,
    receipt_scan_json,
    receipt_template,
)

urlpatterns = [
    path("applications/", application_list, name="application-list"),
    path("applications/new/", application_new, name="application-new"),
    path("applications/new/precheck/", application_precheck, name="application-precheck"),
    path("applications/new/fee-standard/", fee_standard_prefill, name="application-fee-standard"),
    path("applications/receipts/", receipt_entry, name="application-receipt-entry"),
    path("applications/receipts/scan/", receipt_scan_json, name="application-receipt-scan"),
    path("applications/receipts/import/", receipt_import, name="application-receipt-import"),
    path("applications/receipts/template/", receipt_template, name="application-receipt-template"),
    path(
        "applications/receipts/import/jobs/<int:pk>/",
        receipt_import_job,
        name="application-receipt-import-job",
    ),
    path(
        "applications/receipts/import/jobs/<int:pk>/status/",
        receipt_import_job_status,
        name="application-receipt-import-job-status",
    ),
    path("fee-certificates/", fee_certificate_list, name="fee-certificate-list"),
    path("fee-certificates/issue/", fee_certificate_issue, name="fee-certificate-issue"),
    path("fee-certificates/<int:pk>/", fee_certificate_print, name="fee-certificate-print"),
    path("applications/<int:pk>/", application_detail, name="application-detail"),
    path("applications/<int:pk>/certificate/", application_certificate, name="application-certificate"),
    path("applications/<int:pk>/corrections/", correction_new, name="application-correction-new"),
    path("applications/<int:pk>/<slug:action>/", application_act, name="application-act"),
    path(
        "applications/corrections/<int:pk>/decide/", correction_decide, name="application-correction-decide"
    ),
    path("parameters/", loan_policy_list, name="loan-policy-list"),
    path("parameters/<int:year>/edit/", loan_policy_edit, name="loan-policy-edit"),
]
