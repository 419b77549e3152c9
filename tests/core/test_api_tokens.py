"""Personal API tokens (issue 18): self-service create/list/revoke in the API and the admin, shown once, stored
hashed, expiring, revocable, audited; Bearer (and the former Token) authentication with RFC 6750 challenges; the ops
command; and the migration of the former DRF authtoken keys."""

from __future__ import annotations

import hashlib
import importlib
import io
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
import time_machine
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from core import events, tokens
from core.exceptions import NotPermitted, ValidationFailed
from core.models import ApiToken, AuditLogEntry
from core.services import api_token_create, api_token_revoke

TOKENS = "/api/v1/tokens/"
PROTECTED = "/api/v1/core/audit-log/"  # any endpoint the personas may read


def _bearer(plaintext: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {plaintext}")
    return client


def _signed_in(user: Any) -> APIClient:
    client = APIClient()
    client.force_login(user)
    return client


# --- the token format --------------------------------------------------------------------------------------------


def test_generated_tokens_are_random_marked_and_hashed_with_sha256() -> None:
    first, second = tokens.token_generate(), tokens.token_generate()
    assert first.plaintext != second.plaintext
    assert first.plaintext.startswith("aigov_") and first.prefix == first.plaintext[:14]
    assert len(first.plaintext) >= 14 + 1 + 43  # 256-bit secret
    assert first.key_hash == hashlib.sha256(first.plaintext.encode()).hexdigest()
    assert tokens.token_is_ours(first.plaintext)
    assert not tokens.token_is_ours("eyJhbGciOiJSUzI1NiJ9.e30.sig")  # e.g. an OpenID Connect access token
    assert not tokens.token_is_ours("aigov_short")


# --- create: shown once, stored hashed, audited ------------------------------------------------------------------


def test_a_user_creates_a_token_shown_once_and_stored_only_as_its_hash(alice: Any) -> None:
    # given
    client = _signed_in(alice)
    # when
    response = client.post(TOKENS, {"name": "CI pipeline"}, format="json")
    # then the plaintext is in the create response only
    assert response.status_code == 201, response.content
    assert response["Cache-Control"] == "no-store"
    plaintext = response.json()["token"]
    assert plaintext.startswith("aigov_")
    token = ApiToken.objects.get(pk=response.json()["id"])
    assert token.user == alice and token.name == "CI pipeline"
    assert token.key_hash == hashlib.sha256(plaintext.encode()).hexdigest()
    stored = [str(v) for v in ApiToken.objects.filter(pk=token.pk).values().first().values()]
    assert all(plaintext not in value for value in stored)
    assert plaintext.startswith(token.prefix) and token.prefix != plaintext
    # ...and never again
    listed = client.get(TOKENS).json()["results"]
    assert [t["id"] for t in listed] == [token.pk] and "token" not in listed[0]
    assert "token" not in client.get(f"{TOKENS}{token.pk}/").json()
    # the default expiry
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)


def test_creating_and_revoking_write_audit_rows_without_the_secret(alice: Any) -> None:
    # given
    token, plaintext = api_token_create(user=alice, name="laptop", actor=alice)
    # when
    api_token_revoke(token=token, actor=alice, reason="laptop lost")
    api_token_revoke(token=token, actor=alice)  # a second revocation changes nothing
    # then
    rows = list(AuditLogEntry.objects.filter(target_object_id=str(token.pk)).order_by("id"))
    assert [r.event_type for r in rows] == [events.API_TOKEN_CREATED, events.API_TOKEN_REVOKED]
    assert all(r.acting_user == alice for r in rows)
    assert rows[0].extra_data["prefix"] == token.prefix and rows[1].reason == "laptop lost"
    assert all(plaintext not in str(r.extra_data) and token.key_hash not in str(r.extra_data) for r in rows)
    token.refresh_from_db()
    assert token.revoked_by == alice and token.revoked_at is not None


