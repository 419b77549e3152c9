"""The security team's home (issue 17): open alerts by severity, the latest ones, new services this week, top users
and departments by upload volume, each source's last data; linked from the admin index for who may read alerts,
next to the governance overview (each app registers its dashboard)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from alerts import services
from alerts.models import Alert
from alerts.selectors import alerts_active_by_severity
from discovery.selectors import log_sources_freshness, usage_top_departments
from tests.alerts.factories import AlertRuleFactory, add_usage
from tests.notifications.factories import ChannelFactory

pytestmark = pytest.mark.usefixtures("catalog")


def _week_of_usage() -> Alert:
    today = timezone.localdate()
    AlertRuleFactory(key="unsanctioned")
    ChannelFactory()
    add_usage("u1", "deepseek", today - timedelta(days=1), bytes_up=5_000_000)
    add_usage("u2", "deepseek", today - timedelta(days=2), bytes_up=1_000)
    now = datetime.combine(today, datetime.min.time(), tzinfo=UTC) + timedelta(hours=23)
    services.alert_rules_evaluate(since=today - timedelta(days=3), until=today, now=now)
    return Alert.objects.order_by("-last_seen").first()


def test_the_security_home_shows_what_the_team_looks_at_first(client: Client, sam: Any) -> None:
    # given a week of unsanctioned usage that raised alerts
    alert = _week_of_usage()
    assert alert is not None
    client.force_login(sam)
    # when
    response = client.get(reverse("admin:alerts_security_home"))
    # then
    html = response.content.decode()
    assert response.status_code == 200
    for section in ("alerts-by-severity", "latest-alerts", "new-services", "top-users", "top-departments", "sources"):
        assert f'id="{section}"' in html
    assert reverse("admin:alerts_alert_change", args=[alert.pk]) in html
    assert alert.service.name in html and "4.8\xa0MB" in html  # the top uploader's volume (filesizeformat)
    assert "alerts-test" in html  # the log source the usage came from


def test_the_severity_counts_list_every_severity_most_severe_first() -> None:
    alert = _week_of_usage()
    rows = alerts_active_by_severity()
    assert [r["severity"] for r in rows] == ["critical", "high", "medium", "low"]
    open_count = Alert.objects.filter(status="open").count()
    assert sum(r["open"] for r in rows) == open_count > 0
    assert next(r for r in rows if r["severity"] == alert.severity)["open"] >= 1


def test_departments_and_sources_are_summed_from_usage_and_batches() -> None:
    _week_of_usage()
    departments = usage_top_departments(since=timezone.localdate() - timedelta(days=7))
    assert sum(d["bytes_up"] for d in departments) == 5_001_000
    (source,) = [s for s in log_sources_freshness() if s["source"].name == "alerts-test"]
    assert source["batches_week"] == 1 and source["last_upload"] is not None


def test_the_admin_index_lists_the_dashboards_each_role_may_read(
    client: Client, sam: Any, alice: Any, charlie: Any
) -> None:
    home = reverse("admin:alerts_security_home")
    overview = reverse("admin:governance_overview")
    client.force_login(sam)
    html = client.get(reverse("admin:index")).content.decode()
    assert f'href="{home}"' in html
    assert html.index(f'href="{home}"') < html.index(f'href="{overview}"') if f'href="{overview}"' in html else True
    client.force_login(alice)
    assert f'href="{overview}"' in client.get(reverse("admin:index")).content.decode()
    client.force_login(charlie)
    page = client.get(reverse("admin:index")).content.decode()
    assert f'href="{home}"' not in page
    assert client.get(home).status_code in (302, 403)
