from __future__ import annotations

import factory

from discovery.models import LogSource


class LogSourceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LogSource

    name = factory.Sequence(lambda n: f"Proxy {n}")
    log_format = "squid"
