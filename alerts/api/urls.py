from __future__ import annotations

from rest_framework.routers import DefaultRouter

from alerts.api.views import AlertRuleViewSet, AlertViewSet, SilenceViewSet

app_name = "alerts-api"
router = DefaultRouter()
router.register("rules", AlertRuleViewSet, basename="alertrule")
router.register("alerts", AlertViewSet, basename="alert")
router.register("silences", SilenceViewSet, basename="silence")
urlpatterns = router.urls
