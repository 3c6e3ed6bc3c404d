"""The LTI endpoints Moodle talks to: /lti/login, /lti/launch, /lti/register, /.well-known/jwks.json and
the deep-linking selection page. Every refusal is a page that fits Moodle's iframe, says why in the
user's language with the error's code, and leaves no session and no user behind."""

from __future__ import annotations

import base64
import hashlib
import json
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, jsonify, redirect, request, session, url_for
from werkzeug.wrappers import Response

import lti
from plugin import localtime
from plugin.clock import utcnow
from plugin.content import placement
from plugin.content.web import launch_response
from plugin.db import discard_session, get_session
from plugin.errors import json_error, wants_json
from plugin.launch import access, i18n
from plugin.launch import pages as _pages  # noqa: F401 - attaches the course pages to ``bp``
from plugin.launch import service as svc
from plugin.launch.blueprint import bp
from plugin.launch.keys import current_key, published_keys
from plugin.launch.rendering import render
from plugin.models import Course
from plugin.standards import catalog

__all__ = ["init_launch"]

BINDING_COOKIE = "samattha_lti_binding"


def init_launch(app: Flask) -> None:
    """Register the blueprint, the per-process key and token caches, ``t()`` and the session cookie policy.
    Behind TLS the cookies are ``SameSite=None; Secure``: the launch is a cross-site POST into an iframe."""
    app.extensions["samattha.lti_keys"] = lti.KeyResolver()
    app.extensions["samattha.lti_tokens"] = lti.TokenCache()
    if _is_https(app):
        app.config.update(SESSION_COOKIE_SAMESITE="None", SESSION_COOKIE_SECURE=True)
    i18n.install(app)
    localtime.install(app)
    app.register_blueprint(bp)


def _is_https(app: Flask) -> bool:
    return str(app.config["SAMATTHA"].base_url).startswith("https://")


def _base_url() -> str:
    return str(current_app.config["SAMATTHA"].base_url)


def _state_key() -> bytes:
    # A key of its own, derived from the app secret: a state MAC is never valid as a session signature.
    return hashlib.sha256(b"samattha/lti-state\x00" + str(current_app.config["SECRET_KEY"]).encode()).digest()


def _peek_locale(id_token: str) -> str | None:
    """The launch_presentation.locale of a token we refused, only to choose the refusal page's language;
    nothing else is read from an unverified token."""
    try:
        payload = json.loads(base64.urlsafe_b64decode(id_token.split(".")[1] + "=="))
        return str(payload["https://purl.imsglobal.org/spec/lti/claim/launch_presentation"]["locale"])
    except (ValueError, IndexError, KeyError, TypeError):
        return None


@bp.errorhandler(lti.LtiError)
def _refused(error: lti.LtiError) -> tuple[str, int]:
    discard_session()
    if request.form.get("id_token"):
        g.lti_language = i18n.language_for(_peek_locale(request.form["id_token"]))
    return _refusal(error.code, error.message, 400)


def _refusal(code: str, english: str, status: int) -> tuple[str, int]:
    reasons = {language: i18n.reason(code, english, language) for language in (i18n.THAI, i18n.ENGLISH)}
    return render("lti/refused.html", status, code=code, reasons=reasons)


@bp.errorhandler(svc.StateRefused)
def _state_refused(error: svc.StateRefused) -> tuple[str, int]:
    # The token was good and its nonce is now spent: keep that, so it cannot be tried again elsewhere.
    get_session().commit()
    g.lti_language = i18n.language_for(error.locale)
    verdict = error.check.verdict
    if verdict is lti.StateVerdict.OPEN_IN_NEW_WINDOW:
        return render("lti/new_window.html", 401, relaunch_url=error.check.relaunch_url)
    code = {lti.StateVerdict.COOKIES_BLOCKED: "cookies_blocked", lti.StateVerdict.EXPIRED: "state_expired",
            lti.StateVerdict.NONCE_MISMATCH: "nonce_mismatch"}.get(verdict, "state_mismatch")
    english = {"cookies_blocked": "The browser did not send back the cookie set at login: allow cookies for this "
               "site and launch again.", "state_expired": "The login was started too long ago; launch again.",
               "nonce_mismatch": "The launch answers another login than the one this browser started (its nonce "
               "is not the one Samattha sent); launch again."}.get(
        code, "The launch did not come back to the browser that started it (state mismatch).")
    return _refusal(code, english, 401 if code == "cookies_blocked" else 403)


@bp.app_errorhandler(access.AccessDenied)
def _denied(error: access.AccessDenied) -> tuple[str | Response, int]:
    if wants_json():
        return json_error(error.status, error.detail or i18n.translate(f"{error.key}.lead", i18n.ENGLISH))
    return render("lti/message.html", error.status, key=error.key)


@bp.route("/lti/login", methods=["GET", "POST"])
def login() -> Response:
    """Third-party initiated login, GET or POST (LTI Core 1.3 §5.1.1); Moodle POSTs a form."""
    result = svc.login(get_session(), request.values.to_dict(), base_url=_base_url(), secret=_state_key(),
                       binding=request.cookies.get(BINDING_COOKIE), now=utcnow())
    response = redirect(result.redirect_url, code=302)
    secure = _is_https(current_app)
    response.set_cookie(BINDING_COOKIE, result.binding, max_age=86400, path="/lti/", httponly=True, secure=secure,
                        samesite="None" if secure else "Lax")
    return response


