"""Corrupted and hostile case files from a seed, for the fresh-process fuzz run.

Each kind takes a generated (valid) case and breaks it one way; `hostile(seed)` picks
the kind from the seed so that a run of N seeds covers every kind about N/len(KINDS)
times. A kind returns the file's bytes."""
from __future__ import annotations

import json
import random
from collections.abc import Callable
from typing import Any

from casegen import generate

WEIRD_TEXT = ["[/]", "[red]P1[/red]", "a\u001b[31mb", "x\ny", "\u001b]0;title\u0007", "\u202eevil", "\u0000", "\u00a0",
              "１２３", "١٢٣", "\U0001f600", "\u200b", "\u2028", "\\", '"', "{{year}}", "{0}", "%s", ":smile:", "", " "]
WEIRD_MONEY = ["１２３", "1_000", " 1500 ", "+100", "1e3", "0x10", "١٢３", "NaN", "-Infinity", "1,000", "12.", ".5", "1500\n", "",
               "-0.01", "0.001", "9" * 40, "1e-999999999"]
HUGE_NUMBERS = ["1e308", "-1e308", "1e999999", "9" * 30, "9" * 5000, "-" + "9" * 5000, "1e-400", "0.000000000000000000001",
                "9223372036854775808", "18446744073709551616"]


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix]
    if isinstance(node, dict):
        for k, v in node.items():
            out += _paths(v, prefix + (k,))
    elif isinstance(node, list):
        for i, v in enumerate(node):
            out += _paths(v, prefix + (i,))
    return out


def _pick(r: random.Random, case: dict, want: Callable[[Any], bool] = lambda v: True) -> tuple | None:
    paths = [p for p in _paths(case) if p and want(_get(case, p))]
    return r.choice(paths) if paths else None


def _get(node: Any, path: tuple) -> Any:
    for key in path:
        node = node[key]
    return node


def _set(case: dict, path: tuple, value: Any) -> None:
    _get(case, path[:-1])[path[-1]] = value


def _random_json(r: random.Random, depth: int = 0) -> Any:
    roll = r.random()
    if depth > 2 or roll < 0.5:
        return r.choice([None, True, False, 0, -1, 10**25, 1.5, -0.0, "", "x", "2024-02-30", "bank", "P0", "E0",
                         r.choice(WEIRD_TEXT), r.choice(WEIRD_MONEY)])
    if roll < 0.75:
        return [_random_json(r, depth + 1) for _ in range(r.randint(0, 3))]
    return {r.choice(["id", "year", "x", "", "[/]", "\u0000"]): _random_json(r, depth + 1) for _ in range(r.randint(0, 3))}


def _dump(r: random.Random, case: Any) -> bytes:
    return json.dumps(case, ensure_ascii=r.random() < 0.5).encode("utf-8")


# --- the kinds ------------------------------------------------------------------------

def replace_with_random_json(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case)
    if path:
        _set(case, path, _random_json(r))
    return _dump(r, case)


def delete_a_field(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case)
    if path:
        parent = _get(case, path[:-1])
        del parent[path[-1]]
    return _dump(r, case)


def wrong_type(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case)
    if path:
        value = _get(case, path)
        swap = {str: [1], list: "x", dict: [], bool: "true", int: "1", float: [1.0], type(None): {}}
        _set(case, path, swap.get(type(value)))
    return _dump(r, case)


def huge_number(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case, lambda v: isinstance(v, (str, int, float)) and not isinstance(v, bool))
    if path is None:
        path = ("as_of",)
    _set(case, path, "@@HUGE@@")
    return _dump(r, case).replace(b'"@@HUGE@@"', r.choice(HUGE_NUMBERS).encode())


def weird_money(r: random.Random, case: dict) -> bytes:
    money = ("total_price", "monthly_rent", "monthly_rent_per_m2", "transfer_price", "interest_paid", "approved_monthly_allowance")
    paths = [p for p in _paths(case) if p and (p[-1] in money or (len(p) > 1 and p[-2] == "retained_tax"))]
    if paths:
        _set(case, r.choice(paths), r.choice(WEIRD_MONEY))
    else:
        case["persons"] = [{"id": "P9", "home_purchase": {"date": "2023-01-01", "total_price": r.choice(WEIRD_MONEY),
                                                          "in_district": True, "first_home": True}}]
    return _dump(r, case)


