"""The launch's nonce must be the one sent with this browser's login (OIDC Core §3.1.3.7 step 11): a valid,
fresh id_token from another login cannot be posted with this browser's state (token injection). Over real HTTP
with the test platform, as in test_lti_flow."""

from __future__ import annotations

import html
from datetime import UTC, datetime, timedelta

import requests

from lti import StateVerdict, check_state, new_binding, new_nonce, sign_state
from plugin.launch.i18n import REASONS_TH
from tests.test_lti_flow import Env, env_fixture, role_of  # noqa: F401 - the fixture

KEY = b"k" * 32
NOW = datetime(2025, 1, 1, tzinfo=UTC)


def test_a_token_from_another_login_is_refused_with_this_browsers_state(env: Env) -> None:
    browser = requests.Session()
    own_token, state = env.login(browser, "3")
    # Another login (another browser, so another nonce) of the same person: its token is valid and fresh.
    other_token, _ = env.login(requests.Session(), "3")
    injected = browser.post(env.url + "/lti/launch", data={"id_token": other_token, "state": state},
                            allow_redirects=False, timeout=10)
    assert injected.status_code == 403, injected.text
    assert '<code class="lti-error-code">nonce_mismatch</code>' in injected.text
    assert "is not the one Samattha sent" in injected.text
    assert html.escape(REASONS_TH["nonce_mismatch"]) in injected.text
    assert "session=" not in injected.headers.get("Set-Cookie", "") and env.count_users() == 0
    # The same state with the token of its own login launches as before.
    landed = browser.post(env.url + "/lti/launch", data={"id_token": own_token, "state": state}, timeout=10)
    assert landed.status_code == 200 and role_of(landed) == "learner"


def test_two_logins_in_one_browser_do_not_take_each_others_tokens(env: Env) -> None:
    browser = requests.Session()  # one binding cookie, two tabs
    first_token, first_state = env.login(browser, "3")
    second_token, second_state = env.login(browser, "3")
    swapped = browser.post(env.url + "/lti/launch", data={"id_token": second_token, "state": first_state},
                           allow_redirects=False, timeout=10)
    assert swapped.status_code == 403 and "nonce_mismatch" in swapped.text
    # The refused token's nonce is spent: it cannot be tried again with its own state either.
    again = browser.post(env.url + "/lti/launch", data={"id_token": second_token, "state": second_state},
                         allow_redirects=False, timeout=10)
    assert again.status_code == 400 and "nonce_reused" in again.text
    landed = browser.post(env.url + "/lti/launch", data={"id_token": first_token, "state": first_state}, timeout=10)
    assert role_of(landed) == "learner"


def test_the_replay_check_stays(env: Env) -> None:
    browser = requests.Session()
    id_token, state = env.login(browser, "3")
    assert role_of(browser.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state},
                                timeout=10)) == "learner"
    replay = browser.post(env.url + "/lti/launch", data={"id_token": id_token, "state": state},
                          allow_redirects=False, timeout=10)
    assert replay.status_code == 400 and "nonce_reused" in replay.text


def test_check_state_compares_the_nonce_and_fails_closed() -> None:
    binding, nonce = new_binding(), new_nonce()
    state = sign_state(binding, KEY, now=NOW, nonce=nonce)
    later = NOW + timedelta(seconds=5)
    assert check_state(state, binding, KEY, now=later, document_target="iframe", nonce=nonce).is_ok
    for wrong in (new_nonce(), None, nonce + "x"):
        verdict = check_state(state, binding, KEY, now=later, document_target="iframe", nonce=wrong).verdict
        assert verdict is StateVerdict.NONCE_MISMATCH
    # A state issued without a nonce does not vouch for one.
    bare = sign_state(binding, KEY, now=NOW)
    assert check_state(bare, binding, KEY, now=later, document_target=None, nonce=nonce).verdict is \
        StateVerdict.NONCE_MISMATCH
    # The binding is still checked first: another browser's state is a state mismatch, whatever the nonce.
    assert check_state(state, new_binding(), KEY, now=later, document_target=None, nonce=new_nonce()).verdict is \
        StateVerdict.MISMATCH
