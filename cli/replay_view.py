"""Views of a replay report and of a rules diff: tables on a terminal of TABLE_WIDTH
columns or more (cells fold, never cut); below it, and when piped, lists with hanging
indents as `xisai check` prints (no cell squeezed to `brand.qu…`, no padding spaces)."""
from __future__ import annotations

from decimal import Decimal
from typing import Any

from rich import box
from rich.cells import cell_len
from rich.console import Console
from rich.table import Table
from rich.text import Text

from ..engine.i18n import Messages
from .check_view import DETAIL, Page, joined
from .render import console

TABLE_WIDTH = 120
DIFF_TABLE_WIDTH = 150  # seven columns: below it the old and new values fold to a few cells


def _tabular(out: Console, width: int = TABLE_WIDTH) -> bool:
    return out.is_terminal and out.width >= width


def _table(**options: Any) -> Table:
    return Table(box=_box(), title_justify="left", **options)


def _aligned(page: Page, rows: list[tuple[Text, str]], indent: int = 2) -> None:
    """Label and figure per line, the figures right-aligned in one column."""
    label_w = max(cell_len(label.plain) for label, _ in rows)
    figure_w = max(cell_len(figure) for _, figure in rows)
    for label, figure in rows:
        gap = label_w - cell_len(label.plain) + 2 + figure_w - cell_len(figure)
        page.line(joined(label, " " * gap + figure), indent=indent)


def _box() -> box.Box:
    return box.SIMPLE_HEAD  # tables are for a terminal only


SHOWN = 20          # records listed in full before "and N more"
DETAIL_PARTS = ("steps", "conditions", "parameters", "detail", "item", "parts", "flags", "unmet", "refusals", "notes",
                "errors", "other")
STATUS_STYLE = {"reproduced": "green", "differs": "bold red", "differs_details": "yellow", "no_bundle": "yellow",
                "failed": "bold red", "unreadable": "bold red"}


def _short(version: str | None) -> str:
    return (version or "-")[:19]


def finding_text(f: dict[str, Any], msgs: Messages) -> str:
    d = f["detail"]
    kind = f["kind"]
    if kind == "edited":
        parts = msgs.t("value.list_separator").join(msgs.t(f"replay.part.{p}") for p in d.get("parts", []))
        return msgs.t("replay.finding.edited", seq=f["seq"], line=f["line"], parts=parts)
    if kind == "truncated" and d.get("half_written"):
        return msgs.t("replay.finding.half_written", line=f["line"])
    if kind in ("deleted", "truncated"):
        if d["count"] == 1:
            return msgs.t(f"replay.finding.{kind}_one", seq=d["first_seq"])
        return msgs.t(f"replay.finding.{kind}", first=d["first_seq"], last=d["last_seq"], count=d["count"])
    if kind == "inserted":
        return msgs.t("replay.finding.inserted", line=f["line"], seq=f["seq"])
    if kind == "duplicated":
        return msgs.t("replay.finding.duplicated", line=f["line"], copy=d["copy_of_seq"])
    if kind == "reordered":
        return msgs.t("replay.finding.reordered", seq=f["seq"], line=f["line"], before=d["before_seq"],
                      before_line=d["before_line"])
    if kind in ("replaced", "broken_start"):
        return msgs.t(f"replay.finding.{kind}", seq=f["seq"], line=f["line"])
    if kind == "unreadable":
        return msgs.t("replay.finding.unreadable", line=f["line"])
    if kind == "seal_mismatch":
        return msgs.t("replay.finding.seal_mismatch", field=d.get("field"))
    if kind in ("bad_signature", "wrong_key"):
        return msgs.t(f"replay.finding.{kind}", key=_short(d.get("key_id")))
    return msgs.t(f"replay.finding.{kind}")


def replay_report(data: dict[str, Any], msgs: Messages, out: Console | None = None) -> None:
    out = out or console()
    page = Page(out)
    page.line(Text(msgs.t("replay.header", file=data["records_file"], lines=data["lines"]), style="bold"))
    rules = data["rules"]
    if rules["mode"] == "other":
        page.line(msgs.t("replay.rules_other", spec=rules["override"]["spec"], version=_short(rules["override"]["rules_version"])))
    for version, info in rules["versions"].items():
        source = info.get("source")
        if source == "bundle":
            page.line(Text(msgs.t("replay.version.bundle", version=_short(version), path=info["path"]), style="dim"))
        elif source == "installed":
            page.line(Text(msgs.t("replay.version.installed", version=_short(version)), style="dim"))
        elif source == "missing":
            page.line(Text(msgs.t("replay.version.missing", version=_short(version), dirs=", ".join(info["searched"])), style="yellow"))
    seal = data["seal"]
    if seal["status"] == "present":
        page.line(msgs.t("replay.seal.present", path=seal["path"], count=seal.get("count")))
        page.line(Text(msgs.t(f"replay.signature.{seal['signature']}", key=_short(seal.get("key_id"))),
                       style="green" if seal["signature"] == "valid" else "yellow"))

    if data["findings"]:
        _findings(page, data["findings"], msgs)
    if data["records"]:
        _records(page, data["records"], msgs)
    _counts(page, data["counts"], msgs)

    impact = data["impact"]
    other = rules["mode"] == "other"
    if impact["decisions_changed"]:
        if other:
            gross = sum((abs(Decimal(m["amount"])) for m in impact["moved"]), Decimal(0))
            page.line(Text(msgs.t("replay.impact", changed=impact["decisions_changed"], money=impact["money_changed"],
                                  net=msgs.money(impact["moved_total"]), gross=msgs.money(gross)), style="bold"))
        if impact["moved"]:
            _moved(page, impact["moved"], msgs.t("replay.moved") if other else msgs.t("replay.moved_own"), msgs)
    verdict = {0: "ok", 3: "differs", 4: "tampered", 5: "incomplete"}.get(data["exit_code"], "error")
    page.line(Text(msgs.t(f"replay.verdict.{verdict}"), style="bold green" if verdict == "ok" else "bold red"))


