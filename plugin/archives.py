"""Hostile-input-safe inspection, reading and extraction of zip and tar(.gz) uploads.

Moodle course backups (.mbz: a gzip tar, or a zip from newer Moodle) and xAPI content packages (zip) are
uploaded by users. Every member is checked from the archive's own metadata before a byte is written —
path traversal, absolute paths, links, devices, duplicates, encryption, counts, sizes, compression
ratio — and the real bytes are counted again while reading, because declared sizes are attacker-controlled.
Extraction stages into a sibling temp directory and renames it into place only when everything succeeded.
"""

from __future__ import annotations

import gzip
import io
import lzma
import os
import posixpath
import re
import shutil
import stat
import tarfile
import tempfile
import zipfile
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import IO, Any, Literal

__all__ = ["DEFAULT_LIMITS", "ArchiveError", "Limits", "Member", "Reason", "archive_kind", "check_archive", "check_tar",
    "check_zip", "extract_archive", "extract_tar", "extract_zip", "read_members", "stream_members"]

PathArg = str | os.PathLike[str]
Source = bytes | PathArg
ArchiveKind = Literal["zip", "tar"]

_CHUNK = 64 * 1024
_MAX_NAME = 1024
# A member this small cannot hurt however well it compresses; text files of blanks legitimately reach 1000:1.
_RATIO_MIN_BYTES = 1024 * 1024
# Per member, tar spends a 512-byte header, up to 511 bytes of padding and perhaps a pax/long-name header.
_TAR_OVERHEAD = 2048
_TAR_TRAILER = 20 * 512
_DRIVE = re.compile(r"^[A-Za-z]:")
_READ_ERRORS = (zipfile.BadZipFile, tarfile.TarError, zlib.error, lzma.LZMAError, EOFError, OSError)


Reason = Literal["not_archive", "damaged", "unsafe", "bomb", "too_many", "too_big", "encrypted"]


class ArchiveError(ValueError):
    """The archive is refused; the message names the member and the problem, ``reason`` says which kind of
    problem it is, for a page that explains it in its reader's words."""

    def __init__(self, message: str, reason: Reason = "damaged") -> None:
        super().__init__(message)
        self.reason: Reason = reason


@dataclass(frozen=True)
class Limits:
    """``max_ratio`` applies per member in a zip and to the whole stream of a tar.gz (whose members have no
    compressed size of their own); either way only above 1 MiB of output."""

    max_files: int = 10_000
    max_total_bytes: int = 1024 * 1024 * 1024
    max_ratio: float = 100.0


DEFAULT_LIMITS = Limits()


@dataclass(frozen=True)
class Member:
    """One checked member: ``name`` is normalised (POSIX, no trailing slash) and safe to join to a root."""

    name: str
    size: int
    is_dir: bool = False


def _shown(raw: str) -> str:
    text = "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in raw[:200])
    return f"'{text}'" + ("…" if len(raw) > 200 else "")


def _refuse(raw: str, problem: str, reason: Reason = "unsafe") -> ArchiveError:
    return ArchiveError(f"member {_shown(raw)}: {problem}", reason)


def _normalise(raw: str) -> str:
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        raise _refuse(raw, "path contains control characters")
    if raw.startswith(("/", "\\")) or _DRIVE.match(raw):
        raise _refuse(raw, "absolute path")
    if "\\" in raw:
        # Backslashes are separators on Windows, so "a\..\..\x" would escape there.
        raise _refuse(raw, "path contains a backslash")
    if len(raw) > _MAX_NAME:
        raise _refuse(raw, f"path is longer than {_MAX_NAME} characters")
    name = posixpath.normpath(raw) if raw else "."
    if name == ".." or name.startswith("../"):
        raise _refuse(raw, "path escapes the archive")
    return name


