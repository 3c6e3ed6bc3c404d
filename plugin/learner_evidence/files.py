"""A learner's evidence file: read within its limit, its real type found from its bytes, and that type checked
against its name. Nothing here trusts the browser's Content-Type: a page that a browser would render (HTML, SVG)
named ".pdf" is refused, and the type a file is served with is the one found here.

Accepted: PDF, PNG, JPEG, GIF, WebP, Office Open XML and OpenDocument files (zip containers recognised by their
own manifest), the older Office formats (OLE compound files), and plain UTF-8 text. With a scanner configured
(SAMATTHA_CLAMD_SOCKET), a file of an accepted type is then scanned by clamd; an infected file, or any file
while clamd cannot be asked, is refused."""

from __future__ import annotations

import io
import logging
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath, PureWindowsPath
from typing import IO

from plugin.learner_evidence.scanner import ScannerUnavailable, scan

__all__ = ["EvidenceFile", "FileRefused", "read_evidence_file", "shown_inline"]

_CHUNK = 64 * 1024
# Extension → (served type, how the bytes are recognised).
_TYPES = {
    ".pdf": ("application/pdf", "pdf"), ".png": ("image/png", "png"), ".jpg": ("image/jpeg", "jpeg"),
    ".jpeg": ("image/jpeg", "jpeg"), ".gif": ("image/gif", "gif"), ".webp": ("image/webp", "webp"),
    ".docx": ("application/vnd.openxmlformats-officedocument.wordprocessingml.document", "ooxml"),
    ".xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "ooxml"),
    ".pptx": ("application/vnd.openxmlformats-officedocument.presentationml.presentation", "ooxml"),
    ".odt": ("application/vnd.oasis.opendocument.text", "odf"),
    ".ods": ("application/vnd.oasis.opendocument.spreadsheet", "odf"),
    ".odp": ("application/vnd.oasis.opendocument.presentation", "odf"),
    ".doc": ("application/msword", "ole"), ".xls": ("application/vnd.ms-excel", "ole"),
    ".ppt": ("application/vnd.ms-powerpoint", "ole"), ".txt": ("text/plain; charset=utf-8", "text"),
}
# Shown in the page (images, PDF) under a sandboxing CSP; everything else is a download.
_INLINE = {"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp"}
_MAX_NAME = 200

log = logging.getLogger(__name__)


class FileRefused(ValueError):
    """``reason`` is a message key (plugin.learner_evidence.messages); ``detail`` the technical words; ``status``
    400 for what the learner sent, 503 when the scanner could not look at it."""

    def __init__(self, reason: str, detail: str, *, status: int = 400, **params: object) -> None:
        super().__init__(detail)
        self.reason, self.detail, self.status = reason, detail, status
        self.params = {name: str(value) for name, value in params.items()}


@dataclass(frozen=True)
class EvidenceFile:
    name: str
    content_type: str
    data: bytes


def shown_inline(content_type: str) -> bool:
    return content_type in _INLINE


def _safe_name(raw: str) -> str:
    """The file's own name, without any folder a browser or an attacker put before it."""
    name = PureWindowsPath(PurePosixPath(raw or "").name).name.strip().replace("\x00", "")
    if not name or name in (".", ".."):
        raise FileRefused("ev.file.no_name", "the file has no name")
    return name[-_MAX_NAME:]


def _read(stream: IO[bytes], limit: int) -> bytes:
    """The stream's bytes, refused as soon as they pass ``limit``, not after reading them all."""
    buffer = io.BytesIO()
    while chunk := stream.read(_CHUNK):
        if buffer.tell() + len(chunk) > limit:
            raise FileRefused("ev.file.too_big", f"larger than {limit} bytes", mb=round(limit / 2**20, 1))
        buffer.write(chunk)
    return buffer.getvalue()


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
            if "[Content_Types].xml" in names:
                return "ooxml"
            if "mimetype" in names and archive.read("mimetype").startswith(b"application/vnd.oasis.opendocument"):
                return "odf"
    except (zipfile.BadZipFile, KeyError, RuntimeError, NotImplementedError, OSError):
        return None
    return None


def _kind(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if data[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"
    if data.startswith(b"PK\x03\x04"):
        return _zip_kind(data)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    head = text[:1024].lstrip().lower()
    if "\x00" in text or head.startswith(("<!doctype", "<html", "<svg", "<?xml", "<script")):
        return None  # markup a browser would run is never "plain text"
    return "text"


def _scanned(clamd: str, name: str, data: bytes) -> None:
    try:
        signature = scan(clamd, data)
    except ScannerUnavailable as error:
        log.error("%s: the upload of %r is refused, not stored unscanned", error, name)
        raise FileRefused("ev.file.not_scanned", str(error), status=503, name=name) from None
    if signature is not None:
        log.warning("clamd found %s in %r: the upload is refused", signature, name)
        raise FileRefused("ev.file.infected", f"clamd found {signature}", name=name, signature=signature)


def read_evidence_file(stream: IO[bytes], filename: str, *, limit: int, clamd: str | None = None) -> EvidenceFile:
    """The upload, checked: its name, its size while it is read, that its bytes are what its name says, and
    with ``clamd`` (SAMATTHA_CLAMD_SOCKET) that clamd finds it clean."""
    name = _safe_name(filename)
    suffix = PurePosixPath(name.lower()).suffix
    expected = _TYPES.get(suffix)
    if expected is None:
        raise FileRefused("ev.file.type", f"{suffix or 'no extension'} is not an accepted type", name=name)
    data = _read(stream, limit)
    if not data:
        raise FileRefused("ev.file.empty", "the file is empty", name=name)
    content_type, wanted = expected
    found = _kind(data)
    if found != wanted:
        raise FileRefused("ev.file.mismatch", f"named {suffix} but its content is {found or 'not a known type'}",
                          name=name)
    if clamd is not None:
        _scanned(clamd, name, data)
    return EvidenceFile(name, content_type, data)
