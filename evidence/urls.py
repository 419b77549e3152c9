"""Public (non-API) pages of the evidence app, mounted at ``/evidence/`` in ``config/urls.py``."""

from __future__ import annotations

from django.urls import path

from evidence import views

app_name = "evidence"
urlpatterns = [
    path("keys/", views.evidence_keys_page, name="evidence-keys"),
    path("keys/verify.py", views.evidence_verify_py, name="evidence-verify-py"),
    path("keys/<str:key_id>.pem", views.evidence_key_pem, name="evidence-key-pem"),
]
