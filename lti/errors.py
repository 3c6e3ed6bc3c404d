"""Typed LTI errors. Each carries a stable short ``code`` (for logs, tests and the plugin's error page)
and a ``message`` written for a Moodle administrator, not for a JOSE expert."""

from __future__ import annotations

__all__ = ["DeepLinkingError", "LaunchError", "LoginError", "LtiError", "RegistrationError", "ServiceError"]


class LtiError(Exception):
    """Base of every error the ``lti`` package raises on purpose."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message


class LoginError(LtiError):
    """The third-party initiated login request cannot be honoured (LTI Core 1.3 §5.1.1)."""


class LaunchError(LtiError):
    """The id_token of a launch was refused (1EdTech Security Framework §5.1.3, LTI Core 1.3 §5.3-5.4)."""


class DeepLinkingError(LtiError):
    """A Deep Linking 2.0 response cannot be built from what the platform asked for."""


class RegistrationError(LtiError):
    """LTI Dynamic Registration 1.0 failed: bad platform configuration or a refused registration."""


class ServiceError(LtiError):
    """A call to a platform service (token endpoint, AGS, NRPS) failed; names the URL and HTTP status."""

    def __init__(self, code: str, message: str, *, url: str = "", status: int | None = None) -> None:
        super().__init__(code, message)
        self.url = url
        self.status = status
