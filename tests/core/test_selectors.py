"""Selectors of shared infrastructure: usernames of accounts by id."""

from __future__ import annotations

from typing import Any

import pytest

from core.selectors import usernames_by_id

pytestmark = pytest.mark.django_db


def test_usernames_by_id_names_the_existing_accounts_and_skips_the_rest(alice: Any, sam: Any) -> None:
    gone = alice.pk + sam.pk + 1000

    assert usernames_by_id(user_ids=[alice.pk, sam.pk, alice.pk, gone, None]) == {
        alice.pk: alice.get_username(),
        sam.pk: sam.get_username(),
    }


def test_usernames_by_id_of_no_ids_asks_nothing(django_assert_num_queries: Any) -> None:
    with django_assert_num_queries(0):
        assert usernames_by_id(user_ids=[]) == {}
