"""LTI 1.3 in the app: storage of registrations, keys, nonces and identities; the login/launch/registration
and deep-linking endpoints; the course pages per role; AGS grades and NRPS roster; the CLI.

Other blueprints use :func:`require_role`, :func:`current_user` and :func:`course_or_404` to guard course
data, and :func:`push_unit_grades` / :func:`sync_roster` to talk to the platform."""

from __future__ import annotations

from plugin.launch.access import AccessDenied, course_or_404, current_user, require_role, require_user, roles_in
from plugin.launch.commands import keys, platforms
from plugin.launch.service import GradePush, push_unit_grades, sync_roster
from plugin.launch.web import init_launch

__all__ = [
    "AccessDenied", "GradePush", "course_or_404", "current_user", "init_launch", "keys", "platforms",
    "push_unit_grades", "require_role", "require_user", "roles_in", "sync_roster",
]
