from .views import intake, lifecycle, preapplications, summaries

urlpatterns = [
    *preapplications.urlpatterns,
    *intake.urlpatterns,
    *lifecycle.urlpatterns,
    *summaries.urlpatterns,
]