@bp.post("/lti/launch")
def launch() -> Response:
    db = get_session()
    result = svc.launch(db, request.form.to_dict(), binding=request.cookies.get(BINDING_COOKIE),
                        secret=_state_key(), keys=current_app.extensions["samattha.lti_keys"], now=utcnow())
    db.commit()
    ctx, record = result.context, result.record
    access.start_session(ctx, record.user_id, record.course_id)
    if record.language in i18n.LANGUAGES:
        session[i18n.CHOSEN_KEY] = record.language  # a language the person chose outlives Moodle's locale
    if ctx.is_deep_linking:
        session[access.DEEP_LINK_KEY] = svc.DeepLinkRequest.from_context(ctx).as_dict()
        return redirect(url_for("launch.deep_link"), code=303)
    if record.course_id is None:
        return redirect(url_for("pages.home"), code=303)
    content = launch_response(db, record.course_id, record.user_id, dict(ctx.custom), _base_url())
    if content is not None:
        return content
    return redirect(url_for("launch.course_home", course_pk=record.course_id), code=303)


@bp.get("/language")
def choose_language() -> Response:
    """The Thai/English switch on every page. The choice is kept in the session and on the person, so their
    next launch from Moodle opens in it too; then back to the page it was pressed on."""
    to = request.args.get("to", "")
    if to not in i18n.LANGUAGES:
        abort(400, description="to: choose th (ภาษาไทย) or en (English)")
    session[i18n.CHOSEN_KEY] = to
    user = access.current_user()
    if user is not None:
        user.language = to
        get_session().commit()
    return redirect(_on_this_site(request.args.get("next", "")), code=303)


def _on_this_site(target: str) -> str:
    """``next`` only as a path on this site, so the switch cannot be used to send someone elsewhere."""
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return url_for("pages.home")
    return target


@bp.get("/.well-known/jwks.json")
def jwks() -> Response:
    db = get_session()
    keys = published_keys(db, now=utcnow())
    db.commit()  # the first key is made on first need
    response = jsonify(lti.public_jwks(keys))
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


@bp.get("/lti/register")
def register_start() -> tuple[str, int]:
    """Dynamic Registration 1.0 §3.3: Moodle opens this in a dialog; the administrator confirms."""
    config_url = request.args.get("openid_configuration", "")
    token = request.args.get("registration_token", "")
    if not config_url and not token:
        # Someone opened the tool URL itself, in a browser: say what it is for and where it goes in Moodle.
        return render("lti/register_help.html", register_url=_base_url() + "/lti/register")
    if not config_url or not token:
        raise lti.RegistrationError("missing_parameters", "Moodle sent only one of openid_configuration and "
                                    "registration_token: start the registration again from Moodle.")
    origin = urlsplit(config_url)
    return render("lti/register.html", config_url=config_url, token=token, issuer=f"{origin.scheme}://{origin.netloc}")


@bp.post("/lti/register")
def register_finish() -> tuple[str, int]:
    db = get_session()
    platform = svc.register_platform(db, request.form.get("openid_configuration", ""),
                                     request.form.get("registration_token", ""), base_url=_base_url(), now=utcnow())
    db.commit()
    return render("lti/registered.html", platform=platform)


def _deep_link_request() -> tuple[svc.DeepLinkRequest, Course]:
    raw = session.get(access.DEEP_LINK_KEY)
    course_pk = session.get(access.COURSE_KEY)
    if not isinstance(raw, dict) or not isinstance(course_pk, int):
        raise access.AccessDenied(401, "nosession", "deep linking: no deep-linking launch in this session")
    course = access.course_or_404(course_pk)
    access.require_role(course, "coordinator")
    return svc.DeepLinkRequest.from_dict(raw), course


@bp.get("/lti/deep-link")
def deep_link() -> tuple[str, int]:
    """Deep Linking 2.0 §4.4: the instructor picks a unit or element of the standard, or one of the
    course's content packages (or one AU of a cmi5 course)."""
    _, course = _deep_link_request()
    db = get_session()
    return render("lti/deep_link.html", course=course, units=catalog.list_units(db),
                  packages=placement.choices(db, course), csrf=access.csrf_token())


@bp.post("/lti/deep-link")
def deep_link_submit() -> tuple[str, int]:
    request_, course = _deep_link_request()
    access.check_csrf()
    db = get_session()
    code = request.form.get("code", "").strip()
    choice = placement.find_choice(db, course, code) if code.startswith("package:") else None
    if choice is not None:
        item = lti.resource_link_item(title=choice.title[:255], url=_base_url() + "/lti/launch", custom=choice.custom)
        return_url, token = lti.build_response(request_.launch_context(), [item], key=current_key(db, now=utcnow()),
                                               now=utcnow())
    else:
        return_url, token = svc.deep_link_response(db, request_, code, base_url=_base_url(), now=utcnow())
    db.commit()
    session.pop(access.DEEP_LINK_KEY, None)
    return render("lti/deep_link_return.html", return_url=return_url, token=token)