class _Tally:
    """Accumulates members and enforces the limits and name rules as each header is seen."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.members: list[Member] = []
        self.total = 0
        self._files: set[str] = set()
        self._dirs: set[str] = set()

    def add(self, raw: str, size: int, is_dir: bool) -> Member | None:
        name = _normalise(raw)
        if name == ".":
            if is_dir:
                return None  # "./" in tars made with `tar -C dir .`: the root itself
            raise _refuse(raw, "empty path")
        if len(self.members) >= self.limits.max_files:
            raise ArchiveError(f"archive: more than {self.limits.max_files} members", "too_many")
        self.total += size
        if size < 0 or self.total > self.limits.max_total_bytes:
            raise _refuse(raw, f"total uncompressed size exceeds {self.limits.max_total_bytes} bytes",
                          "too_big")
        self._claim(raw, name, is_dir)
        member = Member(name, size, is_dir)
        self.members.append(member)
        return member

    def _claim(self, raw: str, name: str, is_dir: bool) -> None:
        if name in self._files or (not is_dir and name in self._dirs):
            raise _refuse(raw, "duplicate name" if name in self._files else "file name clashes with a directory")
        parent = posixpath.dirname(name)
        while parent and parent not in self._dirs:  # walks up only through new directories: linear overall
            if parent in self._files:
                raise _refuse(raw, f"parent '{parent}' is a file")
            self._dirs.add(parent)
            parent = posixpath.dirname(parent)
        (self._dirs if is_dir else self._files).add(name)


def archive_kind(source: Source) -> ArchiveKind:
    """Sniff the magic bytes: the file name (.mbz, .zip) says nothing reliable."""
    with _opened(source) as raw:
        head = raw.read(512)
    if head.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return "zip"
    if head.startswith(b"\x1f\x8b") or head[257:262] == b"ustar":
        return "tar"
    raise ArchiveError("upload is not a zip, tar or gzip-compressed tar archive", "not_archive")


@contextmanager
def _opened(source: Source) -> Iterator[IO[bytes]]:
    if isinstance(source, bytes):
        yield io.BytesIO(source)
    else:
        with open(source, "rb") as handle:
            yield handle


@contextmanager
def _zip(source: Source, limits: Limits) -> Iterator[tuple[zipfile.ZipFile, list[tuple[zipfile.ZipInfo, Member]]]]:
    """The open zip and its checked entries. The member count comes from the end-of-central-directory record
    before the member list is read (reading 700,000 entries is itself the attack), and the members' data is
    checked for overlap from the local headers: the interpreter's zipfile only does that since 3.11.8/3.12.1."""
    with _opened(source) as raw:
        count = _declared_members(raw)
        if count > limits.max_files:
            raise ArchiveError(f"archive: more than {limits.max_files} members", "too_many")
        try:
            archive = zipfile.ZipFile(raw)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError) as exc:
            raise ArchiveError(f"archive: truncated or not a valid zip ({exc})") from exc
        with archive:
            entries = _zip_entries(archive, limits)
            _check_layout(raw, [info for info, _ in entries], archive.start_dir)
            declared = sum(member.size for _, member in entries)
            compressed = max(raw.seek(0, io.SEEK_END), 1)
            if declared >= _RATIO_MIN_BYTES and declared > limits.max_ratio * compressed:
                raise ArchiveError(f"archive: expands to {declared} bytes from {compressed}, a compression ratio "
                                   f"above {limits.max_ratio:g}:1 for the whole archive is suspicious", "bomb")
            yield archive, entries


_EOCD, _EOCD64_LOCATOR, _EOCD64, _LOCAL = b"PK\x05\x06", b"PK\x06\x07", b"PK\x06\x06", b"PK\x03\x04"


def _declared_members(raw: IO[bytes]) -> int:
    """The total entry count of the end-of-central-directory record (its ZIP64 twin when the count overflows
    16 bits), without reading the central directory."""
    size = raw.seek(0, io.SEEK_END)
    tail_size = min(size, 22 + 0xFFFF)  # the record, then a comment of at most 65,535 bytes
    raw.seek(size - tail_size)
    tail = raw.read(tail_size)
    raw.seek(0)
    at = tail.rfind(_EOCD)
    if at < 0 or len(tail) < at + 22:
        raise ArchiveError("archive: truncated or not a valid zip (no end of central directory record)")
    total = int.from_bytes(tail[at + 10:at + 12], "little")
    if total == 0xFFFF and at >= 20 and tail[at - 20:at - 16] == _EOCD64_LOCATOR:
        raw.seek(int.from_bytes(tail[at - 12:at - 4], "little"))
        record = raw.read(56)
        raw.seek(0)
        if record[:4] == _EOCD64 and len(record) == 56:
            total = int.from_bytes(record[32:40], "little")
    return total


