"""The paths alerting and the outbox had under ``/api/v1/discovery/`` before they became apps of their own, kept
as aliases of the same views (mounted there by ``config.urls``; marked deprecated in the OpenAPI schema):

=================================  =====================================
old (deprecated alias)             new
=================================  =====================================
/api/v1/discovery/alert-rules/     /api/v1/alerts/rules/
/api/v1/discovery/alerts/          /api/v1/alerts/alerts/
/api/v1/discovery/silences/        /api/v1/alerts/silences/
/api/v1/discovery/channels/        /api/v1/notifications/channels/
/api/v1/discovery/deliveries/      /api/v1/notifications/deliveries/
=================================  =====================================

Same permissions and bodies as the new paths, with two changes the move brought: a channel no longer lists
``rules`` (a rule lists its ``channels``), and a delivery no longer has ``alert`` and ``notification`` (its
``target_type``/``target_id`` say which alert, its ``event_key`` which notification).
"""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, extend_schema_view
from rest_framework.routers import SimpleRouter

from alerts.api.views import AlertRuleViewSet, AlertViewSet, SilenceViewSet
from notifications.api.views import ChannelViewSet, DeliveryViewSet

DEPRECATED = extend_schema(deprecated=True, tags=["discovery (deprecated alert and notification aliases)"])
_CRUD = dict.fromkeys(("list", "retrieve", "create", "update", "partial_update", "destroy"), DEPRECATED)


@extend_schema_view(**_CRUD)
class LegacyAlertRuleViewSet(AlertRuleViewSet):
    """Alias of :class:`AlertRuleViewSet` at ``/api/v1/discovery/alert-rules/``."""


@extend_schema_view(
    list=DEPRECATED,
    retrieve=DEPRECATED,
    transition=DEPRECATED,
    assign=DEPRECATED,
    comment=DEPRECATED,
    comments=DEPRECATED,
    bulk=DEPRECATED,
)
class LegacyAlertViewSet(AlertViewSet):
    """Alias of :class:`AlertViewSet` at ``/api/v1/discovery/alerts/``."""


@extend_schema_view(**_CRUD)
class LegacySilenceViewSet(SilenceViewSet):
    """Alias of :class:`SilenceViewSet` at ``/api/v1/discovery/silences/``."""


@extend_schema_view(**_CRUD)
class LegacyChannelViewSet(ChannelViewSet):
    """Alias of :class:`ChannelViewSet` at ``/api/v1/discovery/channels/``."""


@extend_schema_view(list=DEPRECATED, retrieve=DEPRECATED, resend=DEPRECATED)
class LegacyDeliveryViewSet(DeliveryViewSet):
    """Alias of :class:`DeliveryViewSet` at ``/api/v1/discovery/deliveries/``."""


app_name = "discovery-alerts-legacy"
# a SimpleRouter: no API root view, which would shadow the discovery API root at the same prefix
router = SimpleRouter()
router.register("alert-rules", LegacyAlertRuleViewSet, basename="alertrule")
router.register("alerts", LegacyAlertViewSet, basename="alert")
router.register("silences", LegacySilenceViewSet, basename="silence")
router.register("channels", LegacyChannelViewSet, basename="channel")
router.register("deliveries", LegacyDeliveryViewSet, basename="delivery")
urlpatterns = router.urls
