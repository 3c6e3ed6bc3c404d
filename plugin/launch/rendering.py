"""How every page of the app is rendered: in the reader's language. It sits below the blueprints so that each
of them, the LTI endpoints among them, can use it without importing another's views."""

from __future__ import annotations

from typing import Any

from flask import render_template

from plugin.launch import i18n

__all__ = ["render"]


def render(template: str, status: int = 200, /, **context: Any) -> tuple[str, int]:
    return render_template(template, lang=i18n.current_language(), **context), status
