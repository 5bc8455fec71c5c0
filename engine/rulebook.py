"""Loading and validating the rule files in rules/.

Every key of every file is checked here, so a malformed rule or one that names an
unknown field fails at load with the file and the key, never halfway through a batch."""
from __future__ import annotations

import difflib
import hashlib
import tomllib
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

from .case_checks import Bound
from .facts import (
    BASE_KINDS,
    DERIVE_FUNCTIONS,
    FACT_SCHEMA,
    KIND_BOOL,
    KIND_DATE,
    KIND_INT,
    KIND_MONEY,
    KIND_NUMBER,
    KIND_TEXT,
    Derived,
    FactType,
    derived_kinds,
)
from .money import to_decimal

LANGS = ("zh", "en")
OPS = ("eq", "ne", "lt", "le", "gt", "ge", "in", "between", "within", "within_years", "exists")
PROGRAM_KINDS = ("program", "provision", "definition")

# Facts that the engine makes, not the case file: the talent-enterprise aggregate.
DERIVED_TYPES = {
    "talent_enterprise": FactType("talent_enterprise", {**BASE_KINDS, "q": KIND_DATE, "q_year": KIND_INT}),
}


class RuleError(ValueError):
    def __init__(self, file: str, key: str, message: str):
        super().__init__(f"{file}: {key}: {message}")
        self.file, self.key, self.message = file, key, message


@dataclass(frozen=True)
class ParamValue:  # one dated row of a parameter
    start: date
    value: Any
    source: str
    provisional: bool = False
    note: dict[str, str] | None = None


@dataclass(frozen=True)
class Parameter:
    name: str
    unit: str
    values: tuple[ParamValue, ...]
    file: str
    reading: dict[str, str] | None = None
    title: dict[str, str] | None = None
    # For whoever edits the rule file ("extending it is a one-line change here"): kept
    # with the rule, never rendered for the public.
    note_for_maintainers: dict[str, str] | None = None

    def row_from(self, start: str) -> ParamValue:
        """The row in force from `start` (YYYY-MM-DD), as a decision names it."""
        return next(r for r in self.values if r.start.isoformat() == start)

    def at(self, day: date) -> ParamValue:
        found = None
        for row in self.values:
            if row.start <= day:
                found = row
        if found is None:
            raise LookupError(f"parameter {self.name} ({self.file}) has no value in force on {day.isoformat()}")
        return found

    @property
    def only(self) -> ParamValue:
        return self.values[-1]


@dataclass(frozen=True)
class FactPattern:
    alias: str
    type: str
    joins: tuple[tuple[str, str, str], ...]  # (own field, other alias, other field)
    text: dict[str, str] | None


@dataclass(frozen=True)
class Condition:
    id: str
    alias: str
    field: str
    op: str
    kind: str
    text: dict[str, str]
    value: Any = None           # literal, or the resolved parameter value
    param: str | None = None
    ref: tuple[str, str] | None = None
    consider: bool = False

    def bounds(self) -> tuple[Any, Any] | None:
        """(low, high) for range operators, as the values compared."""
        if self.op in ("between", "within", "within_years"):
            return self.value
        return None


@dataclass
class Program:
    id: str
    kind: str
    order: int
    title: dict[str, str]
    clause_section: str
    clause_text: str
    file: str
    reading: dict[str, str] | None = None
    applies: dict[str, str] | None = None
    note_for_maintainers: dict[str, str] | None = None  # never rendered (see Parameter)
    beneficiary: str = ""
    candidate: str = ""
    trigger: str = ""
    facts: dict[str, FactPattern] = field(default_factory=dict)
    conditions: list[Condition] = field(default_factory=list)
    checks: dict[str, dict[str, str]] = field(default_factory=dict)
    formula: dict[str, Any] = field(default_factory=dict)
    parameters: dict[str, Parameter] = field(default_factory=dict)
    bounds: list[Bound] = field(default_factory=list)
    bound_units: dict[str, str] = field(default_factory=dict)  # bound field -> unit of its parameters

    @property
    def clause(self) -> dict[str, str]:
        return {"section": self.clause_section, "text": self.clause_text}