def deep_nesting(r: random.Random, case: dict) -> bytes:
    depth = r.choice([63, 65, 100, 1000, 100_000])
    path = _pick(r, case) or ("x",)
    _set(case, path, "@@DEEP@@")
    opener, closer = r.choice([("[", "]"), ('{"k":', "}")])
    deep = opener * depth + "1" + closer * depth
    if r.random() < 0.3:
        deep = opener * depth  # never closed
    return _dump(r, case).replace(b'"@@DEEP@@"', deep.encode())


def duplicate_key(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case, lambda v: isinstance(v, dict) and len(v) > 0)
    if path is None:
        return b'{"case_id": "a", "case_id": "b"}'
    node = _get(case, path)
    key = r.choice(list(node))
    _set(case, path, "@@DUP@@")
    body = json.dumps(node)[1:-1]
    dup = f"{{{body}, {json.dumps(key)}: {json.dumps(_random_json(r))}}}"
    return _dump(r, case).replace(b'"@@DUP@@"', dup.encode())


def weird_unicode(r: random.Random, case: dict) -> bytes:
    path = _pick(r, case, lambda v: isinstance(v, str))
    text = r.choice(WEIRD_TEXT + ["\\ud800", "\\udfff", "\\ud83d\\ude00"])
    if path is None:
        path = ("case_id",)
    _set(case, path, "@@TEXT@@")
    # Escapes of lone surrogates can only be written in the JSON text itself.
    encoded = json.dumps(text)[1:-1] if not text.startswith("\\u") else text
    return _dump(r, case).replace(b"@@TEXT@@", encoded.encode("utf-8"))


def markup_ids(r: random.Random, case: dict) -> bytes:
    """A valid case whose ids (and the references to them) are markup or control text."""
    renames = {}
    for kind in ("persons", "enterprises", "agencies"):
        for entity in case.get(kind, []):
            renames[entity["id"]] = entity["id"] + r.choice(WEIRD_TEXT[:8] + ["[bold]", "[/bold]", "\u001b[2J"])
    text = json.dumps(case, ensure_ascii=r.random() < 0.5)
    for old, new in sorted(renames.items(), key=lambda kv: -len(kv[0])):
        text = text.replace(json.dumps(old, ensure_ascii=False), json.dumps(new, ensure_ascii=False))
    case = json.loads(text)
    case["case_id"] = r.choice(WEIRD_TEXT)
    return _dump(r, case)


def truncated(r: random.Random, case: dict) -> bytes:
    data = _dump(r, case)
    return data[: r.randint(0, max(0, len(data) - 1))]


def empty(r: random.Random, case: dict) -> bytes:
    return r.choice([b"", b" ", b"\n", b"null", b"[]", b"{}", b'""', b"0", b"\xef\xbb\xbf"])


def binary(r: random.Random, case: dict) -> bytes:
    if r.random() < 0.5:
        return bytes(r.randrange(256) for _ in range(r.randint(1, 200)))
    data = bytearray(_dump(r, case))
    at = r.randrange(len(data))
    data[at:at] = r.choice([b"\xff", b"\xc3", b"\xed\xa0\x80", b"\x00", b"\xfe\xff"])
    return bytes(data)


def untouched(r: random.Random, case: dict) -> bytes:
    """A valid generated case: many qualify for nothing, the answer that aborted a fresh process."""
    return _dump(r, case)


def qualifies_for_nothing(r: random.Random, case: dict) -> bytes:
    return r.choice([
        b'{"case_id":"x","persons":[{"id":"a"}]}',
        b'{"case_id":"x"}',
        b'{"case_id":"x","as_of":"2025-01-01","persons":[{"id":"a","birth_date":"1990-01-01"}]}',
        b'{"case_id":"x","as_of":"2025-01-01","persons":[{"id":"a","talent":{"category":"team_member","recognized_on":"2023-01-01"}}]}',
        b'{"case_id":"x","as_of":"2026-06-01","enterprises":[{"id":"E","listings":[{"board":"neeq","listed_on":"2026-02-01"}]}]}',
    ])


KINDS: list[Callable[[random.Random, dict], bytes]] = [
    replace_with_random_json, delete_a_field, wrong_type, huge_number, weird_money, deep_nesting, duplicate_key,
    weird_unicode, markup_ids, truncated, empty, binary, untouched, qualifies_for_nothing,
]


def hostile(seed: int) -> tuple[str, bytes]:
    """(kind name, file bytes) for a seed."""
    r = random.Random(seed)
    kind = KINDS[seed % len(KINDS)]
    return kind.__name__, kind(r, generate(r.randrange(10**9)))