def test_the_expiry_is_capped_by_api_token_max_days(alice: Any, settings: Any) -> None:
    settings.API_TOKEN_MAX_DAYS = 30
    settings.API_TOKEN_DEFAULT_DAYS = 7
    client = _signed_in(alice)
    assert client.post(TOKENS, {"name": "x", "expires_in_days": 31}, format="json").status_code == 400
    too_late = (timezone.now() + timedelta(days=31)).isoformat()
    assert client.post(TOKENS, {"name": "x", "expires_at": too_late}, format="json").status_code == 400
    past = (timezone.now() - timedelta(minutes=1)).isoformat()
    refused = client.post(TOKENS, {"name": "x", "expires_at": past}, format="json")
    assert refused.status_code == 400 and refused.json()["code"] == "validation_failed"
    ok = client.post(TOKENS, {"name": "x", "expires_in_days": 30}, format="json")
    assert ok.status_code == 201
    default = client.post(TOKENS, {"name": "y"}, format="json").json()
    created = ApiToken.objects.get(pk=default["id"])
    assert abs(created.expires_at - (timezone.now() + timedelta(days=7))) < timedelta(minutes=1)
    assert not ApiToken.objects.filter(name="x").exclude(pk=ok.json()["id"]).exists()


def test_listing_tokens_costs_a_fixed_number_of_queries(alice: Any, django_assert_max_num_queries: Any) -> None:
    for n in range(5):
        api_token_create(user=alice, name=f"t{n}", actor=alice)
    client = _signed_in(alice)
    # session, user, the MFA middleware's two device look-ups, count, page, and the savepoint pair
    with django_assert_max_num_queries(8):
        response = client.get(TOKENS)
    assert response.status_code == 200 and response.json()["count"] == 5


def test_a_token_cannot_create_tokens(alice: Any) -> None:
    _, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    response = _bearer(plaintext).post(TOKENS, {"name": "more"}, format="json")
    assert response.status_code == 403 and response.json()["code"] == "not_permitted"
    assert ApiToken.objects.filter(user=alice).count() == 1


# --- authentication -----------------------------------------------------------------------------------------------


def test_a_bearer_token_authenticates_and_records_its_last_use(alice: Any) -> None:
    token, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    assert token.last_used_at is None
    response = _bearer(plaintext).get(PROTECTED)
    assert response.status_code == 200
    token.refresh_from_db()
    assert token.last_used_at is not None
    # the former DRF keyword still works
    legacy_keyword = APIClient()
    legacy_keyword.credentials(HTTP_AUTHORIZATION=f"Token {plaintext}")
    assert legacy_keyword.get(PROTECTED).status_code == 200


def test_last_use_is_written_at_most_once_a_minute(alice: Any) -> None:
    token, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    client = _bearer(plaintext)
    client.get(PROTECTED)
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    client.get(PROTECTED)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    with time_machine.travel(timezone.now() + timedelta(minutes=2)):
        client.get(PROTECTED)
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_a_token_keeps_the_owner_s_permissions(charlie: Any) -> None:
    # charlie has no role: authenticated by the token, still refused
    _, plaintext = api_token_create(user=charlie, name="ci", actor=charlie)
    assert _bearer(plaintext).get(PROTECTED).status_code == 403


def test_an_expired_token_gets_401_with_a_bearer_challenge(alice: Any) -> None:
    # given
    _, plaintext = api_token_create(
        user=alice, name="short", expires_at=timezone.now() + timedelta(days=1), actor=alice
    )
    # when
    with time_machine.travel(timezone.now() + timedelta(days=1, seconds=1)):
        response = _bearer(plaintext).get(PROTECTED)
    # then
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith('Bearer realm="api", error="invalid_token"')
    assert "expired" in response["WWW-Authenticate"]
    assert response.json()["code"] == "authentication_failed"


def test_a_revoked_token_gets_401(alice: Any) -> None:
    token, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    client = _bearer(plaintext)
    assert client.get(PROTECTED).status_code == 200
    # when it revokes itself through the API
    assert client.post(f"{TOKENS}{token.pk}/revoke/", {"reason": "rotated"}, format="json").status_code == 200
    # then
    response = client.get(PROTECTED)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"] and "revoked" in response["WWW-Authenticate"]


def test_a_token_of_a_deactivated_account_gets_401(alice: Any) -> None:
    _, plaintext = api_token_create(user=alice, name="ci", actor=alice)
    alice.is_active = False
    alice.save(update_fields=["is_active"])
    assert _bearer(plaintext).get(PROTECTED).status_code == 401


