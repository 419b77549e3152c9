from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from discovery.api.views import (
    AIServiceViewSet,
    BlocklistView,
    LogBatchViewSet,
    LogSourceViewSet,
    PromotionViewSet,
    ReidentifyView,
    UsageViewSet,
)

app_name = "discovery-api"
router = DefaultRouter()
router.register("log-sources", LogSourceViewSet, basename="logsource")
router.register("log-batches", LogBatchViewSet, basename="logbatch")
router.register("ai-services", AIServiceViewSet, basename="aiservice")
router.register("usage", UsageViewSet, basename="usage")
router.register("promotions", PromotionViewSet, basename="promotion")
urlpatterns = [
    path("pseudonyms/reidentify/", ReidentifyView.as_view(), name="pseudonym-reidentify"),
    path("blocklist/<str:fmt>/", BlocklistView.as_view(), name="blocklist"),
    *router.urls,
]
