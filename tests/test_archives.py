"""plugin.archives against real and hostile archives: every refusal names the member and writes nothing."""

from __future__ import annotations

import io
import re
import stat
import struct
import tarfile
import warnings
import zipfile
import zlib
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from plugin.archives import (
    ArchiveError,
    Limits,
    archive_kind,
    check_archive,
    check_tar,
    check_zip,
    extract_archive,
    extract_tar,
    extract_zip,
    read_members,
    stream_members,
)

MBZ = Path(__file__).resolve().parent / "fixtures" / "moodle-4.5" / "course-backup.mbz"
MIB = 1024 * 1024
DEFAULTS = Limits()


def make_zip(entries: Sequence[tuple[str | zipfile.ZipInfo, bytes]]) -> bytes:
    buffer = io.BytesIO()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate names some tests want
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name, data in entries:
                archive.writestr(name, data)
    return buffer.getvalue()


def make_tar(entries: Sequence[tarfile.TarInfo | tuple[str, bytes]], mode: str = "w:gz") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=mode) as archive:  # type: ignore[call-overload]
        for entry in entries:
            if isinstance(entry, tarfile.TarInfo):
                archive.addfile(entry)
            else:
                info = tarfile.TarInfo(entry[0])
                info.size = len(entry[1])
                archive.addfile(info, io.BytesIO(entry[1]))
    return buffer.getvalue()


def special(name: str, kind: bytes, target: str = "") -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = kind, target
    return info


def patch_headers(data: bytes, fmt: str, value: int, local: int, central: int) -> bytes:
    """Rewrite one field of the first member in its local header and its central directory entry."""
    patched = bytearray(data)
    for signature, offset in ((b"PK\x03\x04", local), (b"PK\x01\x02", central)):
        at = patched.index(signature) + offset
        patched[at : at + struct.calcsize(fmt)] = struct.pack(fmt, value)
    return bytes(patched)


def patch_declared_size(data: bytes, size: int) -> bytes:
    return patch_headers(data, "<I", size, 22, 24)  # APPNOTE 4.3.7 / 4.3.12: uncompressed size


def assert_nothing_written(tmp_path: Path, upload: Path) -> None:
    assert sorted(tmp_path.iterdir()) == [upload]


def refuse_everywhere(
    tmp_path: Path, data: bytes, message: str, limits: Limits = DEFAULTS, *, in_headers: bool = True
) -> None:
    """Check (when the headers show the problem), read and extract must all refuse with the same message,
    leaving only the upload behind."""
    upload = tmp_path / "upload.bin"
    upload.write_bytes(data)
    if in_headers:
        with pytest.raises(ArchiveError, match=re.escape(message)):
            check_archive(data, limits)
    with pytest.raises(ArchiveError, match=re.escape(message)):
        read_members(upload, lambda name: True, limits, max_member_bytes=64 * MIB)
    with pytest.raises(ArchiveError, match=re.escape(message)):
        extract_archive(upload, tmp_path / "out", limits)
    assert_nothing_written(tmp_path, upload)


# --- the real backup ------------------------------------------------------------------------------------


def test_the_real_backup_is_a_gzip_tar_with_the_listed_members() -> None:
    listing = (MBZ.parent / "course-backup-listing.txt").read_text(encoding="utf-8")
    # The fixture is the second ("nousers") backup in the listing.
    second = listing.split("lab-course-nousers.mbz")[1].splitlines()[1:]
    expected = [line.split()[-1].rstrip("/") for line in second if line.strip()]
    assert archive_kind(MBZ) == "tar"
    members = check_tar(MBZ)
    assert [member.name for member in members] == expected
    by_name = {member.name: member for member in members}
    assert by_name["moodle_backup.xml"].size == 10289 and by_name["activities"].is_dir


def test_extracting_the_real_backup_leaves_exactly_its_files(tmp_path: Path) -> None:
    members = extract_archive(MBZ, tmp_path / "backup")
    assert sorted(path.name for path in tmp_path.iterdir()) == ["backup"]  # no staging directory left
    written = {str(path.relative_to(tmp_path / "backup")) for path in (tmp_path / "backup").rglob("*")}
    assert written == {member.name for member in members}
    assert (tmp_path / "backup" / "activities" / "quiz_6" / "module.xml").read_bytes().count(b"DS601.01") == 1


def test_read_members_returns_only_the_wanted_members() -> None:
    found = read_members(MBZ, lambda name: name.endswith("module.xml"), max_member_bytes=MIB)
    assert sorted(found) == [f"activities/{d}/module.xml" for d in sorted(["assign_5", "forum_1", "lti_2",
                                                                           "page_3", "quiz_6", "url_4"])]
    assert b"<idnumber>DG101.01</idnumber>" in found["activities/assign_5/module.xml"]