@pytest.mark.parametrize(
    "header",
    [
        "Bearer aigov_AAAAAAAA_not-a-real-secret",  # our shape, unknown
        "Token 0123456789abcdef0123456789abcdef01234567",  # unknown legacy key
        "Bearer aigov_AAAAAAAA_x extra",  # two values
    ],
)
def test_unknown_or_malformed_tokens_get_401(db: None, header: str) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)
    response = client.get(PROTECTED)
    assert response.status_code == 401
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_anonymous_and_foreign_bearer_requests_get_a_plain_bearer_challenge(db: None) -> None:
    # no header at all, and a bearer value that is not ours (left to other authentication classes, e.g. OIDC)
    foreign = APIClient()
    foreign.credentials(HTTP_AUTHORIZATION="Bearer eyJhbGciOiJSUzI1NiJ9.e30.sig")
    for response in (APIClient().get(PROTECTED), foreign.get(PROTECTED)):
        assert response.status_code == 401
        assert response["WWW-Authenticate"] == 'Bearer realm="api"'


def test_the_schema_documents_the_bearer_scheme() -> None:
    schema = SchemaGenerator().get_schema(request=None, public=True)
    assert schema["components"]["securitySchemes"]["apiToken"]["scheme"] == "bearer"
    assert {"get", "post"} <= set(schema["paths"]["/api/v1/tokens/"])
    assert "post" in schema["paths"]["/api/v1/tokens/{id}/revoke/"]


# --- ownership -----------------------------------------------------------------------------------------------------


def test_another_user_s_token_is_invisible_and_cannot_be_revoked(alice: Any, sam: Any) -> None:
    # given
    theirs, their_plaintext = api_token_create(user=sam, name="sam's", actor=sam)
    mine, _ = api_token_create(user=alice, name="alice's", actor=alice)
    client = _signed_in(alice)
    # then
    assert [t["id"] for t in client.get(TOKENS).json()["results"]] == [mine.pk]
    assert client.get(f"{TOKENS}{theirs.pk}/").status_code == 404
    assert client.post(f"{TOKENS}{theirs.pk}/revoke/", {}, format="json").status_code == 404
    with pytest.raises(NotPermitted):
        api_token_revoke(token=theirs, actor=alice)
    with pytest.raises(NotPermitted):
        api_token_create(user=sam, name="for sam", actor=alice)
    theirs.refresh_from_db()
    assert theirs.revoked_at is None
    assert _bearer(their_plaintext).get(PROTECTED).status_code == 200


def test_a_superuser_may_revoke_anyone_s_token(alice: Any, django_user_model: Any) -> None:
    root = django_user_model.objects.create_superuser(username="root", password="pw-root-pw-root")
    token, _ = api_token_create(user=alice, name="ci", actor=alice)
    api_token_revoke(token=token, actor=root, reason="offboarding")
    token.refresh_from_db()
    assert token.revoked_by == root


# --- admin ---------------------------------------------------------------------------------------------------------


def test_the_admin_lists_a_user_s_own_tokens_and_a_superuser_sees_all(
    alice: Any, sam: Any, django_user_model: Any
) -> None:
    mine, _ = api_token_create(user=alice, name="alice's", actor=alice)
    theirs, _ = api_token_create(user=sam, name="sam's", actor=sam)
    url = reverse("admin:core_apitoken_changelist")
    client = Client()
    client.force_login(alice)
    assert list(client.get(url).context["cl"].result_list) == [mine]
    assert client.get(reverse("admin:core_apitoken_change", args=[theirs.pk])).status_code != 200
    root = django_user_model.objects.create_superuser(username="root", password="pw-root-pw-root")
    client.force_login(root)
    assert set(client.get(url).context["cl"].result_list) == {mine, theirs}


