from django.urls import path

from . import views, views_fees, views_graduation

urlpatterns = [
    path("renewals/", views.renewal_list, name="renewal-list"),
    path("renewals/approve/", views.renewal_bulk_approve, name="renewal-bulk-approve"),
    path("renewals/<int:pk>/review/", views.renewal_review, name="renewal-review"),
    path("renewals/import/", views.renewal_import_page, name="renewal-import"),
    path("renewals/import/template.xlsx", views.renewal_import_template, name="renewal-import-template"),
    path("renewals/imports/<int:pk>/", views.renewal_import_detail, name="renewal-import-detail"),
    path("renewals/import/jobs/<int:pk>/", views.renewal_import_job, name="renewal-import-job"),
    path(
        "renewals/import/jobs/<int:pk>/status/",
        views.renewal_import_job_status,
        name="renewal-import-job-status",
    ),
    path("renewals/reminders/", views.renewal_class_reminder, name="renewal-class-reminder"),
    path("renewals/reminders/send/", views.renewal_class_reminder_send, name="renewal-class-reminder-send"),
    path("renewals/late/", views.renewal_late_new, name="renewal-late-new"),
    path("graduation/", views_graduation.graduation_list, name="graduation-list"),
    path("graduation/<int:pk>/", views_graduation.graduation_edit, name="graduation-edit"),
    path("fee-standards/", views_fees.fee_standard_list, name="fee-standard-list"),
    path("fee-standards/save/", views_fees.fee_standard_save, name="fee-standard-save"),
    path("fee-standards/import/", views_fees.fee_standard_import, name="fee-standard-import"),
    path("fee-standards/template.xlsx", views_fees.fee_standard_template, name="fee-standard-template"),
    path(
        "fee-standards/import/jobs/<int:pk>/",
        views_fees.fee_standard_import_job,
        name="fee-standard-import-job",
    ),
    path(
        "fee-standards/import/jobs/<int:pk>/status/",
        views_fees.fee_standard_import_job_status,
        name="fee-standard-import-job-status",
    ),
    path("fee-standards/account/", views_fees.fee_account_confirm, name="fee-account-confirm"),
]