def _findings(page: Page, findings: list[dict[str, Any]], msgs: Messages) -> None:
    rows = [(Text(msgs.t(f"replay.kind.{f['kind']}"), style="yellow" if f["kind"] == "seal_missing" else "bold red"),
             Text(finding_text(f, msgs))) for f in findings]
    if _tabular(page.out):
        table = _table(title=msgs.t("replay.findings"))
        table.add_column(msgs.t("replay.col.kind"), overflow="fold")
        table.add_column(msgs.t("replay.col.what"), overflow="fold")
        for kind, what in rows:
            table.add_row(kind, what)
        page.out.print(table)
        return
    page.line(msgs.t("replay.findings"), style="bold")
    for kind, what in rows:
        page.line(joined(kind, msgs.t("view.colon"), what), indent=2, bullet="· ")


def _records(page: Page, records: list[dict[str, Any]], msgs: Messages) -> None:
    if _tabular(page.out):
        table = _table(title=msgs.t("replay.not_reproduced"))
        for col in ("seq", "line", "case", "status", "difference"):
            table.add_column(msgs.t(f"replay.col.{col}"), overflow="fold")
        for r in records[:SHOWN]:
            table.add_row(_seq(r), str(r["line"]), Text(r["case_id"] or ""), _status(r, msgs),
                          Text("\n".join(_difference(r, msgs))))
        page.out.print(table)
    else:
        page.line(msgs.t("replay.not_reproduced"), style="bold")
        for r in records[:SHOWN]:
            head = msgs.t("replay.record_head", seq=_seq(r), line=r["line"], case=r["case_id"] or "-")
            page.line(joined(head, " · ", _status(r, msgs)), indent=2, bullet="· ")
            for row in _difference(r, msgs):
                page.line(row, indent=DETAIL)
    if len(records) > SHOWN:
        page.line(msgs.t("replay.more", count=len(records) - SHOWN))


def _seq(r: dict[str, Any]) -> str:
    return str(r["seq"] if r["seq"] is not None else "-")


def _status(r: dict[str, Any], msgs: Messages) -> Text:
    return Text(msgs.t(f"replay.status.{r['status']}"), style=STATUS_STYLE.get(r["status"], ""))


def _counts(page: Page, counts: dict[str, int], msgs: Messages) -> None:
    rows = [(Text(msgs.t(f"replay.status.{status}"), style=STATUS_STYLE.get(status, "")), str(n)) for status, n in counts.items()]
    if _tabular(page.out):
        table = _table(title=msgs.t("replay.counts"))
        table.add_column(msgs.t("replay.col.status"), overflow="fold")
        table.add_column(msgs.t("replay.col.records"), justify="right")
        for status, n in rows:
            table.add_row(status, n)
        page.out.print(table)
        return
    page.line(msgs.t("replay.counts"), style="bold")
    if rows:
        _aligned(page, rows)


def _moved(page: Page, moved: list[dict[str, Any]], title: str, msgs: Messages) -> None:
    if _tabular(page.out):
        table = _table(title=title)
        for col, right in (("program", False), ("year", True), ("amount", True)):
            table.add_column(msgs.t(f"cli.col.{col}"), justify="right" if right else "left", overflow="fold")
        for m in moved:
            table.add_row(m["program"], str(m["year"]), msgs.money(m["amount"]))
        page.out.print(table)
        return
    page.line(title, style="bold")
    program_w = max(cell_len(m["program"]) for m in moved)
    _aligned(page, [(Text(m["program"] + " " * (program_w - cell_len(m["program"])) + f"  {m['year']}"),
                     msgs.money(m["amount"])) for m in moved])


