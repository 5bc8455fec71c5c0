"""Line breaking for text with Chinese in it (rich folds such text at any cell, which
splits 2020年5月1日 across lines and starts lines with `，` or `）`).

Units that are never split (unless one is longer than the line): a run of ASCII
letters, digits and signs (`2020`, `¥8,000.00`, `2021—2025`), with each directly
following 年/月/日/㎡/元/万 (so `2020年5月1日` is one unit); opening brackets stick
to what follows them and closing punctuation to what precedes it (basic kinsoku: no
line starts with `，。；：、）」』”！？`). Lines break at spaces or between units."""
from __future__ import annotations

import re

from rich.cells import cell_len

# Written as escapes: engine and cli code holds no Chinese literal (a test checks).
OPENING = "\uff08\u300c\u300e\u201c\u2018\u300a\u3008\u3010(["  # full-width ( 「 『 “ ‘ 《 〈 【
CLOSING = "\uff0c\u3002\uff1b\uff1a\u3001\uff09\u300d\u300f\u201d\u2019\uff01\uff1f\u300b\u3009\u3011,.;:!?)]"  # full-width , . ; : 、 ) 」 』 ” ’ ! ? 》 〉 】
SIGNS = "\u00a5\u2014\u2013\u00b7"  # yen, em and en dash, middle dot: part of a run like 2021—2025
SUFFIXES = "\u5e74\u6708\u65e5\u33a1\u5143\u4e07"  # year, month, day, square metre, yuan, ten thousand: glued to their figure
_RUN = rf"[!-~{SIGNS}]+(?:[{SUFFIXES}]+(?:[!-~{SIGNS}]+[{SUFFIXES}]*)*)?"
UNIT = re.compile(rf"\s+|[{re.escape(OPENING)}]*(?:{_RUN}|.)[{re.escape(CLOSING)}]*", re.S)


def has_wide(text: str) -> bool:
    """Text with a character two cells wide, which rich would fold anywhere."""
    return cell_len(text) != len(text)


def units(text: str) -> list[str]:
    return UNIT.findall(text)


def _fold(unit: str, width: int) -> list[str]:
    """A unit longer than the line: cut by cells (nothing else fits)."""
    out, line = [], ""
    for ch in unit:
        if line and cell_len(line + ch) > width:
            out.append(line)
            line = ""
        line += ch
    return out + [line]


def break_lines(text: str, width: int) -> list[tuple[int, int]]:
    """(start, end) of each line of `text` wrapped to `width` cells; the spaces at a
    break are dropped. A newline in `text` ends a line."""
    width = max(width, 2)
    spans: list[tuple[int, int]] = []
    pos = 0
    for para in text.split("\n"):
        start = cut = i = pos  # the line's start, the end of its last unit, the scan
        for unit in units(para):
            if unit.isspace():
                if cut == start:
                    start = i + len(unit)  # a line never starts with spaces
                i += len(unit)
                continue
            if cut > start and cell_len(text[start:i]) + cell_len(unit) > width:
                spans.append((start, cut))
                start = i
            if cell_len(unit) > width:  # longer than a line: cut it by cells
                for piece in _fold(unit, width)[:-1]:
                    spans.append((i, i + len(piece)))
                    i += len(piece)
                    unit = unit[len(piece):]
                start = i
            i += len(unit)
            cut = i
        spans.append((start, cut))
        pos += len(para) + 1
    return spans
