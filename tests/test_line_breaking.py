"""Chinese at 80 and 60 columns: a number or a date is never split across lines
(`2020` / `年5月1日`), and no line starts with closing punctuation."""
from __future__ import annotations

import io
import re
from collections import Counter
from pathlib import Path

import pytest
from rich.cells import cell_len
from rich.console import Console

from xisai.cli import render
from xisai.cli.wrap import break_lines
from xisai.engine.i18n import Messages

CASES = sorted((Path(__file__).parent.parent / "cases").glob("*.json"))
CLOSING = "，。；：、）」』”！？"
UNIT = re.compile(r"[!-~¥—–]*\d[!-~¥—–]*(?:[年月日㎡元万][!-~¥—–]*)*")


def shown(engine, path: Path, width: int) -> list[str]:
    buffer = io.StringIO()
    out = Console(file=buffer, force_terminal=True, color_system=None, highlight=False, width=width)
    render.decision(engine.evaluate(path.read_bytes()).render("zh_CN"), Messages.get("zh_CN"), out=out, explain=True)
    return buffer.getvalue().splitlines()


def digit_units(lines: list[str], longest: int) -> Counter[str]:
    return Counter(u for line in lines for u in UNIT.findall(line) if cell_len(u) <= longest)


@pytest.mark.parametrize("width", [80, 60])
@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_zh_lines_keep_numbers_whole_and_start_with_no_closing_mark(engine, path, width):
    lines = shown(engine, path, width)
    assert all(cell_len(line.rstrip()) <= width for line in lines)
    assert [line for line in lines if line.strip() and line.strip()[0] in CLOSING] == []
    whole = shown(engine, path, 1000)
    assert digit_units(lines, width // 2) == digit_units(whole, width // 2)


@pytest.mark.parametrize("text, width, expected", [
    ("条件（当前：2020年5月1日）不符", 14, ["条件（当前：", "2020年5月1日）", "不符"]),
    ("按最高1000㎡计", 8, ["按最高", "1000㎡计"]),
    ("规划期2021—2025年；其后", 14, ["规划期", "2021—2025年；", "其后"]),
    ("two words 两个字", 9, ["two words", "两个字"]),
])
def test_break_lines_keeps_units_and_moves_closing_marks(text, width, expected):
    assert [text[a:b] for a, b in break_lines(text, width)] == expected
