from django.urls import path

from . import batch_views, case_views

urlpatterns = [
    path("relief/cases/", case_views.relief_case_list, name="relief-case-list"),
    path("relief/cases/new/", case_views.relief_case_new, name="relief-case-new"),
    path("relief/cases/<int:pk>/", case_views.relief_case_detail, name="relief-case-detail"),
    path("relief/cases/<int:pk>/upload/", case_views.relief_case_upload, name="relief-case-upload"),
    path("relief/cases/<int:pk>/verify/", case_views.relief_case_verify, name="relief-case-verify"),
    path("relief/cases/<int:pk>/notice/", case_views.relief_case_notice, name="relief-case-notice"),
    path("relief/cases/<int:pk>/objections/", case_views.relief_case_objection, name="relief-case-objection"),
    path(
        "relief/cases/<int:pk>/objections/<int:objection_pk>/resolve/",
        case_views.relief_objection_resolve,
        name="relief-objection-resolve",
    ),
    path("relief/cases/<int:pk>/act/", case_views.relief_case_act, name="relief-case-act"),
    path("relief/cases/<int:pk>/fraud/", case_views.relief_case_fraud, name="relief-case-fraud"),
    path(
        "relief/cases/<int:pk>/documents/<int:document_pk>/",
        case_views.relief_document_download,
        name="relief-document",
    ),
    path("relief/cases/<int:pk>/form/", case_views.relief_case_form, name="relief-case-form"),
    path(
        "relief/cases/<int:pk>/correction/", case_views.relief_case_correction, name="relief-case-correction"
    ),
    path(
        "relief/cases/<int:pk>/notice/print/",
        case_views.relief_case_notice_print,
        name="relief-case-notice-print",
    ),
    path("relief/summaries/", batch_views.relief_summary_list, name="relief-summary-list"),
    path("relief/summaries/new/", batch_views.relief_summary_create, name="relief-summary-create"),
    path("relief/summaries/<int:pk>/", batch_views.relief_summary_detail, name="relief-summary-detail"),
    path(
        "relief/summaries/<int:pk>/submit/", batch_views.relief_summary_submit, name="relief-summary-submit"
    ),
    path("relief/batches/", batch_views.relief_batch_list, name="relief-batch-list"),
    path("relief/batches/new/", batch_views.relief_batch_create, name="relief-batch-create"),
    path("relief/batches/<int:pk>/", batch_views.relief_batch_detail, name="relief-batch-detail"),
    path(
        "relief/batches/<int:pk>/hand-over/",
        batch_views.relief_batch_hand_over,
        name="relief-batch-hand-over",
    ),
    path("relief/archives/", batch_views.relief_archive_list, name="relief-archive-list"),
    path("relief/archives/new/", batch_views.relief_archive_box_create, name="relief-archive-create"),
    path("relief/archives/<int:pk>/", batch_views.relief_archive_detail, name="relief-archive-detail"),
    path("relief/archives/<int:pk>/add/", batch_views.relief_archive_item_add, name="relief-archive-add"),
    path("relief/blacklist/", batch_views.relief_blacklist, name="relief-blacklist"),
    path("relief/officer/", batch_views.relief_officer, name="relief-officer"),
]