def _check_layout(raw: IO[bytes], infos: list[zipfile.ZipInfo], central_directory: int) -> None:
    """Every member's local header and data lie where the central directory says, apart from each other and
    before the central directory. A non-recursive zip bomb (Fifield) points many entries at one compressed
    block: each entry alone is small and well within the ratio, together they expand without bound."""
    spans = []
    for info in infos:
        raw.seek(info.header_offset)
        header = raw.read(30)
        if len(header) < 30 or header[:4] != _LOCAL:
            raise _refuse(info.filename, "no local header where the central directory says", "damaged")
        name_size, extra_size = int.from_bytes(header[26:28], "little"), int.from_bytes(header[28:30], "little")
        end = info.header_offset + 30 + name_size + extra_size + info.compress_size
        end += 12 if info.flag_bits & 0x08 else 0  # the smallest data descriptor: counting less only lets more pass
        spans.append((info.header_offset, end, info.filename))
    raw.seek(0)
    spans.sort()
    for (_, end, first), (start, _, second) in zip(spans, spans[1:], strict=False):
        if start < end:
            raise _refuse(second, f"its data overlaps member {_shown(first)} (an overlapping-entry zip bomb)", "bomb")
    if spans and spans[-1][1] > central_directory:
        raise _refuse(spans[-1][2], "its data runs into the central directory", "damaged")


def _zip_entries(archive: zipfile.ZipFile, limits: Limits) -> list[tuple[zipfile.ZipInfo, Member]]:
    infos = archive.infolist()
    if len(infos) > limits.max_files:  # the record's count was checked first; the list may disagree with it
        raise ArchiveError(f"archive: more than {limits.max_files} members", "too_many")
    tally, entries = _Tally(limits), []
    for info in infos:
        if info.flag_bits & 0x1:
            raise _refuse(info.filename, "member is encrypted", "encrypted")
        kind = stat.S_IFMT(info.external_attr >> 16)  # Unix mode bits, when the zip was made on Unix
        if kind == stat.S_IFLNK:
            raise _refuse(info.filename, "symbolic link")
        if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
            raise _refuse(info.filename, "device, FIFO or socket")
        ratio_floor = limits.max_ratio * max(info.compress_size, 1)
        if info.file_size >= _RATIO_MIN_BYTES and info.file_size > ratio_floor:
            raise _refuse(info.filename, f"compression ratio above {limits.max_ratio:g}:1 is suspicious", "bomb")
        member = tally.add(info.filename, info.file_size, info.is_dir())
        if member is not None:
            entries.append((info, member))
    return entries


def check_zip(
    data_or_path: Source, *, max_files: int = DEFAULT_LIMITS.max_files,
    max_total_bytes: int = DEFAULT_LIMITS.max_total_bytes, max_ratio: float = DEFAULT_LIMITS.max_ratio
) -> list[Member]:
    """Check a zip from its central directory alone; nothing is decompressed."""
    with _zip(data_or_path, Limits(max_files, max_total_bytes, max_ratio)) as (_, entries):
        return [member for _, member in entries]