@dataclass
class RuleBook:
    root: Path
    version: str
    general: dict[str, Parameter]
    tables: dict[str, Parameter]          # parameters/*.toml, by id
    derived: list[Derived]
    definitions: dict[str, Program]
    programs: list[Program]               # in display order
    provisions: list[Program]
    document: dict[str, Any]

    def program(self, program_id: str) -> Program:
        """A program, provision or definition by its id (KeyError when none has it)."""
        by_id = self.__dict__.get("_by_id")
        if by_id is None:  # indexed on first use: the book is complete once loaded
            by_id = self.__dict__["_by_id"] = {p.id: p for p in (*self.definitions.values(), *self.provisions, *self.programs)}
        return by_id[program_id]

    def parameter(self, program: Program | None, name: str) -> Parameter:
        if program is not None and name in program.parameters:
            return program.parameters[name]
        if name in self.general:
            return self.general[name]
        if name in self.tables:
            return self.tables[name]
        raise KeyError(name)

    @property
    def bounds(self) -> list[Bound]:
        return [b for p in self.programs for b in p.bounds]


def default_rules_dir() -> Path:
    return Path(str(resources.files("xisai.rules")))


def rules_version(root: Path) -> str:
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.toml")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return "sha256:" + digest.hexdigest()


# --- small typed readers that name the file and key on failure -------------------------

class _Reader:
    def __init__(self, file: str, table: dict[str, Any], prefix: str = ""):
        self.file, self.table, self.prefix = file, table, prefix
        self.used: set[str] = set()

    def key(self, name: str) -> str:
        return f"{self.prefix}{name}"

    def fail(self, name: str, message: str) -> RuleError:
        return RuleError(self.file, self.key(name), message)

    def get(self, name: str, types: type | tuple[type, ...], required: bool = True, default: Any = None) -> Any:
        self.used.add(name)
        if name not in self.table:
            if required:
                close = difflib.get_close_matches(name, [k for k in self.table if k not in self.used], n=1)
                hint = f" (is {close[0]!r} a typo for it?)" if close else ""
                raise self.fail(name, f"is required{hint}")
            return default
        value = self.table[name]
        if not isinstance(value, types) or (isinstance(value, bool) and bool not in _as_tuple(types)):
            raise self.fail(name, f"must be {_type_names(types)}, not {type(value).__name__}")
        return value

    def sub(self, name: str) -> _Reader:
        return _Reader(self.file, self.get(name, dict), f"{self.key(name)}.")

    def sub_optional(self, name: str) -> _Reader | None:
        table = self.get(name, dict, required=False)
        return None if table is None else _Reader(self.file, table, f"{self.key(name)}.")

    def text(self, name: str) -> dict[str, str]:
        return self._text(self.sub(name))

    def text_optional(self, name: str) -> dict[str, str] | None:
        r = self.sub_optional(name)
        return None if r is None else self._text(r)

    @staticmethod
    def _text(r: _Reader) -> dict[str, str]:
        out = {lang: r.get(lang, str) for lang in LANGS}
        r.done()
        return out

    def done(self) -> None:
        extra = sorted(set(self.table) - self.used)
        if extra:
            raise self.fail(extra[0], "is not a known key")


def _as_tuple(types: type | tuple[type, ...]) -> tuple[type, ...]:
    return types if isinstance(types, tuple) else (types,)


def _type_names(types: type | tuple[type, ...]) -> str:
    names = {str: "a string", int: "an integer", bool: "true or false", dict: "a table", list: "a list",
             date: "a date", float: "a number"}
    return " or ".join(names.get(t, t.__name__) for t in _as_tuple(types))


def _value(file: str, key: str, raw: Any) -> Any:
    """Parameter values: strings and numbers become Decimal (never float), lists and
    tables are converted element-wise, dates and booleans stay."""
    if isinstance(raw, (bool, date)):
        return raw
    if isinstance(raw, (int, float)):
        return to_decimal(raw)
    if isinstance(raw, str):
        try:
            return to_decimal(raw)
        except ValueError:
            return raw
    if isinstance(raw, list):
        return [_value(file, f"{key}[{i}]", v) for i, v in enumerate(raw)]
    if isinstance(raw, dict):
        return {k: _value(file, f"{key}.{k}", v) for k, v in raw.items()}
    raise RuleError(file, key, f"unsupported value {raw!r}")


