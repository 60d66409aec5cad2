"""Views, one module per area of the site; each module lists its own urlpatterns."""
