from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

# Each app registers its viewsets on the shared router when its api module is imported.
import applications.api  # noqa: E402,F401
import deadlines.api  # noqa: E402,F401
import loanportal.exports.api  # noqa: E402,F401
import renewals.api  # noqa: E402,F401
import repayment_relief.api  # noqa: E402,F401
import repayment_relief.case_api  # noqa: E402,F401
import repayment_relief.money_api  # noqa: E402,F401

from . import api, views

urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("students/", views.student_list, name="student-list"),
    path("students/<int:pk>/", views.student_detail, name="student-detail"),
    path("students/<int:pk>/reveal/", views.student_reveal, name="student-reveal"),
    path("audit/", views.audit_search, name="audit-search"),
    path("notifications/", views.notification_list, name="notification-list"),
    path("notifications/read/", views.notification_read, name="notification-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="notification-read"),
    path("", include("applications.urls")),
    path("", include("renewals.urls")),
    path("", include("repayment_relief.urls")),
    path("", include("repayment_relief.money_views")),
    path("", include("deadlines.urls")),
    path("", include("loanportal.exports.views")),
    path("api/v1/auth/token/", api.TokenView.as_view(), name="api-token"),
    path("api/v1/", include(api.router.urls)),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="api-schema"), name="api-docs"),
    path("admin/", admin.site.urls),
    # Keep last: any other address under /api/ is a JSON 404, not the HTML page.
    re_path(r"^api/", api.ApiNotFoundView.as_view(), name="api-not-found"),
]

# Chinese error pages (loanportal.error_pages), also under DEBUG.
handler403 = "loanportal.error_pages.permission_denied"
handler404 = "loanportal.error_pages.page_not_found"
handler500 = "loanportal.error_pages.server_error"
