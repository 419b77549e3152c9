"""The paths the evidence API had while it lived in ``audits``, kept as aliases of the same views.

Mounted at ``/api/v1/audits/`` (``config.urls``): ``evidence-packs/`` (list, request, detail, download) and
``evidence/keys/``. Same permissions and responses as ``/api/v1/evidence/packs/`` and ``/api/v1/evidence/keys/``,
except that links in responses (``download_url``) point at the new paths. Marked deprecated in the OpenAPI schema.
"""

from __future__ import annotations

from django.urls import path
from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from evidence.api.views import EvidenceKeysView, EvidencePackViewSet

DEPRECATED = extend_schema(deprecated=True, tags=["audits (deprecated evidence aliases)"])


@extend_schema_view(list=DEPRECATED, retrieve=DEPRECATED, create=DEPRECATED, download=DEPRECATED)
class LegacyEvidencePackViewSet(EvidencePackViewSet):
    """Alias of :class:`EvidencePackViewSet` at ``/api/v1/audits/evidence-packs/``."""


@extend_schema_view(get=DEPRECATED)
class LegacyEvidenceKeysView(EvidenceKeysView):
    """Alias of :class:`EvidenceKeysView` at ``/api/v1/audits/evidence/keys/``."""


app_name = "audits-evidence-legacy"
# a SimpleRouter: no API root view, which would shadow the audits API root at the same prefix
router = SimpleRouter()
router.register("evidence-packs", LegacyEvidencePackViewSet, basename="evidencepack")
urlpatterns = [path("evidence/keys/", LegacyEvidenceKeysView.as_view(), name="evidence-keys"), *router.urls]
