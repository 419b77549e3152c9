"""API conventions every endpoint shares (issue 17): an unknown ``ordering=`` term is a 400 naming the fields an
endpoint orders by (not silently ignored); a missing object is ``code: not_found`` like any other 404."""

from __future__ import annotations

from typing import Any

import pytest
from django.urls import reverse
from rest_framework.test import APIClient


@pytest.mark.django_db
@pytest.mark.parametrize("ordering", ["nope", "-nope", "name,nope", "password"])
def test_an_unknown_ordering_term_is_a_400_listing_the_fields(api: APIClient, alice: Any, ordering: str) -> None:
    api.force_authenticate(alice)
    response = api.get(reverse("governance-api:aisystem-list"), {"ordering": ordering})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid"
    assert "cannot order by" in body["ordering"][0] and "this endpoint orders by: " in body["ordering"][0]


@pytest.mark.django_db
def test_a_known_ordering_term_still_orders(api: APIClient, alice: Any) -> None:
    api.force_authenticate(alice)
    assert api.get(reverse("governance-api:aisystem-list"), {"ordering": "-name"}).status_code == 200


@pytest.mark.django_db
def test_a_missing_object_is_code_not_found(api: APIClient, alice: Any) -> None:
    api.force_authenticate(alice)
    response = api.get(reverse("governance-api:aisystem-detail", args=[987654]))
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
