from __future__ import annotations

from rest_framework.routers import DefaultRouter

from audits.api.views import AuditDefinitionViewSet

app_name = "audits-api"
router = DefaultRouter()
router.register("definitions", AuditDefinitionViewSet, basename="auditdefinition")
urlpatterns = router.urls
