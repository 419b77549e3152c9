from __future__ import annotations

from rest_framework.routers import DefaultRouter

from governance.api.views import AISystemViewSet

app_name = "governance-api"
router = DefaultRouter()
router.register("ai-systems", AISystemViewSet, basename="aisystem")
urlpatterns = router.urls