def test_read_members_refuses_a_wanted_member_over_its_cap_before_reading_it() -> None:
    with pytest.raises(ArchiveError, match=re.escape("member 'moodle_backup.xml': larger than 10000 bytes")):
        read_members(MBZ, "moodle_backup.xml".__eq__, max_member_bytes=10_000)


def test_a_zip_extracts_and_names_are_normalised(tmp_path: Path) -> None:
    upload = tmp_path / "package.zip"
    upload.write_bytes(make_zip([("course/", b""), ("course/index.html", b"<p>hi</p>"), ("a/./b/../c.txt", b"c")]))
    assert archive_kind(upload) == "zip"
    members = extract_zip(upload, tmp_path / "out")
    assert [(m.name, m.size, m.is_dir) for m in members] == [
        ("course", 0, True), ("course/index.html", 9, False), ("a/c.txt", 1, False)]
    assert (tmp_path / "out" / "a" / "c.txt").read_bytes() == b"c"
    assert sorted(path.name for path in tmp_path.iterdir()) == ["out", "package.zip"]


def test_extraction_never_replaces_an_existing_destination(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    with pytest.raises(FileExistsError):
        extract_tar(MBZ, tmp_path / "out")
    assert list((tmp_path / "out").iterdir()) == []


# --- hostile names ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("../evil.txt", "path escapes the archive"),
        ("a/../../evil.txt", "path escapes the archive"),
        ("/etc/x", "absolute path"),
        ("C:\\x", "absolute path"),
        ("c:/windows/x", "absolute path"),
        ("\\\\server\\share\\x", "absolute path"),
        ("a\\..\\..\\x", "path contains a backslash"),
        ("a\x01b", "path contains control characters"),
    ],
)
@pytest.mark.parametrize("kind", ["zip", "tar"])
def test_hostile_names_are_refused(tmp_path: Path, kind: str, name: str, problem: str) -> None:
    entries: list[tuple[str, bytes]] = [("ok.txt", b"fine"), (name, b"owned")]
    data = make_zip(entries) if kind == "zip" else make_tar(entries)
    shown = name.replace("\x01", "\\x01")
    refuse_everywhere(tmp_path, data, f"member '{shown}': {problem}")


def test_a_zip_symlink_is_refused(tmp_path: Path) -> None:
    link = zipfile.ZipInfo("innocent.html")
    link.create_system, link.external_attr = 3, (stat.S_IFLNK | 0o777) << 16
    refuse_everywhere(tmp_path, make_zip([(link, b"/etc/passwd")]), "member 'innocent.html': symbolic link")


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        (special("link", tarfile.SYMTYPE, "/etc/passwd"), "member 'link': symbolic link"),
        (special("hard", tarfile.LNKTYPE, "/etc/passwd"), "member 'hard': hard link"),
        (special("fifo", tarfile.FIFOTYPE), "member 'fifo': device or FIFO"),
        (special("tty", tarfile.CHRTYPE), "member 'tty': device or FIFO"),
    ],
)
def test_tar_links_and_devices_are_refused(tmp_path: Path, entry: tarfile.TarInfo, message: str) -> None:
    refuse_everywhere(tmp_path, make_tar([("ok.txt", b"fine"), entry]), message)


def test_duplicate_names_are_refused_after_normalisation(tmp_path: Path) -> None:
    refuse_everywhere(tmp_path, make_zip([("a/b.txt", b"1"), ("a/b.txt", b"2")]), "member 'a/b.txt': duplicate name")
    refuse_everywhere(tmp_path, make_tar([("a/b.txt", b"1"), ("./a//b.txt", b"2")]),
                      "member './a//b.txt': duplicate name")


def test_a_file_and_a_directory_of_the_same_name_are_refused(tmp_path: Path) -> None:
    refuse_everywhere(tmp_path, make_zip([("a", b"file"), ("a/b.txt", b"2")]), "member 'a/b.txt': parent 'a' is a file")


def test_an_encrypted_zip_member_is_refused(tmp_path: Path) -> None:
    # zipfile cannot write encrypted members; set general-purpose bit 0 (APPNOTE 4.4.4) by hand.
    secret = patch_headers(make_zip([("secret.txt", b"x")]), "<H", 0x1, 6, 8)
    refuse_everywhere(tmp_path, secret, "member 'secret.txt': member is encrypted")


