"""Packs rendered from database data: offline verification as VERIFY.txt says, reproducibility, report content."""

from __future__ import annotations

import csv
import io
import json
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pypdf
import pytest
import time_machine
from django.utils import timezone

from evidence.build import evidence_pack_render, pack_created_at
from evidence.collect import Period, csv_bytes, vendor_matches
from evidence.pack import verify_pack
from evidence.signing import signing_key_load, trusted_keyring
from governance.choices import ObligationStatus
from governance.services import ai_system_update, obligation_update
from tests.evidence.pack.support import needs_tools, run_verify_txt, shell_commands, trusted_env, unzip

from .conftest import MODEL_VERSIONS, SYSTEM_NAME, World

PACK_ID = "0b7c2f8e-1111-4a2b-9c3d-000000000042"


def render(world: World, created_at: Any, **kwargs: Any) -> bytes:
    return evidence_pack_render(system=world.system, created_at=created_at, pack_id=PACK_ID, **kwargs).data


@needs_tools
def test_a_pack_from_database_data_verifies_with_the_verify_txt_commands(world: World, tmp_path: Path) -> None:
    # given
    pack = render(world, timezone.now())
    commands = shell_commands(unzip(pack)["VERIFY.txt"])
    env = trusted_env(tmp_path / "downloads", signing_key_load())
    # when
    output = run_verify_txt(tmp_path / "auditor", pack, commands, env=env)
    # then
    assert output.count("Signature Verified Successfully") == 2
    assert "data/audit_runs.csv: OK" in output and "report.pdf: OK" in output
    assert "FAILED" not in output


@needs_tools
def test_a_changed_file_fails_sha256sum_as_verify_txt_says(world: World, tmp_path: Path) -> None:
    # given
    pack = render(world, timezone.now())
    commands = shell_commands(unzip(pack)["VERIFY.txt"])
    tampered_commands = [*commands[:1], "printf x >> data/findings.csv", *commands[1:]]
    # when / then
    with pytest.raises(subprocess.CalledProcessError) as failure:
        run_verify_txt(
            tmp_path / "auditor", pack, tampered_commands, env=trusted_env(tmp_path / "downloads", signing_key_load())
        )
    assert "data/findings.csv: FAILED" in failure.value.stdout


def test_building_twice_from_the_same_state_gives_identical_bytes(world: World) -> None:
    # given
    created_at = timezone.now()
    # when
    first, second = render(world, created_at), render(world, created_at)
    # then
    assert first == second


def test_later_changes_do_not_change_a_pack_for_an_earlier_time(world: World, alice: Any) -> None:
    # given
    created_at = pack_created_at(timezone.now())
    before = render(world, created_at)
    # when the system and an obligation change afterwards
    with_later_time = created_at + timedelta(seconds=5)
    obligation = world.system.obligations.order_by("-applies_from").first()
    assert obligation is not None
    with time_machine.travel(with_later_time):
        ai_system_update(system=world.system, actor=alice, reason="renamed", data={"business_unit": "Support"})
        obligation_update(obligation=obligation, actor=alice, reason="started", data={"status": "in_progress"})
    # then
    assert render(world, created_at) == before
    assert render(world, with_later_time + timedelta(seconds=1)) != before


def test_the_pack_holds_the_data_files_charts_and_audit_trail(world: World) -> None:
    # given / when
    entries = unzip(render(world, timezone.now()))
    # then
    for name in (
        "report.pdf",
        "data/system.json",
        "data/classification.json",
        "data/obligations.csv",
        "data/audit_runs.csv",
        "data/audit_groups.csv",
        "data/audit_verdicts.csv",
        "data/findings.csv",
        "data/shadow_ai.csv",
        "audit_trail.csv",
        "audit_trail.json",
    ):
        assert name in entries, name
    assert any(n.startswith("charts/run-") and n.endswith(".svg") for n in entries)
    assert any(n.startswith("charts/trend-") and n.endswith(".png") for n in entries)
    assert f"data/audit_results/run-{world.runs[1].pk}.json" in entries
    manifest = json.loads(entries["manifest.json"])
    assert manifest["pack"]["law_version"] == json.loads(entries["data/classification.json"])["law_version"]
    assert manifest["pack"]["subject"]["ai_system"] == SYSTEM_NAME
    assert manifest["timestamp"]["status"] == "none"
    trail = json.loads(entries["audit_trail.json"])
    events = {row["event"] for row in trail}
    assert {"governance.ai_system.classified", "audits.audit_run.scheduled", "created", "changed"} <= events
    assert "Signed instructions for use" in entries["data/obligations.csv"].decode()


def test_the_shadow_ai_section_aggregates_the_vendor_usage_without_user_keys(world: World) -> None:
    # given / when
    entries = unzip(render(world, timezone.now()))
    # then
    usage = json.loads(entries["data/shadow_ai.json"])
    assert {row["service"] for row in usage["usage"]} == {"chatgpt"}
    assert "subject" not in entries["data/shadow_ai.csv"].decode().splitlines()[0]
    assert sum(row["requests"] for row in usage["usage"]) == 2