def _parameter(file: str, name: str, r: _Reader, with_id: bool = False) -> Parameter:
    unit = r.get("unit", str)
    reading = r.text_optional("reading")
    maintainers = r.text_optional("note_for_maintainers")
    title = r.text("title") if with_id else None
    rows = r.get("values", list)
    if not rows:
        raise r.fail("values", "must list at least one dated value")
    values: list[ParamValue] = []
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise r.fail(f"values[{i}]", "must be a table")
        vr = _Reader(file, row, f"{r.key('values')}[{i}].")
        start = vr.get("from", date)
        source = vr.get("source", str)
        provisional = vr.get("provisional", bool, required=False, default=False)
        note = vr.text_optional("note")
        if unit == "window":
            value: Any = (vr.get("start", date), vr.get("end", date))
            if value[1] < value[0]:
                raise vr.fail("end", "is before start")
        elif "table" in row:
            value = _value(file, vr.key("table"), vr.get("table", dict))
        else:
            value = _value(file, vr.key("value"), vr.get("value", (str, int, float, list)))
        vr.done()
        if values and start <= values[-1].start:
            raise vr.fail("from", "dates must increase from row to row")
        values.append(ParamValue(start, value, source, provisional, note))
    r.done()  # a misspelt key (say `note_for_maintainer`) fails here rather than vanish
    return Parameter(name, unit, tuple(values), file, reading, title, maintainers)


def _window_years(window: tuple[date, date]) -> tuple[int, int]:
    """A whole-year figure is inside the window when its year begins inside it."""
    start, end = window
    first = start.year if (start.month, start.day) == (1, 1) else start.year + 1
    return first, end.year


# --- loading -------------------------------------------------------------------

def load_rulebook(root: Path | None = None) -> RuleBook:
    root = Path(root) if root is not None else default_rules_dir()
    if not (root / "general.toml").is_file():
        raise RuleError(str(root), "general.toml", "the rules directory has no general.toml")

    def read(path: Path) -> tuple[str, dict[str, Any]]:
        rel = path.relative_to(root).as_posix()
        try:
            with path.open("rb") as fh:
                return rel, tomllib.load(fh)
        except tomllib.TOMLDecodeError as exc:
            raise RuleError(rel, "(file)", f"is not valid TOML: {exc}") from None

    gfile, gdata = read(root / "general.toml")
    g = _Reader(gfile, gdata)
    document = g.get("document", dict)
    params_r = g.sub("parameters")
    general = {name: _parameter(gfile, name, params_r.sub(name)) for name in params_r.table}
    params_r.used.update(params_r.table)
    if "policy_window" not in general or general["policy_window"].unit != "window":
        raise RuleError(gfile, "parameters.policy_window", "a parameter with unit = \"window\" is required")
    derived = _derived(gfile, g.sub_optional("derived"))
    g.done()

    tables = {}
    for path in sorted((root / "parameters").glob("*.toml")):
        rel, data = read(path)
        r = _Reader(rel, data)
        pid = r.get("id", str)
        if pid != path.stem:
            raise r.fail("id", f"must match the file name ({path.stem})")
        tables[pid] = _parameter(rel, pid, r, with_id=True)
        r.done()

    schema = _schema_with(derived)
    book = RuleBook(root, rules_version(root), general, tables, derived, {}, [], [], document)
    for sub, kinds in (("definitions", ("definition",)), ("programs", ("program",)), ("provisions", ("provision",))):
        for path in sorted((root / sub).glob("*.toml")):
            rel, data = read(path)
            program = _program(rel, data, path.stem, schema, book, kinds)
            if program.kind == "definition":
                book.definitions[program.id] = program
            elif program.kind == "provision":
                book.provisions.append(program)
            else:
                book.programs.append(program)
    if "talent_enterprise" not in book.definitions:
        raise RuleError("definitions/talent_enterprise.toml", "(file)", "the talent enterprise definition is required")
    ids = [p.id for p in book.programs + book.provisions]
    dupes = {i for i in ids if ids.count(i) > 1}
    if dupes:
        raise RuleError(str(root), "id", f"program ids must be unique: {sorted(dupes)}")
    book.programs.sort(key=lambda p: (p.order, p.id))
    book.provisions.sort(key=lambda p: (p.order, p.id))
    from .formulas import validate_formula  # late: formulas import rulebook types
    for program in book.programs:
        validate_formula(program, book)
    return book


def _derived(file: str, r: _Reader | None) -> list[Derived]:
    if r is None:
        return []
    out = []
    for fact_type in r.table:
        tr = r.sub(fact_type)
        if fact_type not in FACT_SCHEMA:
            raise RuleError(file, f"derived.{fact_type}", "is not a fact type of the case format")
        for name in tr.table:
            fr = tr.sub(name)
            function = fr.get("function", str)
            if function not in DERIVE_FUNCTIONS:
                raise fr.fail("function", f"unknown function {function!r} (known: {sorted(DERIVE_FUNCTIONS)})")
            args = fr.get("args", list)
            for a in args:
                if a not in FACT_SCHEMA[fact_type].fields:
                    raise fr.fail("args", f"{fact_type} has no field {a!r}")
            fr.done()
            out.append(Derived(fact_type, name, function, tuple(args)))
        tr.done()
    r.used.update(r.table)
    return out


