from django.urls import path

from . import views

urlpatterns = [
    path("renewals/", views.renewal_list, name="renewal-list"),
    path("renewals/approve/", views.renewal_bulk_approve, name="renewal-bulk-approve"),
    path("renewals/<int:pk>/review/", views.renewal_review, name="renewal-review"),
]
