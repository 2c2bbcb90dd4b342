from .views import intake, lifecycle, preapplications

urlpatterns = [*preapplications.urlpatterns, *intake.urlpatterns, *lifecycle.urlpatterns]
