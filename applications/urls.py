from .views import intake, lifecycle, preapplications, yearend

urlpatterns = [
    *preapplications.urlpatterns,
    *intake.urlpatterns,
    *lifecycle.urlpatterns,
    *yearend.urlpatterns,
]
