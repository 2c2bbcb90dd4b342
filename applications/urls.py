from .views import intake, lifecycle, preapplications, summaries, yearend

urlpatterns = [
    *preapplications.urlpatterns,
    *intake.urlpatterns,
    *lifecycle.urlpatterns,
    *yearend.urlpatterns,
    *summaries.urlpatterns,
]
