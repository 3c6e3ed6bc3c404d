"""The single exception type raised by the xAPI validators."""

from __future__ import annotations


class StatementError(ValueError):
    """A statement (or parameter) violates the xAPI specification.

    ``path`` locates the offending value ("actor.mbox", "[3].context.team",
    "context.contextActivities.parent[0].id"); it is empty only when the
    document itself (the root) is wrong.  The HTTP layer answers with ``status``: 400, or 403 when a
    credential binding or a statement guard refuses what this client may not write.
    """

    def __init__(self, path: str, message: str, *, status: int = 400) -> None:
        super().__init__(f"{path}: {message}" if path else message)
        self.path = path
        self.message = message
        self.status = status

    def prefixed(self, prefix: str) -> StatementError:
        """The same error located inside a container (e.g. a batch element)."""
        if not self.path:
            return StatementError(prefix, self.message, status=self.status)
        sep = "" if self.path.startswith("[") else "."
        return StatementError(f"{prefix}{sep}{self.path}", self.message, status=self.status)
