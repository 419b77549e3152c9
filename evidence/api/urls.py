"""Evidence-pack API, mounted at ``/api/v1/evidence/``: ``packs/`` and ``keys/``."""

from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from evidence.api.views import EvidenceKeysView, EvidencePackViewSet

app_name = "evidence-api"
router = DefaultRouter()
router.register("packs", EvidencePackViewSet, basename="evidencepack")
urlpatterns = [path("keys/", EvidenceKeysView.as_view(), name="evidence-keys"), *router.urls]
