from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from governance.api.views import (
    AISystemViewSet,
    ClassificationRecordViewSet,
    ClassificationSchemaView,
    ModelVersionViewSet,
    ObligationViewSet,
)

app_name = "governance-api"
router = DefaultRouter()
router.register("ai-systems", AISystemViewSet, basename="aisystem")
router.register("model-versions", ModelVersionViewSet, basename="modelversion")
router.register("obligations", ObligationViewSet, basename="obligation")
router.register("classification-records", ClassificationRecordViewSet, basename="classificationrecord")
urlpatterns = [
    path("classification-schema/", ClassificationSchemaView.as_view(), name="classification-schema"),
    *router.urls,
]
