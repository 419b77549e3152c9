from __future__ import annotations

from rest_framework.routers import DefaultRouter

from notifications.api.views import ChannelViewSet, DeliveryViewSet

app_name = "notifications-api"
router = DefaultRouter()
router.register("channels", ChannelViewSet, basename="channel")
router.register("deliveries", DeliveryViewSet, basename="delivery")
urlpatterns = router.urls