class _Inflated(io.RawIOBase):
    """The tar byte stream (gunzipped when needed) that refuses to produce more than the limits allow.

    tarfile reads pax and long-name headers into memory before we see the member, so the only bound on
    that is here, on the raw stream."""

    def __init__(self, raw: IO[bytes], limits: Limits) -> None:
        self._compressed = max(raw.seek(0, io.SEEK_END), 1)
        raw.seek(0)
        gzipped = raw.read(2) == b"\x1f\x8b"
        raw.seek(0)
        self._inner: IO[bytes] | gzip.GzipFile = gzip.GzipFile(fileobj=raw, mode="rb") if gzipped else raw
        self._ratio = limits.max_ratio if gzipped else 1.0
        self._cap = limits.max_total_bytes + limits.max_files * _TAR_OVERHEAD + _TAR_TRAILER
        self.count = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        data = self._inner.read(len(view))
        view[: len(data)] = data
        self.count += len(data)
        if self.count > self._cap:
            raise ArchiveError(f"archive: decompresses to more than {self._cap} bytes", "bomb")
        if self.count >= _RATIO_MIN_BYTES and self.count > self._ratio * self._compressed:
            raise ArchiveError(f"archive: compression ratio above {self._ratio:g}:1 is suspicious", "bomb")
        return len(data)


def _tar_member(tally: _Tally, info: tarfile.TarInfo) -> Member | None:
    if info.issym():
        raise _refuse(info.name, "symbolic link")
    if info.islnk():
        raise _refuse(info.name, "hard link")
    if info.ischr() or info.isblk() or info.isfifo():
        raise _refuse(info.name, "device or FIFO")
    if info.issparse() or not (info.isreg() or info.isdir()):
        raise _refuse(info.name, "unsupported member type")
    return tally.add(info.name, info.size, info.isdir())


Visit = Callable[[tarfile.TarFile, tarfile.TarInfo, Member], None]


def _walk_tar(source: Source, limits: Limits, visit: Visit | None = None) -> list[Member]:
    """One sequential pass (tar.gz cannot seek cheaply), checking each header before ``visit`` sees it."""
    tally = _Tally(limits)
    with _opened(source) as raw:
        stream = _Inflated(raw, limits)
        try:
            with tarfile.open(fileobj=io.BufferedReader(stream, _CHUNK), mode="r|") as archive:
                for info in archive:
                    member = _tar_member(tally, info)
                    if member is not None and visit is not None:
                        visit(archive, info, member)
                while stream.read(_CHUNK):  # to the end, so a truncated or corrupt gzip trailer is noticed
                    pass
        except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as exc:
            raise ArchiveError(f"archive: truncated or not a valid tar ({exc})") from exc
    return tally.members


def check_tar(
    data_or_path: Source, *, max_files: int = DEFAULT_LIMITS.max_files,
    max_total_bytes: int = DEFAULT_LIMITS.max_total_bytes, max_ratio: float = DEFAULT_LIMITS.max_ratio
) -> list[Member]:
    """Check a tar or tar.gz: every header, and the whole stream decompressed (and discarded)."""
    return _walk_tar(data_or_path, Limits(max_files, max_total_bytes, max_ratio))


def check_archive(source: Source, limits: Limits = DEFAULT_LIMITS) -> list[Member]:
    if archive_kind(source) == "zip":
        with _zip(source, limits) as (_, entries):
            return [member for _, member in entries]
    return _walk_tar(source, limits)


def _chunks(opener: Callable[[], IO[bytes]], member: Member, cap: int) -> Iterator[bytes]:
    """The member's bytes, counted: a header that lies about the size is caught here, not trusted."""
    if member.size > cap:
        raise _refuse(member.name, f"larger than {cap} bytes", "too_big")
    seen = 0
    try:
        with opener() as src:
            while chunk := src.read(_CHUNK):
                seen += len(chunk)
                if seen > member.size:  # zipfile stops at the declared size itself; tar readers may not
                    raise _refuse(member.name, f"holds more data than its declared {member.size} bytes", "damaged")
                yield chunk
    except _READ_ERRORS as exc:
        raise _refuse(member.name, f"data is corrupt or does not match its header ({exc})", "damaged") from exc
    if seen != member.size:
        raise _refuse(member.name, f"holds {seen} bytes, not the declared {member.size}", "damaged")