def test_the_admin_creates_a_token_shown_once(alice: Any) -> None:
    client = Client()
    client.force_login(alice)
    url = reverse("admin:core_apitoken_add")
    assert client.get(url).status_code == 200
    response = client.post(url, {"name": "from the admin", "expires_in_days": "30"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    token = ApiToken.objects.get(user=alice)
    plaintext = response.context["plaintext"]
    assert plaintext in response.content.decode() and token.key_hash == tokens.token_hash(plaintext)
    assert abs(token.expires_at - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    # the list and the detail page never show it again
    assert plaintext not in client.get(reverse("admin:core_apitoken_changelist")).content.decode()
    assert plaintext not in client.get(reverse("admin:core_apitoken_change", args=[token.pk])).content.decode()
    # over the cap: the form again, no token
    refused = client.post(url, {"name": "too long", "expires_in_days": "9999"})
    assert refused.status_code == 200 and "plaintext" not in refused.context
    assert ApiToken.objects.filter(user=alice).count() == 1


def test_the_admin_revokes_only_the_user_s_own_tokens(alice: Any, sam: Any) -> None:
    mine, _ = api_token_create(user=alice, name="alice's", actor=alice)
    theirs, _ = api_token_create(user=sam, name="sam's", actor=sam)
    client = Client()
    client.force_login(alice)
    client.post(
        reverse("admin:core_apitoken_changelist"),
        {"action": "revoke_tokens", "_selected_action": [mine.pk, theirs.pk]},
    )
    mine.refresh_from_db()
    theirs.refresh_from_db()
    assert mine.revoked_at is not None and theirs.revoked_at is None


# --- ops command ---------------------------------------------------------------------------------------------------


def test_ops_create_a_token_for_a_user_with_the_command(alice: Any) -> None:
    out, err = io.StringIO(), io.StringIO()
    call_command("create_api_token", "alice", "--name", "service account", "--days", "10", stdout=out, stderr=err)
    plaintext = out.getvalue().strip()
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == tokens.token_hash(plaintext) and token.prefix in err.getvalue()
    assert _bearer(plaintext).get(PROTECTED).status_code == 200
    row = AuditLogEntry.objects.get(event_type=events.API_TOKEN_CREATED)
    assert row.acting_user is None and "create_api_token" in row.reason
    with pytest.raises(CommandError):
        call_command("create_api_token", "nobody", "--name", "x", stdout=io.StringIO(), stderr=io.StringIO())
    with pytest.raises(CommandError):
        call_command("create_api_token", "alice", "--name", "x", "--days", "100000", stdout=io.StringIO())


def test_the_service_refuses_a_blank_name(alice: Any) -> None:
    with pytest.raises(ValidationFailed):
        api_token_create(user=alice, name="  ", actor=alice)


# --- the migration of the former DRF authtoken keys ----------------------------------------------------------------

MIGRATION = importlib.import_module("core.migrations.0007_api_tokens_from_authtoken")
#: the migration uses only its schema editor's connection (SQLite's real editor refuses to open in a transaction)
_EDITOR = SimpleNamespace(connection=connection)


def test_former_authtoken_keys_become_hashed_expiring_tokens_that_keep_working(alice: Any) -> None:
    # given the table of DRF's authtoken app (no longer installed) with one plaintext key
    key = "0123456789abcdef0123456789abcdef01234567"
    issued = timezone.now() - timedelta(days=400)
    with connection.cursor() as cursor:
        cursor.execute(
            'CREATE TABLE "authtoken_token" ("key" varchar(40) PRIMARY KEY, "created" timestamp NOT NULL,'
            ' "user_id" bigint NOT NULL)'
        )
        cursor.execute('INSERT INTO "authtoken_token" VALUES (%s, %s, %s)', [key, issued, alice.pk])
    # when
    MIGRATION.forward(django_apps, _EDITOR)
    # then the key works as before, stored only hashed, with an expiry
    token = ApiToken.objects.get(user=alice)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest() and token.prefix == key[:8]
    assert abs(token.created_at - issued) < timedelta(seconds=1)
    assert abs(token.expires_at - (timezone.now() + timedelta(days=90))) < timedelta(minutes=1)
    legacy = APIClient()
    legacy.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert legacy.get(PROTECTED).status_code == 200
    with connection.cursor() as cursor:
        cursor.execute('SELECT COUNT(*) FROM "authtoken_token"')
        assert cursor.fetchone()[0] == 0  # the plaintext keys are gone
    entry = AuditLogEntry.objects.get(event_type=MIGRATION.MIGRATED_EVENT)
    assert entry.extra_data["tokens"] == 1 and entry.extra_data["users"] == ["alice"]


def test_the_migration_does_nothing_without_the_former_table(db: None) -> None:
    MIGRATION.forward(django_apps, _EDITOR)
    assert not ApiToken.objects.exists() and not AuditLogEntry.objects.exists()