def _difference(r: dict[str, Any], msgs: Messages) -> list[str]:
    if r.get("error"):
        return [str(r["error"])]
    d = r.get("diff")
    if not d:
        return []
    rows = []
    if d["status"]:
        rows.append(msgs.t("replay.diff.status", old=d["status"][0], new=d["status"][1]))
    for line in d["lines"]:
        old, new = line["amount"]
        what = {"program": line["program"], "beneficiary": line["beneficiary"], "year": line["year"],
                "kind": msgs.t(f"cli.kind.{line['kind']}") if line["kind"] in ("cash", "in_kind") else line["kind"],
                "basis": _basis(line["basis"], msgs)}
        rows.append(_change("replay.diff.line", what, old, new, msgs))
    for name, (old, new) in d["totals"].items():
        rows.append(_change("replay.diff.total", {"name": _total_name(name, msgs)}, old, new, msgs))
    if d["money_same"]:
        details = d.get("details")
        rows.append(msgs.t("replay.diff.details", details=_details(details, msgs)) if details
                    else msgs.t("replay.diff.details_only"))
    return rows


def _change(msg_id: str, what: dict[str, Any], old: str | None, new: str | None, msgs: Messages) -> str:
    """A figure that changed, or that is there on one side only ("removed", "new")."""
    if new is None:
        return msgs.t(f"{msg_id}_removed", old=msgs.money(old), **what)
    if old is None:
        return msgs.t(f"{msg_id}_new", new=msgs.money(new), **what)
    return msgs.t(msg_id, old=msgs.money(old), new=msgs.money(new), **what)


def _total_name(name: str, msgs: Messages) -> str:
    if name.startswith("by_year."):
        return msgs.t("replay.total.year", year=name.removeprefix("by_year."))
    return msgs.t(f"replay.total.{name}") if name in ("cash", "cash_exact", "in_kind_value") else name


def _details(details: list[dict[str, Any]], msgs: Messages) -> str:
    """The parts that differ, each with its programs: "parameters (brand.quality_award)"."""
    by_part: dict[str, list[str]] = {}
    for d in details:
        by_part.setdefault(d["part"], [])
        if d.get("program"):
            by_part[d["part"]].append(d["program"])
    sep = msgs.t("value.list_separator")
    parts = []
    for part, programs in by_part.items():
        name = msgs.t(f"replay.detail.{part}") if part in DETAIL_PARTS else part
        parts.append(msgs.t("replay.detail.with_programs", part=name, programs=sep.join(programs)) if programs else name)
    return msgs.t("replay.detail.separator").join(parts)


def _basis(pair: list[str | None], msgs: Messages) -> str:
    """The basis of a line, once when unchanged or on one side only: "exact", or "maximum -> exact"."""
    names = [msgs.t(f"cli.basis.{b}") if b in ("exact", "maximum") else str(b) for b in pair if b is not None]
    return names[0] if len(set(names)) == 1 else " -> ".join(names)


def rules_diff(data: dict[str, Any], msgs: Messages, out: Console | None = None) -> None:
    out = out or console()
    page = Page(out)
    page.line(Text(msgs.t("diff.header", old=data["old"]["spec"], old_version=_short(data["old"]["rules_version"]),
                          new=data["new"]["spec"], new_version=_short(data["new"]["rules_version"])), style="bold"))
    if not data["changes"]:
        page.line(msgs.t("diff.none"))
        return
    if _tabular(out, DIFF_TABLE_WIDTH):
        table = Table(box=_box(), expand=True)
        for col in ("area", "change", "program", "name", "from", "old", "new"):  # ids whole, values fold
            table.add_column(msgs.t(f"diff.col.{col}"), overflow="fold", no_wrap=col in ("program", "name", "from"),
                             ratio=1 if col in ("old", "new") else None)
        for c in data["changes"]:
            table.add_row(msgs.t(f"diff.area.{c['area']}"), msgs.t(f"diff.change.{c['change']}"), Text(c["program"] or ""),
                          Text(_name(c)), c["from"] or "", Text(_value(c["old"])), Text(_value(c["new"])))
        out.print(table)
    else:
        for c in data["changes"]:
            head = [msgs.t(f"diff.area.{c['area']}") + " " + msgs.t(f"diff.change.{c['change']}")]
            head += [part for part in (c["program"], _name(c)) if part]
            if c["from"]:
                head.append(msgs.t("diff.from", date=c["from"]))
            page.line(Text(" · ".join(head)), indent=0, bullet="· ")
            for side in ("old", "new"):
                if c[side] is not None:
                    page.line(_value(c[side]), indent=DETAIL - 2, bullet=msgs.t(f"diff.col.{side}") + msgs.t("view.colon"))
    if not (data["old"]["catalogs"] and data["new"]["catalogs"]):
        page.line(Text(msgs.t("diff.no_catalogs"), style="dim"))


def _name(c: dict[str, Any]) -> str:
    name = c["name"] or ""
    if c["field"]:
        name = f"{name}.{c['field']}" if name else c["field"]
    return name


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    return str(value)