def _schema_with(derived: list[Derived]) -> dict[str, FactType]:
    schema = {name: FactType(name, dict(ft.fields)) for name, ft in FACT_SCHEMA.items()}
    schema.update(DERIVED_TYPES)
    for d in derived:
        schema[d.fact_type].fields[d.field] = derived_kinds()[d.function]
    return schema


def _program(file: str, data: dict, stem: str, schema: dict[str, FactType], book: RuleBook,
             kinds: tuple[str, ...]) -> Program:
    r = _Reader(file, data)
    pid = r.get("id", str)
    if pid != stem:
        raise r.fail("id", f"must match the file name ({stem})")
    kind = r.get("kind", str, required=False, default="program")
    if kind not in kinds:
        raise r.fail("kind", f"must be {' or '.join(kinds)} in this folder")
    clause = r.sub("clause")
    program = Program(
        id=pid, kind=kind, order=r.get("order", int, required=kind != "definition", default=0),
        title=r.text("title"), clause_section=clause.get("section", str), clause_text=clause.get("text", str),
        file=file, reading=r.text_optional("reading"), applies=r.text("applies") if kind == "provision" else r.text_optional("applies"),
        note_for_maintainers=r.text_optional("note_for_maintainers"))
    clause.done()
    if kind == "provision":
        r.done()
        return program

    params_r = r.sub_optional("parameters")
    if params_r is not None:
        program.parameters = {n: _parameter(file, n, params_r.sub(n)) for n in params_r.table}
        params_r.used.update(params_r.table)

    facts_r = r.sub("facts")
    for alias in facts_r.table:
        fr = facts_r.sub(alias)
        ftype = fr.get("type", str)
        if ftype not in schema:
            raise fr.fail("type", f"unknown fact type {ftype!r}")
        joins = []
        for own, target in (fr.get("join", dict, required=False) or {}).items():
            if own not in schema[ftype].fields:
                raise fr.fail(f"join.{own}", f"{ftype} has no field {own!r}")
            other, _, other_field = str(target).partition(".")
            if other not in program.facts:
                raise fr.fail(f"join.{own}", f"must name an alias declared before {alias!r}, got {target!r}")
            if other_field not in schema[program.facts[other].type].fields:
                raise fr.fail(f"join.{own}", f"{program.facts[other].type} has no field {other_field!r}")
            joins.append((own, other, other_field))
        if program.facts and not joins:
            # A pattern joined to nothing is a cross product with every fact of its type.
            raise fr.fail("join", "every alias after the first must join an earlier one")
        text = fr.text_optional("text")  # said when no fact joins; a generic sentence otherwise
        fr.done()
        program.facts[alias] = FactPattern(alias, ftype, tuple(joins), text)
    facts_r.used.update(facts_r.table)

    for key in ("beneficiary", "candidate"):
        alias = r.get(key, str)
        if alias not in program.facts:
            raise r.fail(key, f"names no alias of [facts]: {alias!r}")
        setattr(program, key, alias)
    if program.candidate != next(iter(program.facts)):
        raise r.fail("candidate", "must be the first alias of [facts]")
    trigger = r.get("trigger", str, required=False, default="")  # documents the trigger; schooling has none but as_of
    if trigger:
        _field_ref(program, schema, trigger, r, "trigger")
    program.trigger = trigger

    seen = set()
    for i, raw in enumerate(r.get("conditions", list)):
        cr = _Reader(file, raw, f"conditions[{i}].")
        cond = _condition(program, schema, book, cr)
        if cond.id in seen:
            raise cr.fail("id", f"duplicate condition id {cond.id!r}")
        seen.add(cond.id)
        program.conditions.append(cond)
        cr.done()
    for i, raw in enumerate(r.get("checks", list, required=False, default=[])):
        cr = _Reader(file, raw, f"checks[{i}].")
        program.checks[cr.get("id", str)] = cr.text("text")
        cr.done()
    if kind == "program":
        program.formula = dict(r.get("formula", dict))
        for i, raw in enumerate(r.get("approved", list, required=False, default=[])):
            br = _Reader(file, raw, f"approved[{i}].")
            program.bounds.append(Bound(
                field=br.get("field", str),
                low=_bound(program, book, br, "low"), low_inclusive=br.get("low_inclusive", bool, required=False, default=True),
                high=_bound(program, book, br, "high"), high_inclusive=br.get("high_inclusive", bool, required=False, default=True),
                rule_file=file))
            units = [book.parameter(program, v).unit for v in (raw.get("low"), raw.get("high")) if _is_param_name(v)]
            if units:
                program.bound_units[program.bounds[-1].field] = units[0]
            br.done()
    r.done()
    return program


