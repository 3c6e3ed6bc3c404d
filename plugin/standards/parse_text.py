"""Text-level repair of TPQI PDF dumps: line cleaning, line joining and bullet lists."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

Line = tuple[int, str]

NA = "N/A"
BULLETS = ("•", "−")
# Website chrome that the copy-paste from the TPQI portal appends after the last section.
CHROME_LINES = frozenset({"ยินดีต้อนรับ"})

# Thai characters that can only follow a consonant, so a line starting with one continues a word.
_NON_INITIAL = frozenset("ะาำัิีึืฺุู็่้๊๋์ํๆ")
# Leading vowels are written before their consonant, so a line ending with one continues a word.
_LEADING_VOWELS = frozenset("เแโใไ")
_TONE_MARKS = "่้๊๋็์"
# Vowels that never close a syllable on their own (a final consonant always follows).
_NON_FINAL = frozenset("ัื")
_THANTHAKHAT = "์"
_WS = re.compile(r"\s+")
_INLINE_BULLET = re.compile(r"\s*−\s*")


class ParseError(ValueError):
    """Source text that is not (or no longer) a TPQI standard; ``line`` is 1-based."""

    def __init__(self, line: int, message: str) -> None:
        super().__init__(f"line {line}: {message}")
        self.line = line
        self.message = message


@dataclass(frozen=True)
class TextContext:
    """The whole source, one printed line per row: evidence of how words are spelled in-line."""

    corpus: str


def is_thai(ch: str) -> bool:
    return "\u0e00" <= ch <= "\u0e7f"


def _is_latin(ch: str) -> bool:
    return ch.isascii() and ch.isalpha()


def display_width(s: str) -> int:
    return sum(1 for ch in s if unicodedata.category(ch) != "Mn")


def squash(s: str) -> str:
    return _WS.sub(" ", s).strip()


def clean_lines(text: str, footer_title: str | None) -> list[Line]:
    """Non-blank stripped lines, without page footers (title + page number) and portal chrome."""
    raw = [(no, squash(s)) for no, s in enumerate(text.splitlines(), start=1)]
    lines = [(no, s) for no, s in raw if s]
    out: list[Line] = []
    skip_next = False
    for i, (no, s) in enumerate(lines):
        if skip_next:
            skip_next = False
            continue
        nxt = lines[i + 1][1] if i + 1 < len(lines) else ""
        if footer_title is not None and s == footer_title and nxt.isdigit():
            skip_next = True
            continue
        if s in CHROME_LINES:
            continue
        out.append((no, s))
    return out


def _thai_break_forced(a: str, b: str) -> bool:
    """True when one side of a Thai-Thai break cannot stand alone, i.e. the PDF cut a word."""
    if b[0] in _NON_INITIAL or (len(b) > 1 and b[1] == _THANTHAKHAT):
        return True
    if a[-1] in _LEADING_VOWELS:
        return True
    return a.rstrip(_TONE_MARKS)[-1:] in _NON_FINAL


def _corpus_vote(a: str, b: str, ctx: TextContext) -> str | None:
    """How the words around the break are written where they appear inside one printed line."""
    left = a.rsplit(" ", 1)[-1]
    right = b.split(" ", 1)[0]
    for k in (8, 6, 5):
        if len(left) < k or len(right) < k:
            continue
        joined = ctx.corpus.count(left[-k:] + right[:k])
        spaced = ctx.corpus.count(left[-k:] + " " + right[:k])
        if joined != spaced:
            return "" if joined > spaced else " "
    return None


def break_separator(a: str, b: str, *, ctx: TextContext, full_width: int | None) -> str:
    """Separator for a printed line break between ``a`` and ``b``.

    ``full_width`` is the display width at which a table column is full; ``None`` means running text.
    """
    if not (is_thai(a[-1]) and is_thai(b[0])):
        # "e-" + "Government" is one hyphenated Latin word cut at its hyphen.
        if a.endswith("-") and _is_latin(a[-2:-1]) and _is_latin(b[0]):
            return ""
        return " "
    if _thai_break_forced(a, b):
        return ""
    if full_width is None:
        vote = _corpus_vote(a, b, ctx)
        return " " if vote is None else vote
    # Table cells wrap greedily: a line holding a space ended where the next word did not fit, and only
    # a full line with no space at all had a word cut in the middle.
    if " " in a:
        return " "
    return "" if display_width(a) >= full_width else " "


def _break_kinds(lines: Sequence[str]) -> dict[int, str]:
    """Map compact (whitespace-free) offset -> 'space' or 'break' for one printing of a text."""
    kinds: dict[int, str] = {}
    pos = 0
    for line in lines:
        for ch in line:
            if ch.isspace():
                kinds[pos] = "space"
            else:
                pos += 1
        kinds.setdefault(pos, "break")
    return kinds


def compact(s: str) -> str:
    return _WS.sub("", s)


def join_lines(
    lines: Sequence[str],
    *,
    ctx: TextContext,
    full_width: int | None = None,
    variants: Sequence[Sequence[str]] = (),
) -> str:
    """Join printed lines of one text, deciding at each break between a space and a cut word.

    ``variants`` are other printings of the same text (different column widths): where one of them
    prints the break position inside a line, it shows whether a space belongs there.
    """
    parts = [squash(s) for s in lines if squash(s)]
    if not parts:
        return ""
    target = compact("".join(parts))
    other = [_break_kinds(v) for v in variants if compact("".join(v)) == target]
    out = parts[0]
    pos = len(compact(parts[0]))
    for prev, part in zip(parts, parts[1:], strict=False):
        sep = break_separator(prev, part, ctx=ctx, full_width=full_width)
        if other and not _thai_break_forced(prev, part) and is_thai(prev[-1]) and is_thai(part[0]):
            seen = {k.get(pos, "none") for k in other}
            if "space" in seen:
                sep = " "
            elif "none" in seen:
                sep = ""
        out = out + sep + part
        pos += len(compact(part))
    return squash(out)


def is_na(lines: Sequence[Line]) -> bool:
    return not lines or all(s == NA for _, s in lines)


def single_text(lines: Sequence[Line], ctx: TextContext) -> str | None:
    if is_na(lines):
        return None
    return join_lines([s for _, s in lines], ctx=ctx) or None


def parse_list(lines: Sequence[Line], ctx: TextContext) -> list[str]:
    """Items of a bullet list; text before the first bullet counts as one item.

    An inline "−" is a bullet the PDF glued onto the previous line, so it also starts an item.
    """
    if is_na(lines):
        return []
    groups: list[list[str]] = []
    for _, s in lines:
        if s.startswith(BULLETS) or not groups:
            groups.append([])
        body = s[1:].strip() if s.startswith("•") else s
        groups[-1].append(body)
    items: list[str] = []
    for group in groups:
        for piece in _INLINE_BULLET.split(join_lines(group, ctx=ctx)):
            piece = squash(piece)
            if piece and piece != NA:
                items.append(piece)
    return items
