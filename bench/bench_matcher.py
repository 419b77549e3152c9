"""Benchmark: CatalogMatcher vs a naive loop over every rule with ``endswith``.

Usage: ``.venv/bin/python bench/bench_matcher.py [--hosts 1000000] [--seed 7]``

Generates synthetic hosts (about 30% sub-hosts of catalogued domains, 10% dot-boundary look-alikes such as
``notopenai.com``, 60% unrelated hosts), checks that both matchers agree on a sample, then times both on the
same host list and prints hosts/s and the speed-up.
"""

from __future__ import annotations

import argparse
import random
import re
import string
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from discovery.catalog import AIService, CatalogMatcher, RuleType, load_catalog

TLDS = ("com", "net", "org", "io", "de", "co.uk", "example", "local", "cn")


class NaiveMatcher:
    """Loop over all host rules for every host: exact wins, else the longest dot-boundary suffix or regex."""

    def __init__(self, services: list[AIService]) -> None:
        """Flatten the host rules of all services into one list."""
        self.rules: list[tuple[RuleType, str, str, re.Pattern[str] | None, str]] = []
        for service in services:
            for rule in service.domains:
                pattern = re.compile(rule.value) if rule.rule_type is RuleType.REGEX else None
                self.rules.append((rule.rule_type, rule.value, "." + rule.value, pattern, service.slug))

    def match(self, host: str) -> str | None:
        """Return the slug of the best rule for ``host``, or ``None``."""
        best: str | None = None
        best_len = -1
        for rule_type, value, dotted, pattern, slug in self.rules:
            if rule_type is RuleType.EXACT:
                if host == value:
                    return slug
            elif rule_type is RuleType.SUFFIX:
                if (host == value or host.endswith(dotted)) and len(value) > best_len:
                    best, best_len = slug, len(value)
            elif pattern is not None and pattern.match(host) and best_len < 0:
                best = slug
        return best


def _label(rng: random.Random) -> str:
    return "".join(rng.choices(string.ascii_lowercase + string.digits, k=rng.randint(3, 12)))


def synthetic_hosts(services: list[AIService], count: int, seed: int) -> list[str]:
    """Build ``count`` hosts: AI sub-hosts, look-alikes and unrelated names, shuffled deterministically."""
    rng = random.Random(seed)
    values = [r.value for s in services for r in s.domains if r.rule_type is not RuleType.REGEX]
    hosts: list[str] = []
    for _ in range(count):
        roll = rng.random()
        if roll < 0.3:
            hosts.append(f"{_label(rng)}.{rng.choice(values)}")
        elif roll < 0.4:
            hosts.append(f"{_label(rng)}{rng.choice(values)}")  # no dot boundary: must not match
        else:
            hosts.append(".".join([_label(rng) for _ in range(rng.randint(1, 3))] + [rng.choice(TLDS)]))
    return hosts


def rate(match: object, hosts: list[str]) -> tuple[float, int]:
    """Time ``match`` over ``hosts``; return (hosts per second, number of matches)."""
    fn = match  # local for speed
    start = time.perf_counter()
    hits = sum(1 for host in hosts if fn(host) is not None)  # type: ignore[operator]
    return len(hosts) / (time.perf_counter() - start), hits


def main() -> None:
    """Run the benchmark and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--hosts", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()

    services = load_catalog()
    fast, naive = CatalogMatcher(services), NaiveMatcher(services)
    hosts = synthetic_hosts(services, args.hosts, args.seed)
    print(f"{len(services)} services, {len(naive.rules)} host rules, {len(hosts):,} synthetic hosts")

    for host in hosts[:20_000]:
        hit = fast.match(host)
        assert (hit.service_slug if hit else None) == naive.match(host), host

    fast_rate, fast_hits = rate(fast.match, hosts)
    print(f"CatalogMatcher: {fast_rate:>12,.0f} hosts/s ({fast_hits:,} matches)")
    naive_rate, naive_hits = rate(naive.match, hosts)
    print(f"naive endswith: {naive_rate:>12,.0f} hosts/s ({naive_hits:,} matches)")
    print(f"speed-up:       {fast_rate / naive_rate:>12,.1f}x")


if __name__ == "__main__":
    main()
