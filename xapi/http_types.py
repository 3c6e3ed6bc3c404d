"""Types the HTTP modules share: the normalised request, the HTTP error, the handler signature."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session
from werkzeug.wrappers import Response

from xapi.auth import AuthError, Principal
from xapi.limits import Limits
from xapi.service import StatementGuard

__all__ = ["Handler", "XapiError", "XapiRequest"]


class XapiError(Exception):
    """An HTTP error with a status and the parameter or header at fault."""

    def __init__(self, status: int, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.status = status
        self.path = path
        self.message = message


@dataclass
class XapiRequest:
    """One xAPI request, whether sent plainly or through the 1.0.3 alternate request syntax."""

    resource: str
    method: str
    params: dict[str, str]
    headers: dict[str, str]
    body: bytes
    version: str
    principal: Principal | None = field(default=None)
    guard: StatementGuard | None = field(default=None)
    limits: Limits = field(default_factory=Limits)

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "application/json").strip()

    def require(self, *scopes: str) -> Principal:
        """The authenticated principal, if one of ``scopes`` (or "all") allows the request (§4.2)."""
        if self.principal is None:
            raise AuthError(401, "credentials required")
        if not self.principal.allows(*scopes):
            raise AuthError(403, f"this credential lacks the scope ({' or '.join(scopes)})")
        return self.principal


Handler = Callable[[XapiRequest, Session, Callable[[], datetime]], Response]
