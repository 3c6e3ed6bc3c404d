"""The application factory: it only wires (no network, no migrations, no sleeping)."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask

from plugin.config import Config, load_config, make_private, prepare_instance
from plugin.connections import install as keep_connections
from plugin.db import init_db, make_engine
from plugin.errors import register_error_handlers
from plugin.framing import install as install_frame_policy
from plugin.launch.web import init_launch
from plugin.lrs import init_lrs
from plugin.web.blueprints import blueprints
from plugin.web.form_text import install_text_checks

__all__ = ["create_app"]


def create_app(config: Config | dict[str, Any] | None = None) -> Flask:
    """Build the app from a :class:`Config`, a dict of overrides, or the ``SAMATTHA_*`` environment."""
    if not isinstance(config, Config):
        config = load_config(**(config or {}))
    # Owner-only from here on whatever the umask, and what an earlier start left readable made so (see
    # plugin.config): the instance holds the SQLite database, its journals, uploads and packages.
    prepare_instance(config.instance_path)
    make_private(config.instance_path)
    app = Flask(__name__, instance_path=str(config.instance_path), instance_relative_config=True)
    app.config.update(
        SECRET_KEY=config.secret_key,
        SAMATTHA=config,
        TESTING=config.testing,
        JSON_SORT_KEYS=False,
        MAX_CONTENT_LENGTH=64 * 1024 * 1024,
    )
    app.json.ensure_ascii = False  # type: ignore[attr-defined]
    app.json.sort_keys = False  # type: ignore[attr-defined]
    logging.getLogger("plugin").setLevel(logging.INFO)

    init_db(app, make_engine(config.database_url))
    register_error_handlers(app)
    install_text_checks(app)
    install_frame_policy(app)
    keep_connections(app)
    init_lrs(app)
    init_launch(app)

    for blueprint in blueprints():
        app.register_blueprint(blueprint)
    return app
