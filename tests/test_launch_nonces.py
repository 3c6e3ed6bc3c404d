"""The launch nonce memory (Security Framework §5.1.3 step 9): a nonce is accepted once, remembered until its
token expires, and expired ones are cleared without a sweep at every launch."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from plugin.launch.repository import consume_nonce
from plugin.models.lti import LaunchNonce

ISSUER = "https://moodle.example"


def _count(session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(LaunchNonce)) or 0)


def test_a_nonce_is_accepted_once_and_expired_ones_are_cleared_within_a_minute(session: Session) -> None:
    now = datetime(2026, 12, 7, 5, 0, tzinfo=UTC)
    assert consume_nonce(session, ISSUER, "n-1", now + timedelta(seconds=70), now=now)
    assert not consume_nonce(session, ISSUER, "n-1", now + timedelta(seconds=70), now=now)  # a replay
    # Ten seconds on: n-1 has not expired, and it is still refused.
    later = now + timedelta(seconds=10)
    assert not consume_nonce(session, ISSUER, "n-1", later + timedelta(seconds=70), now=later)
    # Two minutes on: n-1's token has expired; the next launch clears it.
    much_later = now + timedelta(minutes=2)
    assert consume_nonce(session, ISSUER, "n-2", much_later + timedelta(seconds=70), now=much_later)
    assert {n for n in session.scalars(select(LaunchNonce.nonce))} == {"n-2"}
    session.rollback()
    assert _count(session) == 0
