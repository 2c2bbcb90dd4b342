"""HTML views: intake (受理安排, 预约与叫号, 叫号屏, 受理预警). Thin: selectors + services."""

from django.urls import path

from .plan import intake_plan, intake_site_edit, intake_slots_generate
from .queue import (
    intake_appointment_action,
    intake_assign_list,
    intake_book,
    intake_call_next,
    intake_queue,
    intake_screen,
    intake_screen_board,
    intake_walk_in,
)
from .warnings import intake_snapshot_refresh, intake_warning_county, intake_warnings

urlpatterns = [
    path("intake/plan/", intake_plan, name="intake-plan"),
    path("intake/plan/<int:county_pk>/", intake_plan, name="intake-plan-county"),
    path("intake/sites/new/", intake_site_edit, name="intake-site-new"),
    path("intake/sites/<int:pk>/edit/", intake_site_edit, name="intake-site-edit"),
    path("intake/sites/<int:pk>/slots/", intake_slots_generate, name="intake-slots-generate"),
    path("intake/sites/<int:pk>/screen/", intake_screen, name="intake-screen"),
    path("intake/sites/<int:pk>/screen/board/", intake_screen_board, name="intake-screen-board"),
    path("intake/sites/<int:site_pk>/book/", intake_book, name="intake-book"),
    path("intake/sites/<int:site_pk>/walk-in/", intake_walk_in, name="intake-walk-in"),
    path("intake/queue/", intake_queue, name="intake-queue"),
    path("intake/windows/<int:window_pk>/call-next/", intake_call_next, name="intake-call-next"),
    path(
        "intake/appointments/<int:pk>/<slug:action>/",
        intake_appointment_action,
        name="intake-appointment-action",
    ),
    path("intake/assign-list/", intake_assign_list, name="intake-assign-list"),
    path("intake/warnings/", intake_warnings, name="intake-warnings"),
    path("intake/warnings/<int:pk>/", intake_warning_county, name="intake-warning-county"),
    path("intake/warnings/<int:pk>/refresh/", intake_snapshot_refresh, name="intake-snapshot-refresh"),
]
