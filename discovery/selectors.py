"""Reads for shadow-AI discovery: catalog and policy lookups, batches and usage analytics."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import Count, Max, Min, Q, QuerySet, Sum
from django.utils import timezone

from discovery.blocklist import BlocklistFormat, render
from discovery.catalog import CatalogMatcher
from discovery.choices import UNCOUNTED_BATCH_STATUSES, BatchStatus, ChunkStatus, PolicyStatus, RuleType
from discovery.constants import ALIAS_QUERY_SUBJECTS
from discovery.ingest import catalog_snapshot, resolve_policy
from discovery.models import (
    AIService,
    AIServiceRule,
    LogBatch,
    LogChunk,
    LogSource,
    Pseudonym,
    PseudonymRotation,
    ServicePromotion,
    UsageRecord,
)


def log_source_list() -> QuerySet[LogSource]:
    return LogSource.objects.all()


def log_batch_list() -> QuerySet[LogBatch]:
    return LogBatch.objects.select_related("source", "uploaded_by", "duplicate_of__source")


@dataclass
class SourceIngestStats:
    """What ingestion of one log source looks like now (for ``/metrics``)."""

    source: str
    #: batches per status, every :class:`BatchStatus` present (0 when none)
    batches: dict[str, int] = field(default_factory=dict)
    #: chunks waiting in the queue (``pending``) and being worked on (``processing``)
    chunks: dict[str, int] = field(default_factory=dict)
    #: lines (capture records) read and found malformed, summed over the counted batches' stored totals
    lines_read: int = 0
    lines_malformed: int = 0
    #: the newest event time in the ingested data, and when the last batch that ingested anything finished
    last_data_at: datetime | None = None
    last_batch_finished_at: datetime | None = None


#: chunk statuses that are ingestion backlog
_BACKLOG_CHUNK_STATUSES = (ChunkStatus.PENDING, ChunkStatus.PROCESSING)


def ingest_source_stats() -> list[SourceIngestStats]:
    """Per log source (every one, by name): batches by status, the chunk backlog, lines read and malformed, the
    newest data and the last finished batch. Four grouped queries, whatever the number of sources or batches.

    Duplicate batches and batches awaiting confirmation count nothing (their content was counted elsewhere), so
    they add no lines and no data time; a batch "finished" for the lag when it ended ``done`` or ``partial``."""
    stats = {name: SourceIngestStats(source=name) for name in LogSource.objects.values_list("name", flat=True)}
    for entry in stats.values():
        entry.batches = dict.fromkeys(BatchStatus.values, 0)
        entry.chunks = dict.fromkeys(_BACKLOG_CHUNK_STATUSES, 0)
    for name, status, n in LogBatch.objects.values_list("source__name", "status").annotate(n=Count("id")).order_by():
        stats[name].batches[status] = n
    totals = (
        LogBatch.objects.exclude(status__in=UNCOUNTED_BATCH_STATUSES)
        .values("source__name")
        .annotate(
            read=Sum("records_read"),
            malformed=Sum("records_malformed"),
            last_data=Max("last_seen"),
            last_finished=Max("finished_at", filter=Q(status__in=[BatchStatus.DONE, BatchStatus.PARTIAL])),
        )
        .order_by()
    )
    for total in totals:
        entry = stats[total["source__name"]]
        entry.lines_read = total["read"] or 0
        entry.lines_malformed = total["malformed"] or 0
        entry.last_data_at = total["last_data"]
        entry.last_batch_finished_at = total["last_finished"]
    backlog = (
        LogChunk.objects.filter(status__in=_BACKLOG_CHUNK_STATUSES)
        .values_list("batch__source__name", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for name, status, n in backlog:
        stats[name].chunks[status] = n
    return list(stats.values())


def ai_service_list() -> QuerySet[AIService]:
    return AIService.objects.prefetch_related("rules", "policy_exceptions")


def ai_service_for_domain(*, domain: str, url: str | None = None) -> AIService | None:
    """The catalogued service a host (and optional URL) belongs to, by the same matcher ingestion uses."""
    matcher: CatalogMatcher = catalog_snapshot().matcher
    hit = matcher.match(domain, url)
    if hit is None or hit.telemetry:
        return None
    return AIService.objects.filter(slug=hit.service_slug).first()


def ai_service_policy_for(*, service: AIService, department: str = "", groups: Iterable[str] = ()) -> str:
    """The policy that applies to ``service`` for someone in ``department`` / ``groups``.

    A department exception wins; else the most restrictive matching group exception; else the service's policy.
    """
    exceptions = {
        (("department", e.department) if e.department else ("group", e.group)): e.policy
        for e in service.policy_exceptions.all()
    }
    return resolve_policy(service.policy, exceptions, department=department, groups=tuple(groups))


def ai_tool_is_sanctioned(
    *, domain: str | None = None, slug: str | None = None, department: str = "", groups: Iterable[str] = ()
) -> bool:
    """True only if the service (by host or slug) is catalogued and *sanctioned* for this department/groups.

    Tolerated services are not sanctioned; an uncatalogued host is not sanctioned either.
    """
    service = AIService.objects.filter(slug=slug).first() if slug else ai_service_for_domain(domain=domain or "")
    if service is None:
        return False
    return ai_service_policy_for(service=service, department=department, groups=groups) == PolicyStatus.SANCTIONED


# --- usage analytics ---------------------------------------------------------------------------------------------


def usage_filter(
    *,
    service: str | None = None,
    subject: str | None = None,
    day_from: date | None = None,
    day_to: date | None = None,
    policy: str | None = None,
    department: str | None = None,
) -> QuerySet[UsageRecord]:
    qs = UsageRecord.objects.all()
    if service:
        qs = qs.filter(service__slug=service)
    if subject:
        qs = qs.filter(subject=subject)
    if day_from:
        qs = qs.filter(day__gte=day_from)
    if day_to:
        qs = qs.filter(day__lte=day_to)
    if policy:
        qs = qs.filter(policy_status=policy)
    if department:
        qs = qs.filter(department=department)
    return qs


def _totals() -> dict[str, Any]:
    return {
        "requests": Sum("requests"),
        "upload_requests": Sum("upload_requests"),
        "dns_lookups": Sum("dns_lookups"),  # captures' DNS questions: their own count, never in ``requests``
        "bytes_up": Sum("bytes_up"),
        "bytes_down": Sum("bytes_down"),
        "first_seen": Min("first_seen"),
        "last_seen": Max("last_seen"),
    }


def usage_by_department_policy(*, service: str, day_from: date | None = None, day_to: date | None = None) -> list[Any]:
    """Usage of one service per (department, policy status) between two days (inclusive), summed, with the number
    of distinct pseudonymous subjects as ``users``: aggregated, no subject keys (what an evidence pack shows)."""
    return list(
        usage_filter(service=service, day_from=day_from, day_to=day_to)
        .values("department", "policy_status")
        .annotate(users=Count("subject", distinct=True), **_totals())
        .order_by("department", "policy_status")
    )


def usage_daily(qs: QuerySet[UsageRecord] | None = None) -> QuerySet[Any]:
    """Usage per (pseudonymous subject, service, day): the chunk-level rows summed."""
    qs = qs if qs is not None else UsageRecord.objects.all()
    return (
        qs.values("subject", "subject_kind", "department", "service__slug", "service__name", "day", "policy_status")
        .annotate(**_totals())
        .order_by("-day", "service__slug", "subject")
    )


def usage_top_services(*, since: date, limit: int = 10) -> list[Any]:
    return list(
        UsageRecord.objects.filter(day__gte=since)
        .values("service__slug", "service__name", "service__policy", "service__risk_score")
        .annotate(users=Count("subject", distinct=True), **_totals())
        .order_by("-requests")[:limit]
    )


def usage_top_subjects(*, since: date, limit: int = 10) -> list[Any]:
    return list(
        UsageRecord.objects.filter(day__gte=since)
        .values("subject", "subject_kind", "department")
        .annotate(services=Count("service", distinct=True), **_totals())
        .order_by("-bytes_up", "-requests")[:limit]
    )


def usage_top_departments(*, since: date, limit: int = 10) -> list[Any]:
    """Departments by volume sent to AI services since ``since`` (then requests): who to talk to first."""
    return list(
        UsageRecord.objects.filter(day__gte=since)
        .values("department")
        .annotate(users=Count("subject", distinct=True), services=Count("service", distinct=True), **_totals())
        .order_by("-bytes_up", "-requests")[:limit]
    )


def log_sources_freshness() -> list[dict[str, Any]]:
    """Every log source with its last upload, the newest log time it holds, batches of the last 7 days, and the
    status and error of its last batch: a source whose logs stopped coming shows here before it shows anywhere."""
    week = timezone.now() - timedelta(days=7)
    sources = LogSource.objects.annotate(
        last_upload=Max("batches__created_at"),
        last_data=Max("batches__last_seen"),
        batches_week=Count("batches", filter=Q(batches__created_at__gte=week)),
    ).order_by("name")
    last: dict[int, dict[str, Any]] = {}
    for batch in LogBatch.objects.order_by("source_id", "-created_at", "-pk").values("source_id", "status", "error"):
        last.setdefault(batch["source_id"], dict(batch))
    return [
        {
            "source": source,
            "last_upload": source.last_upload,
            "last_data": source.last_data,
            "batches_week": source.batches_week,
            "last_status": (last.get(source.pk) or {}).get("status", ""),
            "last_error": (last.get(source.pk) or {}).get("error", ""),
        }
        for source in sources
    ]


def usage_new_services(*, since: date) -> list[Any]:
    """Services first seen on or after ``since`` (never seen before it)."""
    firsts = (
        UsageRecord.objects.values("service__slug", "service__name", "service__policy")
        .annotate(first_day=Min("day"), users=Count("subject", distinct=True), requests=Sum("requests"))
        .filter(first_day__gte=since)
        .order_by("-first_day")
    )
    return list(firsts)


def usage_unsanctioned(*, since: date, limit: int = 20) -> list[Any]:
    return list(
        UsageRecord.objects.filter(day__gte=since, policy_status=PolicyStatus.UNSANCTIONED)
        .values("service__slug", "service__name", "department")
        .annotate(users=Count("subject", distinct=True), **_totals())
        .order_by("-bytes_up", "-requests")[:limit]
    )


def usage_per_day(*, since: date) -> list[Any]:
    """Requests and upload volume per day and policy status (the trend chart)."""
    return list(
        UsageRecord.objects.filter(day__gte=since)
        .values("day", "policy_status")
        .annotate(requests=Sum("requests"), bytes_up=Sum("bytes_up"))
        .order_by("day")
    )


def usage_report(*, days: int = 30, today: date | None = None) -> dict[str, Any]:
    """Everything the admin report shows, for the last ``days`` days."""
    today = today or timezone.now().date()
    since = today - timedelta(days=days)
    week = today - timedelta(days=7)
    upload = UsageRecord.objects.filter(day__gte=since).aggregate(
        bytes_up=Sum("bytes_up"), bytes_down=Sum("bytes_down"), upload_requests=Sum("upload_requests")
    )
    batches = LogBatch.objects.filter(created_at__date__gte=since).aggregate(
        n=Count("id"),
        size=Sum("size_bytes"),
        read=Sum("records_read"),
        matched=Sum("records_matched"),
        unmatched=Sum("records_unmatched"),
        malformed=Sum("records_malformed"),
    )
    return {
        "since": since,
        "today": today,
        "top_services": usage_top_services(since=since),
        "top_subjects": usage_top_subjects(since=since),
        "new_services": usage_new_services(since=week),
        "unsanctioned": usage_unsanctioned(since=since),
        "upload": {k: v or 0 for k, v in upload.items()},
        "batches": {k: v or 0 for k, v in batches.items()},
        "per_day": usage_per_day(since=since),
    }


def promotion_list() -> QuerySet[ServicePromotion]:
    return ServicePromotion.objects.select_related("service", "system", "promoted_by")


def blocklist_domains() -> list[str]:
    """Hosts of every service whose organisation-wide policy is unsanctioned, from exact and suffix rules.

    Left out, because a domain list would block more than the policy says: URL-prefix rules (a path cannot be
    expressed; ``chatgpt.com/codex`` must not block ChatGPT), weak rules (shared infrastructure), and any domain
    that is, or is a parent of, a host of a sanctioned or tolerated service."""
    host_rules = AIServiceRule.objects.filter(rule_type__in=[RuleType.EXACT, RuleType.SUFFIX], weak=False)
    blocked = set(host_rules.filter(service__policy=PolicyStatus.UNSANCTIONED).values_list("value", flat=True))
    allowed = set(host_rules.exclude(service__policy=PolicyStatus.UNSANCTIONED).values_list("value", flat=True))
    return sorted(d for d in blocked if not any(h == d or h.endswith("." + d) for h in allowed))


def blocklist_render(*, fmt: str, generated_at: datetime | None = None) -> str:
    """The block list of unsanctioned AI services in ``fmt`` (plain, squid, panos, rpz)."""
    return render(blocklist_domains(), BlocklistFormat(fmt), generated_at=generated_at)


def pseudonym_aliases(*, subjects: Collection[str]) -> dict[str, tuple[str, int]]:
    """During a key rotation, before the re-pseudonymisation converted every row: for the ``subjects`` that are one
    identity under two key versions, ``subject -> (name, key version)`` of the name stored history knows it by (its
    pseudonym under the oldest version still stored), for every name of such an identity (also those not among
    ``subjects``). Subjects with one name are absent: an empty dict outside a rotation.

    Ingestion links an old row to the identity's current pseudonym (``Pseudonym.successor``) when it meets the
    identity under the new key, so rules that compare a subject with its own past (first use, baselines) see one
    person, and their alerts keep the fingerprint they had. A few queries per :data:`ALIAS_QUERY_SUBJECTS`."""
    names = sorted(set(subjects))
    if not Pseudonym.objects.exclude(successor="").exists():
        return {}
    heads: set[str] = set()
    for start in range(0, len(names), ALIAS_QUERY_SUBJECTS):
        part = names[start : start + ALIAS_QUERY_SUBJECTS]
        heads.update(part)
        heads.update(
            Pseudonym.objects.filter(pseudonym__in=part).exclude(successor="").values_list("successor", flat=True)
        )
    groups: dict[str, list[tuple[int, str]]] = {}
    ordered = sorted(heads)
    for start in range(0, len(ordered), ALIAS_QUERY_SUBJECTS):
        for name, version, successor in Pseudonym.objects.filter(
            successor__in=ordered[start : start + ALIAS_QUERY_SUBJECTS]
        ).values_list("pseudonym", "key_version", "successor"):
            groups.setdefault(successor, []).append((version, name))
    aliases: dict[str, tuple[str, int]] = {}
    for successor, olds in groups.items():
        version, canonical = min(olds)
        for _version, name in olds:
            if name != canonical:
                aliases[name] = (canonical, version)
        aliases[successor] = (canonical, version)
    return aliases


def pseudonym_rotation_list() -> QuerySet[PseudonymRotation]:
    return PseudonymRotation.objects.select_related("started_by")
