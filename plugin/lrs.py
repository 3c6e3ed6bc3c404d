"""Wires Samattha's LRS (the ``xapi`` package) into the app and the CLI (``samattha lrs …``)."""

from __future__ import annotations

import click
from flask import Flask

__all__ = ["init_lrs", "lrs"]


def init_lrs(app: Flask) -> None:
    """Mount the LRS under /xapi/ (filled in by the LRS work)."""


@click.group()
def lrs() -> None:
    """The learning record store: credentials, pull from and forward to other LRSs."""
