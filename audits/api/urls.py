from __future__ import annotations

from django.urls import path
from rest_framework.routers import DefaultRouter

from audits.api.evidence import EvidenceKeysView, EvidencePackViewSet
from audits.api.views import AuditDefinitionViewSet, AuditRunViewSet, FindingViewSet

app_name = "audits-api"
router = DefaultRouter()
router.register("definitions", AuditDefinitionViewSet, basename="auditdefinition")
router.register("runs", AuditRunViewSet, basename="auditrun")
router.register("findings", FindingViewSet, basename="finding")
router.register("evidence-packs", EvidencePackViewSet, basename="evidencepack")
urlpatterns = [path("evidence/keys/", EvidenceKeysView.as_view(), name="evidence-keys"), *router.urls]
