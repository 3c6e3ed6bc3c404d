"""LTI 1.3 in the app: storage of registrations, keys, nonces and identities; the login/launch/registration
and deep-linking endpoints; the course pages per role; AGS grades and NRPS roster; the CLI.

Other blueprints guard course data with plugin.launch.access (``require_role``, ``current_user``,
``course_or_404``), render through plugin.launch.rendering and talk to the platform through
plugin.launch.service (``push_unit_grades``, ``sync_roster``). This file imports none of them: the views
import this package for ``i18n``, and a package that imported its views would import itself."""

__all__: list[str] = []
