"""Limits and tables of the audits app."""

from __future__ import annotations

from audits.choices import FindingKind, RunStatus
from notifications.choices import Severity

#: Allowed run status transitions (Oscar-style pipeline). A failed run goes back to pending when retried.
AUDIT_RUN_TRANSITIONS: dict[str, set[str]] = {
    RunStatus.PENDING: {RunStatus.RUNNING},
    RunStatus.RUNNING: {RunStatus.SUCCEEDED, RunStatus.FAILED},
    RunStatus.FAILED: {RunStatus.PENDING},
    RunStatus.SUCCEEDED: set(),
}

#: Default cap on an input file or download (bytes); settings.AUDITS_MAX_INPUT_BYTES overrides it. 1 GiB of CSV is
#: roughly 50 M rows of five columns: more than any audit we expect, small enough to stop an accidental disk image.
DEFAULT_MAX_INPUT_BYTES = 1024**3

#: Default cap on rows fetched by a SQL source (settings.AUDITS_MAX_SQL_ROWS); a SQL result is held in memory.
DEFAULT_MAX_SQL_ROWS = 5_000_000

#: Rows fetched per round trip from a SQL source.
SQL_FETCH_SIZE = 50_000

#: Seconds to wait for an HTTP(S) source.
URL_TIMEOUT_SECONDS = 60

#: Bootstrap replicates for scheduled runs unless the definition says otherwise (on compressed cells: < 1 s).
DEFAULT_N_BOOT = 1000

#: How far back (minutes) a beat tick may arrive late and still map to the crontab slot it belongs to.
CRON_SLOT_LOOKBACK_MINUTES = 24 * 60

#: Group metrics charted by default (fairlearn names).
DEFAULT_CHART_METRIC = "selection_rate"

#: Severity of a finding on the alert channels (a channel's minimum severity applies; CEF 8 and 5): a failing
#: fairness verdict is a compliance issue to act on, a run that could not complete a gap in the Art. 10 record.
FINDING_NOTIFICATION_SEVERITY: dict[str, str] = {
    FindingKind.FAILING: Severity.HIGH,
    FindingKind.RUN_ERROR: Severity.MEDIUM,
}

#: A RUNNING run older than the hard task time limit plus this margin belongs to a dead worker.
STALE_RUN_MARGIN_SECONDS = 5 * 60
