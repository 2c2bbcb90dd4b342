"""HTML views: lifecycle."""

urlpatterns: list = []
