from .views import catalogue, progress, submit

app_name = "videos"

urlpatterns = [*catalogue.urlpatterns, *submit.urlpatterns, *progress.urlpatterns]
