from __future__ import annotations

from rest_framework.routers import DefaultRouter

from audits.api.views import AuditDefinitionViewSet, AuditRunViewSet, FindingViewSet

app_name = "audits-api"
router = DefaultRouter()
router.register("definitions", AuditDefinitionViewSet, basename="auditdefinition")
router.register("runs", AuditRunViewSet, basename="auditrun")
router.register("findings", FindingViewSet, basename="finding")
urlpatterns = router.urls