# --- limits -------------------------------------------------------------------------------------------


def test_too_many_files_are_refused(tmp_path: Path) -> None:
    limits = Limits(max_files=5)
    entries = [(f"f{number}.txt", b"x") for number in range(6)]
    refuse_everywhere(tmp_path, make_zip(entries), "archive: more than 5 members", limits)
    refuse_everywhere(tmp_path, make_tar(entries), "archive: more than 5 members", limits)


def test_a_zip_bomb_over_the_size_limit_is_refused_from_its_declared_sizes(tmp_path: Path) -> None:
    bomb = make_zip([("zeros.bin", bytes(20 * MIB))])
    assert len(bomb) < 100_000
    limits = Limits(max_total_bytes=10 * MIB, max_ratio=100_000)
    refuse_everywhere(tmp_path, bomb, "member 'zeros.bin': total uncompressed size exceeds 10485760 bytes", limits)


def test_a_suspicious_compression_ratio_is_refused(tmp_path: Path) -> None:
    refuse_everywhere(tmp_path, make_zip([("zeros.bin", bytes(4 * MIB))]),
                      "member 'zeros.bin': compression ratio above 100:1 is suspicious")
    refuse_everywhere(tmp_path, make_tar([("zeros.bin", bytes(4 * MIB))]),
                      "archive: compression ratio above 100:1 is suspicious")


def test_small_well_compressed_members_are_not_suspicious() -> None:
    assert [member.name for member in check_zip(make_zip([("blank.txt", b" " * 500_000)]))] == ["blank.txt"]


def test_a_tar_member_over_the_size_limit_is_refused_before_its_data_is_read(tmp_path: Path) -> None:
    refuse_everywhere(tmp_path, make_tar([("big.bin", bytes(2 * MIB))], mode="w"),
                      "member 'big.bin': total uncompressed size exceeds 1048576 bytes", Limits(max_total_bytes=MIB))


def test_a_member_that_hides_data_behind_a_small_declared_size_is_caught_while_reading(tmp_path: Path) -> None:
    liar = patch_declared_size(make_zip([("liar.bin", bytes(100_000))]), 10)
    assert [member.size for member in check_zip(liar)] == [10]  # the headers alone look harmless
    refuse_everywhere(tmp_path, liar, "member 'liar.bin': data is corrupt or does not match its header",
                      in_headers=False)


def test_a_member_with_less_data_than_declared_is_caught_while_reading(tmp_path: Path) -> None:
    liar = patch_declared_size(make_zip([("short.bin", bytes(1000))]), 5000)
    assert [member.size for member in check_zip(liar)] == [5000]
    refuse_everywhere(tmp_path, liar, "member 'short.bin': holds 1000 bytes, not the declared 5000", in_headers=False)


# --- not archives -------------------------------------------------------------------------------------


def test_a_non_archive_upload_is_refused(tmp_path: Path) -> None:
    refuse_everywhere(tmp_path, b"<html>definitely not a backup</html>",
                      "upload is not a zip, tar or gzip-compressed tar archive")