def _field_ref(program: Program, schema: dict[str, FactType], ref: str, r: _Reader, key: str) -> tuple[str, str, str]:
    alias, _, fname = ref.partition(".")
    if alias not in program.facts:
        raise r.fail(key, f"names no alias of [facts]: {ref!r}")
    ftype = program.facts[alias].type
    if fname not in schema[ftype].fields:
        raise r.fail(key, f"{ftype} has no field {fname!r}")
    return alias, fname, schema[ftype].fields[fname]


def _condition(program: Program, schema: dict[str, FactType], book: RuleBook, cr: _Reader) -> Condition:
    cid = cr.get("id", str)
    alias = cr.get("fact", str)
    fname = cr.get("field", str)
    _, _, kind = _field_ref(program, schema, f"{alias}.{fname}", cr, "field")
    op = cr.get("op", str)
    if op not in OPS:
        raise cr.fail("op", f"unknown operator {op!r} (known: {', '.join(OPS)})")
    text = cr.text("text")
    consider = cr.get("consider", bool, required=False, default=False)
    sources = [k for k in ("value", "param", "ref") if k in cr.table]
    if op == "exists":
        if sources:
            raise cr.fail(sources[0], "exists takes no value")
        return Condition(cid, alias, fname, op, kind, text, consider=consider)
    if len(sources) != 1:
        raise cr.fail("value", "give exactly one of value, param or ref")
    param = ref = None
    if sources[0] == "ref":
        ref_alias, ref_field, ref_kind = _field_ref(program, schema, cr.get("ref", str), cr, "ref")
        if ref_kind != kind or op not in ("eq", "ne", "lt", "le", "gt", "ge"):
            raise cr.fail("ref", f"must name a {kind} field and use a comparison operator")
        value, ref = None, (ref_alias, ref_field)
    elif sources[0] == "param":
        param = cr.get("param", str)
        try:
            parameter = book.parameter(program, param)
        except KeyError:
            raise cr.fail("param", f"unknown parameter {param!r}") from None
        if len(parameter.values) != 1:
            raise cr.fail("param", "a condition's parameter must have a single value (conditions are compiled once)")
        value = parameter.only.value
    else:
        value = _value(cr.file, cr.key("value"), cr.get("value", (str, int, float, bool, list)))
    value = _condition_value(cr, op, kind, value, ref is not None)
    return Condition(cid, alias, fname, op, kind, text, value, param, ref, consider)


def _condition_value(cr: _Reader, op: str, kind: str, value: Any, is_ref: bool) -> Any:
    if is_ref:
        return None
    if op == "within":
        if kind != KIND_DATE or not (isinstance(value, tuple) and len(value) == 2):
            raise cr.fail("op", "within needs a date field and a window parameter")
        return value
    if op == "within_years":
        if kind != KIND_INT or not isinstance(value, tuple):
            raise cr.fail("op", "within_years needs a year field and a window parameter")
        return _window_years(value)
    if op == "between":
        if not (isinstance(value, list) and len(value) == 2):
            raise cr.fail("value", "between needs [low, high]")
        return tuple(_typed(cr, kind, v) for v in value)
    if op == "in":
        if not isinstance(value, list) or not value:
            raise cr.fail("value", "in needs a non-empty list")
        return tuple(_typed(cr, kind, v) for v in value)
    return _typed(cr, kind, value)


def _typed(cr: _Reader, kind: str, v: Any) -> Any:
    ok = {KIND_BOOL: lambda: isinstance(v, bool),
          KIND_TEXT: lambda: isinstance(v, str),
          KIND_DATE: lambda: isinstance(v, date),
          KIND_INT: lambda: isinstance(v, Decimal) and v == v.to_integral_value(),
          KIND_NUMBER: lambda: isinstance(v, Decimal),
          KIND_MONEY: lambda: isinstance(v, Decimal)}[kind]()
    if not ok:
        raise cr.fail("value", f"{v!r} does not fit a {kind} field")
    return int(v) if kind == KIND_INT else v


def _is_param_name(raw: Any) -> bool:
    return isinstance(raw, str) and not raw.replace(".", "", 1).isdigit()


def _bound(program: Program, book: RuleBook, br: _Reader, key: str) -> Decimal:
    raw = br.get(key, (str, int, float))
    if _is_param_name(raw):
        try:
            return book.parameter(program, raw).only.value
        except KeyError:
            raise br.fail(key, f"unknown parameter {raw!r}") from None
    return to_decimal(raw)
