"""Rich views of a replay report and of a rules diff (plain text when piped)."""
from __future__ import annotations

import sys
from typing import Any

from rich import box
from rich.table import Table
from rich.text import Text

from ..engine.i18n import Messages
from .render import console


def _box() -> box.Box | None:
    return box.SIMPLE_HEAD if sys.stdout.isatty() else None


SHOWN = 20          # records listed in full before "and N more"
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


def replay_report(data: dict[str, Any], msgs: Messages) -> None:
    out = console()
    out.print(Text(msgs.t("replay.header", file=data["records_file"], lines=data["lines"]), style="bold"))
    rules = data["rules"]
    if rules["mode"] == "other":
        out.print(msgs.t("replay.rules_other", spec=rules["override"]["spec"], version=_short(rules["override"]["rules_version"])))
    for version, info in rules["versions"].items():
        source = info.get("source")
        if source == "bundle":
            out.print(Text(msgs.t("replay.version.bundle", version=_short(version), path=info["path"]), style="dim"))
        elif source == "installed":
            out.print(Text(msgs.t("replay.version.installed", version=_short(version)), style="dim"))
        elif source == "missing":
            out.print(Text(msgs.t("replay.version.missing", version=_short(version), dirs=", ".join(info["searched"])), style="yellow"))
    seal = data["seal"]
    if seal["status"] == "present":
        out.print(msgs.t("replay.seal.present", path=seal["path"], count=seal.get("count")))
        out.print(Text(msgs.t(f"replay.signature.{seal['signature']}", key=_short(seal.get("key_id"))),
                       style="green" if seal["signature"] == "valid" else "yellow"))

    if data["findings"]:
        table = Table(title=msgs.t("replay.findings"), box=_box(), title_justify="left")
        table.add_column(msgs.t("replay.col.kind"))
        table.add_column(msgs.t("replay.col.what"))
        for f in data["findings"]:
            style = "yellow" if f["kind"] == "seal_missing" else "bold red"
            table.add_row(Text(msgs.t(f"replay.kind.{f['kind']}"), style=style), Text(finding_text(f, msgs)))
        out.print(table)

    records = data["records"]
    if records:
        table = Table(title=msgs.t("replay.not_reproduced"), box=_box(), title_justify="left")
        for col in ("seq", "line", "case", "status", "difference"):
            table.add_column(msgs.t(f"replay.col.{col}"))
        for r in records[:SHOWN]:
            table.add_row(str(r["seq"] if r["seq"] is not None else "-"), str(r["line"]), Text(r["case_id"] or ""),
                          Text(msgs.t(f"replay.status.{r['status']}"), style=STATUS_STYLE.get(r["status"], "")),
                          Text(_difference(r, msgs)))
        out.print(table)
        if len(records) > SHOWN:
            out.print(msgs.t("replay.more", count=len(records) - SHOWN))

    counts = Table(title=msgs.t("replay.counts"), box=_box(), title_justify="left")
    counts.add_column(msgs.t("replay.col.status"))
    counts.add_column(msgs.t("replay.col.records"), justify="right")
    for status, n in data["counts"].items():
        counts.add_row(Text(msgs.t(f"replay.status.{status}"), style=STATUS_STYLE.get(status, "")), str(n))
    out.print(counts)

    impact = data["impact"]
    other = rules["mode"] == "other"
    if impact["decisions_changed"]:
        if other:
            out.print(Text(msgs.t("replay.impact", changed=impact["decisions_changed"], money=impact["money_changed"],
                                  total=msgs.money(impact["moved_total"])), style="bold"))
        if impact["moved"]:
            title = msgs.t("replay.moved") if other else msgs.t("replay.moved_own")
            table = Table(title=title, box=_box(), title_justify="left")
            for col, right in (("program", False), ("year", True), ("amount", True)):
                table.add_column(msgs.t(f"cli.col.{col}"), justify="right" if right else "left")
            for m in impact["moved"]:
                table.add_row(m["program"], str(m["year"]), msgs.money(m["amount"]))
            out.print(table)
    verdict = {0: "ok", 3: "differs", 4: "tampered", 5: "incomplete"}.get(data["exit_code"], "error")
    out.print(Text(msgs.t(f"replay.verdict.{verdict}"), style="bold green" if verdict == "ok" else "bold red"))


def _difference(r: dict[str, Any], msgs: Messages) -> str:
    if r.get("error"):
        return str(r["error"])
    d = r.get("diff")
    if not d:
        return ""
    rows = []
    if d["status"]:
        rows.append(msgs.t("replay.diff.status", old=d["status"][0], new=d["status"][1]))
    for line in d["lines"]:
        old, new = line["amount"]
        rows.append(msgs.t("replay.diff.line", program=line["program"], beneficiary=line["beneficiary"], year=line["year"],
                           kind=msgs.t(f"cli.kind.{line['kind']}") if line["kind"] in ("cash", "in_kind") else line["kind"],
                           basis=_basis(line["basis"], msgs),
                           old=msgs.money(old) if old is not None else "-", new=msgs.money(new) if new is not None else "-"))
    for name, (old, new) in d["totals"].items():
        rows.append(msgs.t("replay.diff.total", name=name, old=old, new=new))
    if d["money_same"]:
        rows.append(msgs.t("replay.diff.details_only"))
    return "\n".join(rows)


def _basis(pair: list[str | None], msgs: Messages) -> str:
    """The basis of a line, once when unchanged: "exact", or "maximum -> exact"."""
    names = [msgs.t(f"cli.basis.{b}") if b in ("exact", "maximum") else str(b or "-") for b in pair]
    return names[0] if names[0] == names[1] else f"{names[0]} -> {names[1]}"


def rules_diff(data: dict[str, Any], msgs: Messages) -> None:
    out = console()
    out.print(Text(msgs.t("diff.header", old=data["old"]["spec"], old_version=_short(data["old"]["rules_version"]),
                          new=data["new"]["spec"], new_version=_short(data["new"]["rules_version"])), style="bold"))
    if not data["changes"]:
        out.print(msgs.t("diff.none"))
        return
    table = Table(box=_box())
    for col in ("area", "change", "program", "name", "from", "old", "new"):
        table.add_column(msgs.t(f"diff.col.{col}"))
    for c in data["changes"]:
        name = c["name"] or ""
        if c["field"]:
            name = f"{name}.{c['field']}" if name else c["field"]
        table.add_row(msgs.t(f"diff.area.{c['area']}"), msgs.t(f"diff.change.{c['change']}"), Text(c["program"] or ""),
                      Text(name), c["from"] or "", Text(_value(c["old"])), Text(_value(c["new"])))
    out.print(table)
    if not (data["old"]["catalogs"] and data["new"]["catalogs"]):
        out.print(Text(msgs.t("diff.no_catalogs"), style="dim"))


def _value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return ", ".join(f"{k}={_value(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_value(v) for v in value)
    return str(value)