def stream_members(
    source: Source, wanted: Callable[[str], bool], read: Callable[[str, Iterator[bytes]], None],
    limits: Limits = DEFAULT_LIMITS, *, max_member_bytes: int,
) -> None:
    """Check the whole archive and hand ``read`` each (normalised) member name ``wanted`` accepts with its bytes as
    counted chunks, in the archive's order, keeping none of them: a reader that parses as it goes holds no more
    than a chunk of the upload, whatever the archive declares. ``read`` must consume the chunks."""
    if archive_kind(source) == "zip":
        with _zip(source, limits) as (archive, entries):
            for info, member in entries:
                if not member.is_dir and wanted(member.name):
                    read(member.name, _chunks(partial(archive.open, info), member, max_member_bytes))
        return

    def visit(archive: tarfile.TarFile, info: tarfile.TarInfo, member: Member) -> None:
        if not member.is_dir and wanted(member.name):
            read(member.name, _chunks(partial(_tar_file, archive, info), member, max_member_bytes))

    _walk_tar(source, limits, visit)


def read_members(
    source: Source, wanted: Callable[[str], bool], limits: Limits = DEFAULT_LIMITS, *, max_member_bytes: int,
) -> dict[str, bytes]:
    """Check the whole archive and return the bytes of the (normalised) member names ``wanted`` accepts, each at
    most ``max_member_bytes``: for the one or two small members a caller needs whole."""
    found: dict[str, bytes] = {}

    def keep(name: str, chunks: Iterator[bytes]) -> None:
        found[name] = b"".join(chunks)

    stream_members(source, wanted, keep, limits, max_member_bytes=max_member_bytes)
    return found


def _tar_file(archive: tarfile.TarFile, info: tarfile.TarInfo) -> IO[bytes]:
    handle = archive.extractfile(info)
    if handle is None:  # only for non-regular members, which _tar_member already refused
        raise _refuse(info.name, "unsupported member type")
    return handle


@contextmanager
def _staging(dest: PathArg) -> Iterator[Path]:
    """A temp dir next to ``dest`` (same filesystem, so the final rename is atomic), removed on failure."""
    target = Path(dest)
    if target.exists():
        raise FileExistsError(f"{target}: already exists")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", suffix=".partial", dir=target.parent))
    try:
        yield staging
        os.rename(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _write(root: Path, member: Member, chunks: Iterator[bytes]) -> None:
    """Write one member; ``chunks`` is a lazy generator, so a directory never opens its (empty) data."""
    path = root.joinpath(*member.name.split("/"))
    if not path.resolve().is_relative_to(root.resolve()):  # names are normalised; this is defence in depth
        raise _refuse(member.name, "path escapes the archive")
    if member.is_dir:
        path.mkdir(parents=True, exist_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as out:  # "x": never overwrite, never follow an existing link
        for chunk in chunks:
            out.write(chunk)


def extract_zip(path: PathArg, dest: PathArg, limits: Limits = DEFAULT_LIMITS) -> list[Member]:
    """Extract a checked zip to ``dest`` (which must not exist yet); all or nothing."""
    with _zip(path, limits) as (archive, entries):
        with _staging(dest) as root:
            for info, member in entries:
                _write(root, member, _chunks(partial(archive.open, info), member, member.size))
    return [member for _, member in entries]


def extract_tar(path: PathArg, dest: PathArg, limits: Limits = DEFAULT_LIMITS) -> list[Member]:
    """Extract a checked tar or tar.gz to ``dest`` (which must not exist yet); all or nothing."""
    members = _walk_tar(path, limits)  # a whole first pass, so nothing is written for a bad archive

    def write(archive: tarfile.TarFile, info: tarfile.TarInfo, member: Member) -> None:
        _write(root, member, _chunks(partial(_tar_file, archive, info), member, member.size))

    with _staging(dest) as root:
        _walk_tar(path, limits, write)
    return members


def extract_archive(path: PathArg, dest: PathArg, limits: Limits = DEFAULT_LIMITS) -> list[Member]:
    if archive_kind(path) == "zip":
        return extract_zip(path, dest, limits)
    return extract_tar(path, dest, limits)
