"""Configuration from ``SAMATTHA_*`` environment variables, with safe defaults.

Nothing here is a secret: when no ``SAMATTHA_SECRET_KEY`` is given, a random key is generated once into
the instance folder (mode 0600) so sessions survive restarts without a constant key in the repository.

The instance folder itself holds secrets: the SQLite database (the tool's private signing keys, the Moodle Web
Services token, LRS credentials, everyone's learning records) with its journals, uploads and content packages.
So it is 0700, and the process's umask is 0077 from the moment the instance is prepared, whatever umask the
shell or service manager gave: SQLite creates its files 0644 less the umask, and its -wal, -shm and -journal
files take the database's mode.

``SAMATTHA_CLAMD_SOCKET``: where ClamAV's clamd listens, a unix socket's absolute path
(``/run/clamav/clamd.ctl``) or ``tcp://host:port``; unset, nothing is scanned. When set, every file a learner
adds as evidence is sent to clamd (INSTREAM) before it is stored: an infected file is refused naming the file
and the signature, and while clamd cannot be reached (or answers an error, such as a file over its
StreamMaxLength, which must therefore be at least SAMATTHA_EVIDENCE_MAX_FILE_SIZE) every upload is refused
and logged, never stored unscanned.

``SAMATTHA_COVERAGE_BACKGROUND_AT``: how many statement links (statements about the course, counted once per
course or mapped activity they name) make a full coverage read large; default 20000. When a course's coverage
must be read in full (its mapping changed, a statement was voided, or it was never read) and the read is over
this size, the coverage page, its CSV, SVG and JSON answer at once from the last figures, marked as being
refreshed, while one process reads every statement in the background. Smaller reads happen inside the request,
as always. The portfolio compile and the scheduler always read in full.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from plugin.learner_evidence.scanner import address
from xapi import Limits

__all__ = ["Config", "load_config", "make_private", "prepare_instance"]

log = logging.getLogger(__name__)

ENV_PREFIX = "SAMATTHA_"
DEFAULT_BASE_URL = "http://127.0.0.1:8000"  # `samattha serve` without --host and --port


@dataclass(frozen=True)
class Config:
    instance_path: Path
    database_url: str
    secret_key: str
    base_url: str
    testing: bool = False
    compile_every_minutes: int = 15  # SAMATTHA_COMPILE_EVERY_MINUTES: the portfolio compilation schedule
    compile_in_serve: bool = True  # SAMATTHA_COMPILE_IN_SERVE=0: several web workers, run `samattha worker`
    # No SAMATTHA_BASE_URL: base_url is `serve`'s default address, which another command cannot know to be
    # where Moodle reaches Samattha (`serve` sets the variable for its workers; the demo passes its own).
    base_url_is_default: bool = False
    timezone: str = "Asia/Bangkok"  # SAMATTHA_TIMEZONE: where people read times (stored in UTC)
    organisation: str = ""  # SAMATTHA_ORGANISATION: the agency's name, on the cover of a signable record
    lrs_limits: Limits = field(default_factory=Limits)  # SAMATTHA_LRS_MAX_*: see _LRS_LIMITS
    package_max_bytes: int = 2 * 1024**3  # SAMATTHA_PACKAGE_MAX_SIZE: one content package, unpacked
    packages_max_bytes: int = 20 * 1024**3  # SAMATTHA_PACKAGES_MAX_SIZE: all content packages together
    evidence_file_bytes: int = 20 * 1024**2  # SAMATTHA_EVIDENCE_MAX_FILE_SIZE: one file a learner adds
    evidence_files: int = 5  # SAMATTHA_EVIDENCE_MAX_FILES: files in one piece of evidence
    clamd_socket: str | None = None  # SAMATTHA_CLAMD_SOCKET: scan uploads with clamd (see the docstring)
    coverage_background_at: int = 20_000  # SAMATTHA_COVERAGE_BACKGROUND_AT: see the docstring
    extra: dict[str, Any] = field(default_factory=dict)

    def with_overrides(self, **changes: Any) -> Config:
        return replace(self, **changes)


def _default_instance_path(env: Mapping[str, str]) -> Path:
    return Path(env.get(ENV_PREFIX + "INSTANCE_PATH") or Path.cwd() / "instance").resolve()


PRIVATE_UMASK = 0o077


def prepare_instance(instance_path: Path) -> None:
    """Make the instance folder (0700) and keep whatever the process creates from now on to its owner."""
    os.umask(PRIVATE_UMASK)
    instance_path.mkdir(mode=0o700, parents=True, exist_ok=True)
    make_private(instance_path, recursive=False)


def make_private(path: Path, *, recursive: bool = True) -> None:
    """Take group and other permissions off ``path`` and, if ``recursive``, everything under it: what an older
    Samattha, or one started under a looser umask, left readable (0644 files, 0755 folders). Symbolic links are
    left alone (nothing of ours is one, and chmod would follow them)."""
    entries = [path]
    if recursive and path.is_dir() and not path.is_symlink():
        for folder, dirs, files in os.walk(path):
            entries.extend(Path(folder) / name for name in (*dirs, *files))
    for entry in entries:
        try:
            mode = entry.lstat().st_mode
            if not stat.S_ISLNK(mode) and stat.S_IMODE(mode) & PRIVATE_UMASK:
                entry.chmod(stat.S_IMODE(mode) & ~PRIVATE_UMASK)
        except FileNotFoundError:  # removed meanwhile (a finished upload, a checkpointed WAL)
            continue
        except PermissionError:  # not ours (copied in by root?): say so, but do not refuse to start
            log.warning("%s is readable by others and not this user's to change: chmod go-rwx it", entry)


def _secret_key(instance_path: Path, env: Mapping[str, str]) -> str:
    given = env.get(ENV_PREFIX + "SECRET_KEY")
    if given:
        return given
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text(encoding="utf-8").strip()
    key = secrets.token_urlsafe(48)
    # O_EXCL: two processes starting at once must agree on one key, not overwrite each other's.
    try:
        fd = os.open(key_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return key_file.read_text(encoding="utf-8").strip()
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(key + "\n")
    return key


def _minutes(value: str | None) -> int:
    if value is None or not value.strip():
        return 15
    try:
        minutes = int(value)
    except ValueError:
        minutes = 0
    if minutes < 1:
        raise ValueError(f"{ENV_PREFIX}COMPILE_EVERY_MINUTES: a whole number of minutes, at least 1, not {value!r}")
    return minutes


def _switch(value: str | None, name: str) -> bool:
    if value is None or not value.strip():
        return True
    if value.strip().lower() in ("1", "true", "yes", "on"):
        return True
    if value.strip().lower() in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"{ENV_PREFIX}{name}: 1/true/yes/on or 0/false/no/off, not {value!r}")


_SIZE = re.compile(r"\s*(\d+)\s*([KMG]i?B?)?\s*", re.IGNORECASE)
_UNITS = {"": 1, "k": 1024, "m": 1024**2, "g": 1024**3}
# Environment variable → the Limits field it sets.
_LRS_LIMITS = {"LRS_MAX_STATEMENT_SIZE": "statement_bytes", "LRS_MAX_BATCH": "batch_statements",
               "LRS_MAX_BATCH_SIZE": "batch_bytes", "LRS_MAX_CONTEXT_ACTIVITIES": "context_activities",
               "LRS_MAX_ATTACHMENT_SIZE": "attachment_bytes"}


def _size(value: str | None, name: str, default: int, *, bytes_: bool = True) -> int:
    """A size in bytes ("1048576", "64MiB", "2 GB": binary units either way), or a plain count."""
    if value is None or not value.strip():
        return default
    match = _SIZE.fullmatch(value)
    if match is None or (match.group(2) and not bytes_) or int(match.group(1)) < 1:
        what = "a size such as 1048576, 512MiB or 2GiB" if bytes_ else "a whole number, at least 1"
        raise ValueError(f"{ENV_PREFIX}{name}: {what}, not {value!r}")
    return int(match.group(1)) * _UNITS[(match.group(2) or "")[:1].lower()]


def _lrs_limits(env: Mapping[str, str]) -> Limits:
    defaults = Limits()
    return Limits(**{attribute: _size(env.get(ENV_PREFIX + name), name, getattr(defaults, attribute),
                                      bytes_=name.endswith("SIZE"))
                     for name, attribute in _LRS_LIMITS.items()})


def _timezone(value: str | None) -> str:
    name = (value or "").strip() or "Asia/Bangkok"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{ENV_PREFIX}TIMEZONE: an IANA time zone such as Asia/Bangkok, not {value!r}") from None
    return name


def _clamd(value: str | None) -> str | None:
    setting = (value or "").strip()
    if not setting:
        return None
    address(setting)  # a typo fails at start-up, not at a learner's first upload
    return setting


def load_config(env: Mapping[str, str] | None = None, **overrides: Any) -> Config:
    """Read the configuration; ``overrides`` (keyword names of :class:`Config`) win over the environment."""
    env = os.environ if env is None else env
    instance_path = Path(overrides.pop("instance_path", None) or _default_instance_path(env))
    prepare_instance(instance_path)
    database_url = overrides.pop("database_url", None) or env.get(ENV_PREFIX + "DATABASE_URL") or (
        f"sqlite:///{instance_path / 'samattha.db'}"
    )
    secret_key = overrides.pop("secret_key", None) or _secret_key(instance_path, env)
    overrides.setdefault("compile_every_minutes", _minutes(env.get(ENV_PREFIX + "COMPILE_EVERY_MINUTES")))
    overrides.setdefault("compile_in_serve", _switch(env.get(ENV_PREFIX + "COMPILE_IN_SERVE"), "COMPILE_IN_SERVE"))
    overrides.setdefault("timezone", _timezone(env.get(ENV_PREFIX + "TIMEZONE")))
    overrides.setdefault("organisation", (env.get(ENV_PREFIX + "ORGANISATION") or "").strip())
    overrides.setdefault("lrs_limits", _lrs_limits(env))
    overrides.setdefault("package_max_bytes", _size(env.get(ENV_PREFIX + "PACKAGE_MAX_SIZE"), "PACKAGE_MAX_SIZE",
                                                    Config.package_max_bytes))
    overrides.setdefault("packages_max_bytes", _size(env.get(ENV_PREFIX + "PACKAGES_MAX_SIZE"),
                                                     "PACKAGES_MAX_SIZE", Config.packages_max_bytes))
    overrides.setdefault("evidence_file_bytes", _size(env.get(ENV_PREFIX + "EVIDENCE_MAX_FILE_SIZE"),
                                                      "EVIDENCE_MAX_FILE_SIZE", Config.evidence_file_bytes))
    overrides.setdefault("evidence_files", _size(env.get(ENV_PREFIX + "EVIDENCE_MAX_FILES"), "EVIDENCE_MAX_FILES",
                                                 Config.evidence_files, bytes_=False))
    overrides.setdefault("clamd_socket", _clamd(env.get(ENV_PREFIX + "CLAMD_SOCKET")))
    overrides.setdefault("coverage_background_at", _size(env.get(ENV_PREFIX + "COVERAGE_BACKGROUND_AT"),
                                                         "COVERAGE_BACKGROUND_AT", Config.coverage_background_at,
                                                         bytes_=False))
    base_url = overrides.pop("base_url", None) or env.get(ENV_PREFIX + "BASE_URL")
    return Config(
        instance_path=instance_path,
        database_url=database_url,
        secret_key=secret_key,
        base_url=(base_url or DEFAULT_BASE_URL).rstrip("/"),
        base_url_is_default=not base_url,
        **overrides,
    )
