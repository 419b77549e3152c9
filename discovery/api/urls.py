from __future__ import annotations

from rest_framework.routers import DefaultRouter

from discovery.api.views import LogSourceViewSet

app_name = "discovery-api"
router = DefaultRouter()
router.register("log-sources", LogSourceViewSet, basename="logsource")
urlpatterns = router.urls
