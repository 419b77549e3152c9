from __future__ import annotations

from rest_framework.routers import DefaultRouter

from core.api.views import AuditLogEntryViewSet

app_name = "core-api"
router = DefaultRouter()
router.register("audit-log", AuditLogEntryViewSet, basename="auditlogentry")
urlpatterns = router.urls