def test_a_truncated_backup_is_refused(tmp_path: Path) -> None:
    data = MBZ.read_bytes()
    refuse_everywhere(tmp_path, data[: len(data) // 2], "archive: truncated or not a valid tar")


def test_a_truncated_zip_is_refused(tmp_path: Path) -> None:
    data = make_zip([("a.txt", b"a" * 1000), ("b.txt", b"b" * 1000)])
    refuse_everywhere(tmp_path, data[: len(data) - 30], "archive: truncated or not a valid zip")


def test_a_gzip_that_is_not_a_tar_is_refused(tmp_path: Path) -> None:
    import gzip

    refuse_everywhere(tmp_path, gzip.compress(b"just text " * 100), "archive: truncated or not a valid tar")


def test_a_zip_mbz_is_read_like_a_tar_one(tmp_path: Path) -> None:
    with tarfile.open(MBZ) as archive:
        files = [(i.name, archive.extractfile(i).read()) for i in archive if i.isreg()]  # type: ignore[union-attr]
    upload = tmp_path / "backup.mbz"
    upload.write_bytes(make_zip(files))
    assert archive_kind(upload) == "zip"
    assert read_members(upload, "moodle_backup.xml".__eq__, max_member_bytes=MIB) == read_members(
        MBZ, "moodle_backup.xml".__eq__, max_member_bytes=MIB)


def test_oversized_pax_headers_are_cut_off_by_the_stream_cap(tmp_path: Path) -> None:
    # tarfile buffers a pax header whole before we see its member; the stream cap bounds that.
    info = tarfile.TarInfo("small.txt")
    info.pax_headers = {"comment": "x" * 65536}
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.PAX_FORMAT) as archive:
        archive.addfile(info)
    data = buffer.getvalue()
    limits = Limits(max_files=2, max_total_bytes=100)
    refuse_everywhere(tmp_path, data, "archive: decompresses to more than 14436 bytes", limits)


def overlapping_bomb(members: int, kernel_bytes: int) -> bytes:
    """David Fifield's non-recursive zip bomb ("A better zip bomb", 2019): every member's data quotes the next
    member's local header in a stored DEFLATE block and then runs on into the next member's data, so all of
    them end in one shared compressed kernel. Each member is small and unremarkable; together they expand
    ``members`` times over."""
    squeeze = zlib.compressobj(9, zlib.DEFLATED, -15)
    kernel = squeeze.compress(bytes(kernel_bytes)) + squeeze.flush()
    data, headers, sizes = kernel, [], []
    for number in reversed(range(members)):
        plain = zlib.decompress(data, -15)
        name = f"{number:04d}.bin".encode()
        crc, size = zlib.crc32(plain), len(plain)
        header = struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, 8, 0, 0, crc, len(data), size, len(name), 0) + name
        headers.insert(0, header)
        sizes.insert(0, (crc, len(data), size, name))
        if number:
            data = struct.pack("<BHH", 0, len(header), 0xFFFF ^ len(header)) + header + data
    body, offsets = b"", []
    for number, header in enumerate(headers):
        offsets.append(len(body))
        body += header if number == members - 1 else header + struct.pack("<BHH", 0, len(headers[number + 1]),
                                                                         0xFFFF ^ len(headers[number + 1]))
    body += kernel
    central = b"".join(
        struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 20, 20, 0, 8, 0, 0, crc, csize, size, len(name), 0, 0, 0, 0, 0,
                    offset) + name
        for (crc, csize, size, name), offset in zip(sizes, offsets, strict=True))
    end = struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, members, members, len(central), len(body), 0)
    return body + central + end


def test_an_overlapping_entry_zip_bomb_is_refused_whatever_zipfile_checks(tmp_path: Path) -> None:
    bomb = overlapping_bomb(40, 900 * 1024)
    assert len(bomb) < 10_000
    with zipfile.ZipFile(io.BytesIO(bomb)) as archive:  # a well-formed zip: every member's CRC holds
        assert len(archive.infolist()) == 40 and archive.infolist()[0].file_size > 900 * 1024
    # Each member is under 1 MiB (no ratio check of its own) and the declared total is under every limit.
    limits = Limits(max_ratio=100_000)
    refuse_everywhere(tmp_path, bomb, "member '0001.bin': its data overlaps member '0000.bin' "
                                      "(an overlapping-entry zip bomb)", limits)


def test_the_whole_archive_ratio_is_limited_not_only_each_member(tmp_path: Path) -> None:
    many = make_zip([(f"{n}.txt", bytes(900 * 1024)) for n in range(40)])  # each member below 1 MiB
    refuse_everywhere(tmp_path, many, "archive: expands to 36864000 bytes from")


def test_the_member_count_is_read_from_the_end_record_before_the_member_list(tmp_path: Path) -> None:
    data = bytearray(make_zip([("a.txt", b"a"), ("b.txt", b"b")]))
    end = data.rfind(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 60_000, 60_000)
    refuse_everywhere(tmp_path, bytes(data), "archive: more than 5 members", Limits(max_files=5))


def test_members_stream_to_the_reader_in_chunks_and_none_is_kept(tmp_path: Path) -> None:
    entries = [(f"activities/page_{n}/module.xml", bytes([n + 1]) * MIB) for n in range(3)] + [("other.bin", b"x")]
    seen: list[tuple[str, int, int]] = []

    def read(name: str, chunks: Iterator[bytes]) -> None:
        sizes = [len(chunk) for chunk in chunks]
        seen.append((name, sum(sizes), max(sizes)))

    for data in (make_zip(entries), make_tar(entries)):
        seen.clear()
        stream_members(data, lambda name: name.endswith(".xml"), read, Limits(max_ratio=2000),
                       max_member_bytes=2 * MIB)
        assert seen == [(name, MIB, 64 * 1024) for name, _ in entries[:3]]
        too_big = f"member 'activities/page_0/module.xml': larger than {MIB // 2}"
        with pytest.raises(ArchiveError, match=re.escape(too_big)):
            stream_members(data, lambda name: True, read, Limits(max_ratio=2000), max_member_bytes=MIB // 2)