def test_the_report_opens_and_holds_the_system_name_and_verdicts(world: World) -> None:
    # given / when
    pdf = unzip(render(world, timezone.now()))["report.pdf"]
    # then
    text = "".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(pdf)).pages)
    assert SYSTEM_NAME in text
    assert "FAIL" in text  # the failing second run's verdict
    assert "Four-fifths check" in text
    assert "Art. 6(2)" in text  # classification route with its rationale
    assert "ChatGPT" in text
    # the classification left questions open, and the report says which
    assert "incomplete: high as answered" in text
    assert "Open questions" in text
    assert "transition.placed_on_market_on" in text.replace("\n", "")


def test_the_report_is_dated_by_the_pack_and_numbers_its_pages(world: World) -> None:
    # given a pack made at a known time
    created = datetime(2026, 4, 2, 9, 30, 15, tzinfo=UTC)
    # when
    pdf = unzip(render(world, created))["report.pdf"]
    reader = pypdf.PdfReader(io.BytesIO(pdf))
    # then the PDF's dates are the pack's (not 2000-01-01), and every page says which of how many it is
    assert reader.metadata["/CreationDate"].startswith("D:20260402093015")
    total = len(reader.pages)
    assert total > 1
    for number, page in enumerate(reader.pages, start=1):
        assert f"page {number} of {total}" in page.extract_text()
    # and the same pack gives the same bytes
    assert unzip(render(world, created))["report.pdf"] == pdf


def test_a_run_pack_holds_only_that_run(world: World) -> None:
    # given
    run = world.runs[0]
    # when
    entries = unzip(render(world, timezone.now(), run=run))
    # then
    runs_csv = entries["data/audit_runs.csv"].decode().splitlines()
    assert len(runs_csv) == 2 and runs_csv[1].startswith(f"{run.pk},")
    manifest = json.loads(entries["manifest.json"])
    assert manifest["pack"]["subject"]["audit_run_id"] == run.pk


def test_a_period_pack_leaves_out_runs_outside_the_period(world: World) -> None:
    # given
    period = Period.parse("2026-02-01:2026-02-28")
    # when
    entries = unzip(render(world, timezone.now(), period=period))
    # then
    runs_csv = entries["data/audit_runs.csv"].decode().splitlines()
    assert [line.split(",")[0] for line in runs_csv[1:]] == [str(world.runs[1].pk)]
    assert json.loads(entries["manifest.json"])["pack"]["period"] == {"start": "2026-02-01", "end": "2026-02-28"}


def test_a_pack_verifies_server_side_against_the_keyring(world: World) -> None:
    # given / when
    report = verify_pack(render(world, timezone.now()), trusted_keys=trusted_keyring())
    # then
    assert report.ok and report.key_trusted


def test_obligation_status_in_the_pack_is_the_status_at_pack_time(world: World, alice: Any) -> None:
    # given
    obligation = world.system.obligations.filter(status=ObligationStatus.DONE).get()
    # when
    entries = unzip(render(world, timezone.now()))
    # then
    rows = json.loads(entries["data/obligations.json"])
    assert next(r for r in rows if r["obligation_id"] == obligation.obligation_id)["status"] == "done"


@pytest.mark.parametrize(
    ("cell", "written"),
    [("=HYPERLINK(1)", "'=HYPERLINK(1)"), ("@SUM(A1)", "'@SUM(A1)"), ("-0.25", "-0.25"), ("plain", "plain")],
)
def test_csv_cells_that_spreadsheets_would_run_as_formulas_are_escaped(cell: str, written: str) -> None:
    # when
    data = csv_bytes(["value"], [[cell]]).decode()
    # then
    assert data.splitlines()[1].strip('"') == written


@pytest.mark.parametrize(
    ("system_vendor", "service_vendor", "match"),
    [
        ("OpenAI (via Azure OpenAI)", "OpenAI", True),
        ("Mistral AI (model), built in-house", "Mistral AI", True),
        ("TalentRank BV", "OpenAI", False),
        ("AI", "AI", False),
    ],
)
def test_vendor_matching(system_vendor: str, service_vendor: str, match: bool) -> None:
    assert vendor_matches(system_vendor, service_vendor) is match


def test_each_run_row_names_the_model_version_it_audited(world: World) -> None:
    # when
    rows = list(csv.DictReader(io.StringIO(unzip(render(world, timezone.now()))["data/audit_runs.csv"].decode())))
    # then
    assert [(row["verdict"], row["model_version"]) for row in rows] == [
        ("pass", MODEL_VERSIONS[0]),
        ("fail", MODEL_VERSIONS[1]),
    ]
