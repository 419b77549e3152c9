"""Public pages of the evidence app: the published evidence-signing keys auditors anchor offline verification on.

Public on purpose (no login): public keys are not secret, and an auditor outside the organisation must be able to
fetch them to check a pack without an account. What makes the page trustworthy is where it is served from (the
organisation's own HTTPS domain) and the fingerprint the auditor confirms through a second channel, not access
control; it reveals nothing but key ids, fingerprints and public keys.
"""

from __future__ import annotations

from importlib import resources

from django.http import Http404, HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import require_safe

from evidence.signing import key_page_url, published_keys

#: short public caching: a rotation shows within minutes, and the page is cheap
KEY_PAGE_MAX_AGE = 300


@require_safe
@cache_control(public=True, max_age=KEY_PAGE_MAX_AGE)
def evidence_keys_page(request: HttpRequest) -> HttpResponse:
    """The current and retired evidence-signing public keys with their fingerprints, and how to verify a pack."""
    return render(request, "evidence/evidence_keys.html", {"keys": published_keys(), "key_page_url": key_page_url()})


@require_safe
@cache_control(public=True, max_age=KEY_PAGE_MAX_AGE)
def evidence_key_pem(request: HttpRequest, key_id: str) -> HttpResponse:
    """One published public key as a PEM file (``aigov-evidence-<key id>.pem``)."""
    for key in published_keys():
        if key.key_id == key_id.lower():
            response = HttpResponse(key.public_key_pem, content_type="application/x-pem-file")
            response["Content-Disposition"] = f'attachment; filename="aigov-evidence-{key.key_id}.pem"'
            return response
    raise Http404("no published evidence-signing key with this id")


@require_safe
@cache_control(public=True, max_age=KEY_PAGE_MAX_AGE)
def evidence_verify_py(request: HttpRequest) -> HttpResponse:
    """The standalone verifier, served by the organisation (a copy from inside a pack could be a forger's)."""
    script = resources.files("evidence.pack").joinpath("verify_standalone.py").read_bytes()
    response = HttpResponse(script, content_type="text/x-python; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="verify.py"'
    return response


def legacy_admin_redirect(request: HttpRequest, rest: str = "") -> HttpResponse:
    """``/admin/audits/evidencepack/<rest>`` (the admin pages while packs lived in audits) -> the same page under
    ``/admin/evidence/evidencepack/``, query string kept: bookmarks and links in old e-mails keep working. 301 for
    reads; 308 otherwise, so a form POST stays a POST."""
    target = f"{reverse('admin:index')}evidence/evidencepack/{rest}"
    if request.META.get("QUERY_STRING"):
        target = f"{target}?{request.META['QUERY_STRING']}"
    status = 301 if request.method in ("GET", "HEAD") else 308
    return HttpResponsePermanentRedirect(target, status=status)
