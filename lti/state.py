"""The OIDC ``state`` bound to the browser (Security Framework §5.1.1.2 and OIDC Core §3.1.2.1: the
tool must check that the authentication response comes back to the browser that started the login).

The plugin sets a random *binding* value in a cookie at login initiation and sends
``sign_state(binding, ...)`` as ``state``; at launch ``check_state`` compares them. Inside Moodle's
iframe, browsers that block third-party cookies drop that cookie: the launch then arrives without it,
and the only honest remedy is to relaunch in a top-level window. ``check_state`` says when to offer that.

The state also carries a hash of the ``nonce`` sent with it, under the MAC: OIDC Core §3.1.3.7 step 11 wants the
id_token's nonce to be the one sent in *that* authentication request, so a valid, fresh id_token obtained
through another login cannot be posted with this browser's state (token injection)."""

from __future__ import annotations

import base64
import enum
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urlencode

__all__ = ["StateCheck", "StateVerdict", "check_state", "moodle_relaunch_url", "new_binding", "sign_state"]

MAX_STATE_LENGTH = 4096


class StateVerdict(enum.Enum):
    OK = "ok"
    MISMATCH = "mismatch"  # refuse: the response belongs to another browser (CSRF / login swap)
    EXPIRED = "expired"  # refuse: the login was started too long ago
    NONCE_MISMATCH = "nonce_mismatch"  # refuse: the id_token answers another login than this state's
    OPEN_IN_NEW_WINDOW = "open_in_new_window"  # cookie lost in an iframe: offer a top-level relaunch
    COOKIES_BLOCKED = "cookies_blocked"  # cookie lost even at top level: the user must allow cookies


@dataclass(frozen=True)
class StateCheck:
    verdict: StateVerdict
    relaunch_url: str | None = None

    @property
    def is_ok(self) -> bool:
        return self.verdict is StateVerdict.OK


def new_binding() -> str:
    """A random value for the browser-binding cookie (set it HttpOnly, Secure, SameSite=None: the
    launch is a cross-site POST from the platform)."""
    return secrets.token_urlsafe(24)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _mac(key: bytes, purpose: str, *parts: str) -> str:
    message = "\x1f".join((purpose, *parts)).encode("utf-8")
    return _b64(hmac.new(key, message, hashlib.sha256).digest())


def _nonce_hash(nonce: str) -> str:
    return _b64(hashlib.sha256(nonce.encode("utf-8")).digest())


def sign_state(binding: str, key: bytes, *, now: datetime, nonce: str | None = None,
               relaunch_url: str | None = None) -> str:
    """A state value: a body (time, random, the hash of the ``nonce`` sent with it, optional relaunch URL)
    with one MAC proving we issued it and one binding it to the browser's cookie value."""
    fields = {"t": int(now.timestamp()), "r": secrets.token_urlsafe(12), "u": relaunch_url,
              "n": _nonce_hash(nonce) if nonce is not None else None}
    body = _b64(json.dumps(fields, separators=(",", ":")).encode("utf-8"))
    return ".".join((body, _mac(key, "issued", body), _mac(key, "bound", body, binding)))


def _parse(state: str, key: bytes) -> tuple[str, str, dict[str, object]] | None:
    pieces = state.split(".")
    if len(state) > MAX_STATE_LENGTH or len(pieces) != 3:
        return None
    body, issued, bound = pieces
    if not hmac.compare_digest(issued, _mac(key, "issued", body)):
        return None
    try:
        data = json.loads(_unb64(body))
    except ValueError:
        return None
    return (body, bound, data) if isinstance(data, dict) else None


def check_state(
    state: str | None,
    binding: str | None,
    key: bytes,
    *,
    now: datetime,
    document_target: str | None,
    nonce: str | None = None,
    max_age: int = 600,
) -> StateCheck:
    """Compare the returned ``state`` with the browser's binding cookie, and the (validated) id_token's
    ``nonce`` with the one the state was issued with. ``document_target`` comes from the launch: Moodle sends
    "iframe" for embedded activities and "window" for new-window ones. The nonce check fails closed: a state
    issued with a nonce needs that nonce, and a nonce needs a state issued with it."""
    parsed = _parse(state or "", key)
    if parsed is None:
        return StateCheck(StateVerdict.MISMATCH)
    body, bound, data = parsed
    raw_url = data.get("u")
    relaunch = raw_url if isinstance(raw_url, str) else None
    issued_at = data.get("t")
    if not isinstance(issued_at, int) or not 0 <= now.timestamp() - issued_at <= max_age:
        return StateCheck(StateVerdict.EXPIRED, relaunch)
    if not binding:
        embedded = document_target in ("iframe", "frame")
        verdict = StateVerdict.OPEN_IN_NEW_WINDOW if embedded and relaunch else StateVerdict.COOKIES_BLOCKED
        return StateCheck(verdict, relaunch)
    if not hmac.compare_digest(bound, _mac(key, "bound", body, binding)):
        return StateCheck(StateVerdict.MISMATCH)
    if not _same_nonce(data.get("n"), nonce):
        return StateCheck(StateVerdict.NONCE_MISMATCH)
    return StateCheck(StateVerdict.OK)


def _same_nonce(issued: object, nonce: str | None) -> bool:
    # OIDC Core §3.1.3.7 step 11. Neither side (a state issued without one, checked without one) is only the
    # protocol-level tests' case; the plugin always signs and checks with the nonce.
    if issued is None and nonce is None:
        return True
    if not isinstance(issued, str) or nonce is None:
        return False
    return hmac.compare_digest(issued, _nonce_hash(nonce))


def moodle_relaunch_url(issuer: str, lti_message_hint: str | None) -> str | None:
    """Where a top-level relaunch starts on Moodle: ``/mod/lti/launch.php?id=<cmid>``. The cmid comes from
    Moodle's JSON ``lti_message_hint``; its ``launchid`` is single-use, so the login itself cannot be
    replayed. None for deep-linking requests (no cmid) or other platforms."""
    try:
        hint = json.loads(lti_message_hint or "")
    except ValueError:
        return None
    cmid = hint.get("cmid") if isinstance(hint, dict) else None
    if isinstance(cmid, bool) or not isinstance(cmid, int | str) or not str(cmid).isdigit():
        return None
    return f"{issuer.rstrip('/')}/mod/lti/launch.php?" + urlencode({"id": str(cmid)})
