"""HTML views: intake."""

urlpatterns: list = []
