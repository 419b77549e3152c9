"""Root URLs: admin, the versioned API (one router per app), OpenAPI schema and Swagger UI, health check."""

from __future__ import annotations

from django.contrib import admin
from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from core.views import healthz

admin.site.site_header = "AI governance and shadow-AI audit"
admin.site.site_title = "AI governance"
admin.site.index_title = "Registry, audits and discovery"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("api/v1/core/", include("core.api.urls")),
    path("api/v1/governance/", include("governance.api.urls")),
    path("api/v1/audits/", include("audits.api.urls")),
    path("evidence/", include("audits.urls")),  # public: the published evidence-signing keys
    path("api/v1/discovery/", include("discovery.api.urls")),
]
