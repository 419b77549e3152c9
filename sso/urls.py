"""SSO URLs, under ``/sso/``: the redirect URI to register with the IdP is ``<origin>/sso/callback/``."""

from __future__ import annotations

from django.urls import path

from sso.views import SSOCallbackView, SSOLoginView

app_name = "sso"

urlpatterns = [
    path("login/", SSOLoginView.as_view(), name="login"),
    path("callback/", SSOCallbackView.as_view(), name="callback"),
]
