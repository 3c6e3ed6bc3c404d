"""Moodle's "Manage tools" admin page, as far as dynamic registration goes: the administrator pastes the tool's
registration URL and presses "Add LTI Advantage"; Moodle opens ``startltiadvregistration.php`` in an iframe of
its own page, which redirects to the tool with ``openid_configuration`` and ``registration_token``; when the
tool posts ``org.imsglobal.lti.close`` the dialog closes and the new tool is listed as Pending until the
administrator presses Activate. The page lives on the platform's origin, never the tool's, as in Moodle."""

from __future__ import annotations

import html

from flask import Flask, abort, jsonify, redirect, request
from werkzeug.wrappers import Response

from plugin.demo.moodle import MoodlePlatform

__all__ = ["MANAGE_TOOLS", "add_admin_pages"]

MANAGE_TOOLS = "/mod/lti/toolconfigure.php"

_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Manage tools</title></head><body>
<h1>Manage tools</h1>
<label>Tool URL <input id="tool-url" size="60"></label> <button id="add">Add LTI Advantage</button>
<div id="dialog"></div>
<ul id="tools">{tools}</ul>
<script>
document.getElementById('add').addEventListener('click', () => {{
  const frame = document.createElement('iframe');
  frame.id = 'registration';
  frame.width = 800; frame.height = 400;
  frame.src = 'startltiadvregistration.php?url=' + encodeURIComponent(document.getElementById('tool-url').value);
  document.getElementById('dialog').replaceChildren(frame);
}});
window.addEventListener('message', (event) => {{
  if (event.data && event.data.subject === 'org.imsglobal.lti.close') {{
    document.getElementById('dialog').replaceChildren();
    location.reload();
  }}
}});
</script></body></html>"""


def add_admin_pages(app: Flask, platform: MoodlePlatform) -> None:
    @app.get(MANAGE_TOOLS)
    def manage_tools() -> str:
        rows = "".join(
            f'<li data-client-id="{html.escape(tool.client_id)}">{html.escape(str(tool.config.get("client_name", "")))}'
            f' <span class="state">{"Pending" if tool.state == "pending" else "Active"}</span>'
            f'<form method="post" action="activate.php"><input type="hidden" name="client_id" '
            f'value="{html.escape(tool.client_id)}"><button>Activate</button></form></li>'
            for tool in platform.tools.values() if tool.config)
        return _PAGE.format(tools=rows)

    @app.get("/mod/lti/startltiadvregistration.php")
    def start_registration() -> Response:
        url = request.args.get("url", "")
        if not url.startswith(("http://", "https://")):
            abort(400, "url: not a tool URL")
        return redirect(platform.start_registration(url), code=303)

    @app.post("/mod/lti/activate.php")
    def activate() -> Response:
        tool = platform.tools.get(request.form.get("client_id", "")) or abort(404)
        tool.state = "configured"
        return redirect(MANAGE_TOOLS, code=303)

    @app.get("/mod/lti/tools.json")
    def tools() -> Response:
        return jsonify({tool.client_id: tool.state for tool in platform.tools.values()})
