"""Root URLs: admin, the versioned API (one router per app), OpenAPI schema and Swagger UI, API login, health check."""

from __future__ import annotations

from django.contrib import admin
from django.contrib.auth.decorators import login_required
from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from core.views import admin_moved_redirect, healthz, metrics
from evidence.views import legacy_admin_redirect
from sso.views import admin_login

#: a URL no route matches: JSON under /api/ (see core.views.page_not_found)
handler404 = "core.views.page_not_found"

admin.site.site_header = "AI governance and shadow-AI audit"
admin.site.site_title = "AI governance"
admin.site.index_title = "Registry, audits and discovery"
admin.site.index_template = "admin/aigov_index.html"  # the dashboards the user may read, above the app list
admin.site.site_url = None  # no public site beside the admin and the API: no "View site" link to a 404
# the admin login page with the "Log in with SSO" button (sso.views.admin_login passes what it shows)
admin.site.login_template = "sso/admin_login.html"

urlpatterns = [
    # evidence packs moved from the audits app to the evidence app: old admin bookmarks redirect
    re_path(r"^admin/audits/evidencepack/(?P<rest>.*)$", legacy_admin_redirect, name="legacy-admin-evidencepack"),
    # alerting and the outbox moved from the discovery app to alerts and notifications: old admin bookmarks (and the
    # links in notifications sent before) redirect
    re_path(
        r"^admin/discovery/(?P<model>alert|alertrule|silence)/(?P<rest>.*)$",
        admin_moved_redirect,
        {"app_label": "alerts"},
        name="legacy-admin-alerts",
    ),
    re_path(
        r"^admin/discovery/(?P<model>channel|delivery)/(?P<rest>.*)$",
        admin_moved_redirect,
        {"app_label": "notifications"},
        name="legacy-admin-notifications",
    ),
    # single sign-on (OpenID Connect): the login page first, so it is served with the SSO button
    path("admin/login/", admin_login, name="admin-login"),
    path("sso/", include("sso.urls")),
    path("admin/", admin.site.urls),
    path("healthz", healthz, name="healthz"),
    path("metrics", metrics, name="metrics"),  # Prometheus; 404 unless METRICS_TOKEN is set (core.views.metrics)
    # the second factor: enrolment and the verification step after a password login (core.mfa; issue 18)
    path("account/mfa/", include("core.mfa.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # signed-in users only (SPECTACULAR_SETTINGS["SERVE_PERMISSIONS"]); the docs page sends others to the login page.
    # The split view serves Swagger UI's init script as a file, so the Content-Security-Policy needs no inline script.
    path("api/docs/", login_required(SpectacularSwaggerSplitView.as_view(url_name="schema")), name="swagger-ui"),
    # the API's username/password (session) login, for the docs and the browsable API; throttled by django-axes
    path("api-auth/", include("rest_framework.urls")),
    path("api/v1/core/", include("core.api.urls")),
    # personal API tokens: each user lists, creates and revokes their own (issue 18)
    path("api/v1/", include("core.api.token_urls")),
    path("api/v1/governance/", include("governance.api.urls")),
    path("api/v1/audits/", include("audits.api.urls")),
    # the evidence API's paths from before it left audits (evidence-packs/, evidence/keys/): aliases, deprecated
    path("api/v1/audits/", include("evidence.api.legacy_urls")),
    path("api/v1/evidence/", include("evidence.api.urls")),
    path("evidence/", include("evidence.urls")),  # public: the published evidence-signing keys
    path("api/v1/discovery/", include("discovery.api.urls")),
    # alert rules, alerts, silences, channels and deliveries under their paths from before alerts and
    # notifications left discovery: aliases, deprecated (see alerts.api.legacy_urls)
    path("api/v1/discovery/", include("alerts.api.legacy_urls")),
    path("api/v1/alerts/", include("alerts.api.urls")),
    path("api/v1/notifications/", include("notifications.api.urls")),
]
