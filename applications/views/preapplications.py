"""HTML views: preapplications."""

urlpatterns: list = []
