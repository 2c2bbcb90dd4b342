from django.urls import path

from . import views

urlpatterns = [
    path("calendar/", views.calendar_page, name="calendar"),
    path("calendar/extensions/new/", views.extension_create, name="calendar-extension-create"),
    path("calendar/key-dates/<int:pk>/edit/", views.key_date_edit, name="calendar-key-date-edit"),
]
