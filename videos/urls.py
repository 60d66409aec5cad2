from .views import catalogue, curation, progress, submit

app_name = "videos"

urlpatterns = [*catalogue.urlpatterns, *submit.urlpatterns, *progress.urlpatterns, *curation.urlpatterns]
