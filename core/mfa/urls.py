"""``/account/mfa/``: enrolment and verification of the second factor."""

from __future__ import annotations

from django.urls import path

from core.mfa import views

app_name = "mfa"
urlpatterns = [
    path("setup/", views.setup, name="setup"),
    path("verify/", views.verify, name="verify"),
]
