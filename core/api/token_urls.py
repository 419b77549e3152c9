"""``/api/v1/tokens/``: the caller's own API tokens (see :mod:`core.api.tokens`)."""

from __future__ import annotations

from rest_framework.routers import SimpleRouter

from core.api.tokens import ApiTokenViewSet

app_name = "tokens-api"
router = SimpleRouter()
router.register("tokens", ApiTokenViewSet, basename="apitoken")
urlpatterns = router.urls
