"""Platform public keys, fetched from the registration's ``key_set_url`` and picked by ``kid``
(Security Framework §6.3: the JWT header's ``kid`` names the key; keys rotate).

Why not ``PyJWKClient.get_signing_key`` directly: it refreshes the set on an unknown ``kid`` only when the
last fetch is older than ``cooldown_duration`` (30 s by default in PyJWT 2.1x), and with
``cache_keys=True`` it memoises key-by-kid forever. A platform that rotates its key just after we fetched
would be refused for half a minute, and a reused kid would stick. So we keep PyJWKClient for fetching
and caching the *set* (with ``lifespan`` and a timeout), and do the single refetch on a miss ourselves,
with our own (shorter, configurable) cooldown against kid-spraying requests."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import jwt
from jwt import PyJWK, PyJWKClient

from lti.errors import LaunchError
from lti.model import Registration

__all__ = ["KeyResolver"]


class KeyResolver:
    """One cached PyJWKClient per key-set URL; ``key_for`` returns the RSA public key for a ``kid``."""

    def __init__(
        self,
        *,
        lifespan: float = 300.0,
        timeout: float = 5.0,
        refetch_cooldown: float = 2.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.lifespan = lifespan
        self.timeout = timeout
        self.refetch_cooldown = refetch_cooldown
        self._clock = clock
        self._clients: dict[str, PyJWKClient] = {}
        self._last_refetch: dict[str, float] = {}
        self._lock = threading.Lock()

    def _client(self, url: str) -> PyJWKClient:
        with self._lock:
            client = self._clients.get(url)
            if client is None:
                client = PyJWKClient(url, cache_keys=False, cache_jwk_set=True, lifespan=self.lifespan,
                                     timeout=self.timeout)
                self._clients[url] = client
            return client

    def _keys(self, url: str, *, refresh: bool) -> list[PyJWK]:
        try:
            return self._client(url).get_signing_keys(refresh=refresh)
        except jwt.PyJWKClientConnectionError as exc:
            raise LaunchError("jwks_unreachable", f"Could not fetch the platform's public keys from {url}: "
                              "check the 'Public keyset URL' of this platform and that it is reachable.") from exc
        except jwt.PyJWKClientError as exc:
            raise LaunchError("jwks_invalid", f"The platform's key set at {url} holds no usable signing keys.") \
                from exc

    def _may_refetch(self, url: str) -> bool:
        with self._lock:
            now = self._clock()
            last = self._last_refetch.get(url)
            if last is not None and now - last < self.refetch_cooldown:
                return False
            self._last_refetch[url] = now
            return True

    def key_for(self, registration: Registration, kid: str) -> object:
        """The public key object for ``kid``; on a miss the key set is fetched again once (the platform
        may have rotated), then the kid is refused with ``unknown_kid``."""
        url = registration.key_set_url
        found = PyJWKClient.match_kid(self._keys(url, refresh=False), kid)
        if found is None and self._may_refetch(url):
            found = PyJWKClient.match_kid(self._keys(url, refresh=True), kid)
        if found is None:
            raise LaunchError("unknown_kid", f"The launch was signed with key '{kid}', which the platform does not "
                              f"publish at {url}.")
        if found.key_type != "RSA":
            raise LaunchError("alg_not_allowed", f"Key '{kid}' is not an RSA key; LTI 1.3 launches use RS256.")
        return found.key
