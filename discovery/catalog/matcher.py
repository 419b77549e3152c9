"""Match a host (and optionally a URL) against the catalog's rules. Pure Python: no Django imports.

There is **no keyword matching**: a host matches only through the rule types documented in
:mod:`discovery.catalog.model`. ``gemini._sftp-ssh._tcp.local`` is not Gemini and ``copilot.example.com``
is not Copilot.

Lookup cost does not depend on the number of rules: exact rules are one dict lookup; suffix, regex and
url rules are indexed by host label suffix, and the matcher walks the host's label suffixes
(``a.b.example.com``, ``b.example.com``, ``example.com``, ``com``) from the longest, doing one dict
lookup per level.

Precedence, most specific first:

1. ``url`` rules (only when a URL or path is given): longest host suffix first, then longest path pattern;
2. ``exact`` rules;
3. ``suffix`` and ``regex`` rules, longest first. A regex is indexed by the literal domain tail it ends
   with (``...\\.webpubsub\\.azure\\.com$`` -> ``webpubsub.azure.com``) and at equal length beats a suffix
   rule; a regex without such a tail is tried last, after every suffix level.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from discovery.catalog.model import AIService, CatalogError, DomainRule, RuleType

_PORT = re.compile(r":\d*$")
type _RegexEntry = tuple[re.Pattern[str], str, DomainRule]


@dataclass(frozen=True, slots=True)
class Match:
    """The result of a successful :meth:`CatalogMatcher.match`.

    ``telemetry`` hits must not be counted as usage; ``weak`` hits are low-confidence evidence;
    ``is_upload_endpoint`` marks a rule where files or prompts are sent.
    """

    service_slug: str
    rule: DomainRule
    rule_type: RuleType
    is_upload_endpoint: bool
    telemetry: bool
    weak: bool


def normalise_host(host: str) -> str:
    """Lower-case, strip whitespace, a trailing dot and a port, and IDNA-encode a host name.

    ``"Chat.OpenAI.com.:443"`` -> ``"chat.openai.com"``; ``"[2001:db8::1]:443"`` -> ``"2001:db8::1"``;
    a bare IPv6 address is returned unchanged (lower-cased); ``"bücher.de"`` -> ``"xn--bcher-kva.de"``.
    A name the IDNA codec rejects is returned lower-cased as it is.
    """
    host = host.strip().lower()
    if host.startswith("["):
        return host[1 : host.find("]")] if "]" in host else host[1:]
    if host.count(":") == 1:
        host = _PORT.sub("", host)
    host = host.rstrip(".")
    if not host.isascii():
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii")
    return host


def path_of(url: str) -> str:
    """Return the path of an absolute URL, a scheme-less ``host/path`` or a bare ``/path``; ``""`` if none.

    The query string and fragment are dropped. ``"https://chatgpt.com/backend-api/files?x=1"`` ->
    ``"/backend-api/files"``; ``"chatgpt.com:443"`` (a CONNECT target) -> ``""``.
    """
    if not url.startswith("/"):
        rest = url.split("://", 1)[-1]
        slash = rest.find("/")
        url = rest[slash:] if slash != -1 and "?" not in rest[:slash] and "#" not in rest[:slash] else ""
    for separator in "?#":
        url = url.split(separator, 1)[0]
    return url


def regex_anchor(pattern: str) -> str:
    """Return the literal label suffix every host matching ``pattern`` ends with, or ``""`` if none.

    Only patterns ending with ``$`` have one. ``^x-\\d+\\.webpubsub\\.azure\\.com$`` -> ``webpubsub.azure.com``;
    ``^[a-z0-9-]+-aiplatform\\.googleapis\\.com$`` -> ``googleapis.com`` (the tail up to its first dot is not a
    whole label, so it is dropped).
    """
    if not pattern.endswith("$") or pattern.endswith("\\$"):
        return ""
    tail: list[str] = []
    i = len(pattern) - 2
    while i >= 0:
        char = pattern[i]
        escaped = i >= 1 and pattern[i - 1] == "\\"
        if char == "." and escaped:
            tail.append(".")
            i -= 2
        elif (char.isalnum() or char == "-") and not escaped:
            tail.append(char)
            i -= 1
        else:
            break
    literal = "".join(reversed(tail))
    if not literal.startswith("."):
        literal = literal.partition(".")[2]
    return literal.lstrip(".")


def _url_pattern(path: str) -> re.Pattern[str]:
    """Compile a url-rule path (``*`` = one non-empty segment) to a regex matching it as a prefix."""
    return re.compile("/".join("[^/]+" if part == "*" else re.escape(part) for part in path.split("/")))


class CatalogMatcher:
    """Index the rules of some services once; then :meth:`match` hosts and URLs quickly.

    Raises :class:`CatalogError` if two services claim the same rule.
    """

    def __init__(self, services: Iterable[AIService]) -> None:
        """Build the lookup tables."""
        self._exact: dict[str, tuple[str, DomainRule]] = {}
        self._suffix: dict[str, tuple[str, DomainRule]] = {}
        self._regex: dict[str, list[_RegexEntry]] = {}
        self._unanchored: list[_RegexEntry] = []
        self._url: dict[str, list[tuple[int, re.Pattern[str], str, DomainRule]]] = {}
        owners: dict[tuple[RuleType, str], str] = {}
        for service in services:
            for rule in service.rules:
                key = (rule.rule_type, rule.value)
                if key in owners:
                    raise CatalogError(f"rule {rule} claimed by {owners[key]!r} and {service.slug!r}")
                owners[key] = service.slug
                self._add(service.slug, rule)
        for rules in self._url.values():
            rules.sort(key=lambda entry: entry[0], reverse=True)
        # One lookup per label level: (suffix rule or None, regexes anchored at that level).
        self._levels: dict[str, tuple[tuple[str, DomainRule] | None, tuple[_RegexEntry, ...]]] = {
            level: (self._suffix.get(level), tuple(self._regex.get(level, ())))
            for level in self._suffix.keys() | self._regex.keys()
        }

    def _add(self, slug: str, rule: DomainRule) -> None:
        """Put one rule into the table its type belongs to."""
        if rule.rule_type is RuleType.EXACT:
            self._exact[rule.value] = (slug, rule)
        elif rule.rule_type is RuleType.SUFFIX:
            self._suffix[rule.value] = (slug, rule)
        elif rule.rule_type is RuleType.REGEX:
            entry = (re.compile(rule.value), slug, rule)
            anchor = regex_anchor(rule.value)
            if anchor:
                self._regex.setdefault(anchor, []).append(entry)
            else:
                self._unanchored.append(entry)
        else:
            host, _, path = rule.value.partition("/")
            self._url.setdefault(host, []).append((len(path), _url_pattern("/" + path), slug, rule))

    @staticmethod
    def _result(slug: str, rule: DomainRule) -> Match:
        """Wrap a matched rule."""
        return Match(slug, rule, rule.rule_type, rule.upload, rule.telemetry, rule.weak)

    def match(self, host: str, url: str | None = None) -> Match | None:
        """Return the most specific rule matching ``host`` (and ``url``, when given), or ``None``.

        ``host`` is normalised with :func:`normalise_host`. ``url`` may be an absolute URL, a scheme-less
        ``host/path`` or just a path; only its path is used (``host`` is authoritative).
        """
        host = normalise_host(host)
        if not host:
            return None
        if url and self._url:
            hit = self._match_path(host, path_of(url))
            if hit is not None:
                return hit
        exact = self._exact.get(host)
        if exact is not None:
            return self._result(*exact)
        levels = self._levels
        level = host
        while True:
            entry = levels.get(level)
            if entry is not None:
                found, regex_entries = entry
                for pattern, slug, rule in regex_entries:
                    if pattern.match(host):
                        return self._result(slug, rule)
                if found is not None:
                    return self._result(*found)
            dot = level.find(".")
            if dot == -1:
                break
            level = level[dot + 1 :]
        for pattern, slug, rule in self._unanchored:
            if pattern.match(host):
                return self._result(slug, rule)
        return None

    def match_url(self, host: str, url: str) -> Match | None:
        """The ``url`` rule :meth:`match` would return for ``host`` and ``url``, or ``None`` when no url rule
        matches (:meth:`match` then gives what it gives for ``host`` alone): for a caller that already knows the
        host's own match and only needs to know whether a URL changes it."""
        host = normalise_host(host)
        return self._match_path(host, path_of(url)) if host and url and self._url else None

    def url_rules(self, host: str) -> list[tuple[str, Match]]:
        """The url rules that can apply to a URL of ``host``, in the order :meth:`match` tries them (longest host
        suffix first, then longest path pattern), each as the regular expression its URL's path (:func:`path_of`,
        never empty) is matched against from its start, and the match it gives: the first rule whose expression
        matches the path wins, and when none does, a URL of ``host`` matches as ``host`` alone. For callers that
        match many URLs at once (the vectorised Squid scan runs these expressions on whole columns)."""
        host = normalise_host(host)
        return [(pattern.pattern, self._result(slug, rule)) for pattern, slug, rule in self._url_levels(host)]

    def _url_levels(self, host: str) -> Iterator[tuple[re.Pattern[str], str, DomainRule]]:
        """The url rules of ``host`` and of each of its label suffixes, in the order :meth:`match` tries them."""
        level: str | None = host
        while level is not None:
            for _, pattern, slug, rule in self._url.get(level, ()):
                yield pattern, slug, rule
            dot = level.find(".")
            level = level[dot + 1 :] if dot != -1 else None

    def _match_path(self, host: str, path: str) -> Match | None:
        """The first url rule of ``host`` (normalised) matching ``path`` (none for an empty path)."""
        if path:
            for pattern, slug, rule in self._url_levels(host):
                if pattern.match(path):
                    return self._result(slug, rule)
        return None
