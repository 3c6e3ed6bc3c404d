"""LTI 1.3 protocol (OIDC login, launch validation, JWKS, dynamic registration, deep linking, AGS, NRPS).

Never imports ``plugin`` or ``xapi``; its public surface is filled by the LTI work.
"""

from __future__ import annotations

__all__: list[str] = []
