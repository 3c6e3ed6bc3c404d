"""Every blueprint the app registers, in one list the factory walks."""

from __future__ import annotations

from flask import Blueprint

from plugin.content.web import bp as content
from plugin.conversations.web import bp as conversations
from plugin.learner_evidence.web import bp as learner_evidence
from plugin.mapping.editor import bp as mapping_editor
from plugin.mapping.refresh_web import bp as mapping_refresh
from plugin.portfolios.caseload_web import bp as caseload
from plugin.portfolios.web import bp as portfolios
from plugin.web.api import api
from plugin.web.coverage import bp as coverage
from plugin.web.pages import pages
from plugin.web.webservice_admin import bp as webservice_admin

__all__ = ["blueprints"]


def blueprints() -> list[Blueprint]:
    return [pages, api, coverage, mapping_editor, mapping_refresh, portfolios, caseload, content, webservice_admin,
            learner_evidence, conversations]
