"""The questionnaire of `xisai ask` as a sequence of questions (data, no sentences).

    interview = Interview(book, as_of)
    while interview.question is not None:
        interview.answer(input(...))       # the same question again, with `problems`, if refused
    case = interview.result()             # a case file (format v1)

The order: first the entities (their ids, so references can name them), then each
entity's own fields (enterprises first: a person's employer-bound questions depend on
the employer's answers), then each entity's sub-objects and lists (persons first: an
enterprise's talent-enterprise questions depend on its founders' talent answers).
Which questions are asked at all is `questions.Relevance`'s business. Every answer is
checked by the case model and the case checks, inside the case as it stands, and
refused with their errors (the same sentences `xisai check` gives)."""
from __future__ import annotations

import copy
import itertools
from collections.abc import Generator
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from pydantic import BaseModel

from .answers import read_bool, read_choice, read_date, read_int, read_number
from .case_checks import CaseError, check_case, loc_to_path, shapes
from .case_model import YEAR_KEY, Case
from .facts import KIND_BOOL, KIND_DATE, KIND_INT, KIND_MONEY, KIND_NUMBER
from .i18n import LOCALES, Messages
from .questions import ENUM, ID, REF, REFS, Child, FieldSpec, Node, Relevance, View, build_view, form
from .rulebook import RuleBook

ADD, HAS, VALUE = "add", "has", "value"
SCALAR_ORDER = ("enterprises", "persons", "agencies")
CHILD_ORDER = ("persons", "enterprises", "agencies")


@dataclass(frozen=True)
class Section:
    """Where a question sits: an entity (its fact type and id) and the labels (catalog
    ids) of the sub-objects and lists on the way down."""
    entity: str
    id: str | None = None
    parts: tuple[str, ...] = ()

    def below(self, label: str) -> Section:
        return replace(self, parts=self.parts + (label,))


@dataclass(frozen=True)
class Question:
    ask: str                        # ADD (another list item?), HAS (this sub-object?), VALUE
    path: str                       # where the answer goes in the case
    label: str                      # catalog id of what is asked: field.<fact type>.<name>
    kind: str                       # how the answer is read: date, money, number, int, bool, text, enum, ref, refs, id
    section: Section | None = None
    required: bool = True
    default: Any = None             # what a blank answer means (None: nothing, for an optional field)
    choices: tuple[str, ...] = ()   # enumeration codes, or the ids a reference may name
    choice_field: str = ""          # enumeration labels are enum.<choice_field>.<code>
    count: int = 0                  # ADD: items so far
    problems: tuple[CaseError, ...] = ()


class Interview:
    def __init__(self, book: RuleBook, as_of: date, case_id: str | None = None):
        self.book, self.as_of = book, as_of
        self.case: dict[str, Any] = {"case_id": case_id or f"ask-{as_of.isoformat()}", "as_of": as_of.isoformat()}
        self.forms = form()
        self.relevance = Relevance(book)
        self.answered: set[str] = set()   # paths answered (or settled without asking)
        self.done: set[str] = set()       # paths of lists and sub-objects whose questions are over
        self._open: list[tuple[str | int, ...]] = []   # items and objects being filled in
        self._entities_complete = False
        self._labels = _choice_labels()
        self._flow = self._run()
        self.question: Question | None = next(self._flow)

    def answer(self, text: str) -> Question | None:
        """Answer the current question; returns the next one (the same one, with its
        problems, when the answer is refused), None once the questionnaire is over."""
        if self.question is None:
            raise RuntimeError("the questionnaire is over")
        try:
            self.question = self._flow.send(text)
        except StopIteration:
            self.question = None
        return self.question

    def result(self) -> dict[str, Any]:
        return _ordered(copy.deepcopy(self.case), Case)

    def partial(self) -> dict[str, Any]:
        """The answers so far without the item or object being filled in (which may
        lack a required field): a case that loads."""
        case = copy.deepcopy(self.case)
        for keys in reversed(self._open):
            node: Any = case
            for key in keys[:-1]:
                node = node[key]
            if isinstance(node, list):
                node.pop(keys[-1])  # type: ignore[arg-type]
            else:
                node.pop(keys[-1], None)
        return _ordered(case, Case)

    # --- the flow ---------------------------------------------------------------------
    def _run(self) -> Generator[Question, str, None]:
        for group, node in self.forms.items():
            if not self.relevance.node_read(node):
                continue
            items: list[dict[str, Any]] = []
            while (yield from self._yes_no(ADD, group, f"field.case.{group}", Section(node.type), len(items))):
                self.case[group] = items
                i = len(items)
                items.append({})
                spec = next(f for f in node.fields if f.kind == ID)
                used = {e.get("id") for g in self.forms for e in self.case.get(g, [])}
                default = next(f"{node.type[0].upper()}{n}" for n in itertools.count(1) if f"{node.type[0].upper()}{n}" not in used)
                self._open.append((group, i))
                yield from self._value(node, replace(spec, required=False, default=default), items[i], (group, i, spec.name),
                                       Section(node.type))
                self._open.pop()
        self._entities_complete = True
        for group in SCALAR_ORDER:
            for i, entity in enumerate(self.case.get(group, [])):
                yield from self._fields(self.forms[group], entity, (group, i), Section(self.forms[group].type, entity["id"]))
        for group in CHILD_ORDER:
            for i, entity in enumerate(self.case.get(group, [])):
                yield from self._children(self.forms[group], entity, (group, i), Section(self.forms[group].type, entity["id"]))

    def _fields(self, node: Node, data: dict, keys: tuple, section: Section) -> Generator[Question, str, None]:
        path = loc_to_path(keys)
        specs = [s for s in self.relevance.ordered(node) if s.kind != ID and f"{path}.{s.name}" not in self.answered]
        targets: dict[str, tuple[str, ...]] = {}
        for spec in specs:  # first what needs no question: later relevance may depend on it
            here = f"{path}.{spec.name}"
            if spec.kind == ENUM and spec.required and len(spec.choices) == 1:
                data[spec.name] = spec.choices[0]  # one possible answer
                self.answered.add(here)
            elif spec.target:
                targets[spec.name] = tuple(e["id"] for e in self.case.get(spec.target, []))
                if not targets[spec.name]:
                    self.answered.add(here)  # no entity it could name
        for spec in specs:
            here = f"{path}.{spec.name}"
            if here in self.answered:
                continue
            if not spec.required and not (self.relevance.field_read(node, spec) and self._field_matters(node, spec, path)):
                self.answered.add(here)  # left at its default: the rules cannot use it
                continue
            yield from self._value(node, replace(spec, choices=targets[spec.name]) if spec.target else spec, data,
                                   keys + (spec.name,), section)

    def _children(self, node: Node, data: dict, keys: tuple, section: Section) -> Generator[Question, str, None]:
        path = loc_to_path(keys)
        for child in node.children:
            here = f"{path}.{child.name}"
            label = f"field.{node.type}.{child.name}"
            if not (self.relevance.child_read(node, child) and self._child_matters(node, child, path)):
                self.done.add(here)
                continue
            if child.shape == "model":
                yield from self._object(child, data, keys, label, section)
            elif child.shape == "models":
                items: list[dict[str, Any]] = []
                while (yield from self._yes_no(ADD, here, label, section, len(items))):
                    data[child.name] = items
                    j = len(items)
                    items.append({})
                    item_keys = keys + (child.name, j)
                    self._open.append(item_keys)
                    yield from self._fields(child.node, items[j], item_keys, section.below(label))
                    yield from self._children(child.node, items[j], item_keys, section.below(label))
                    self._open.pop()
            else:
                yield from self._table(child, data, keys, label, section)
            self.done.add(here)

    def _object(self, child: Child, data: dict, keys: tuple, label: str, section: Section) -> Generator[Question, str, None]:
        here = loc_to_path(keys + (child.name,))
        problems: tuple[CaseError, ...] = ()
        while (yield from self._yes_no(HAS, here, label, section, problems=problems)):
            data[child.name] = {}
            self._open.append(keys + (child.name,))
            yield from self._fields(child.node, data[child.name], keys + (child.name,), section.below(label))
            yield from self._children(child.node, data[child.name], keys + (child.name,), section.below(label))
            self._open.pop()
            problems = tuple(e for e in self._errors() if e.path == here)  # e.g. fields that come together
            if not problems:
                return
            del data[child.name]
            self.answered = {p for p in self.answered if not p.startswith(here + ".")}
            self.done = {p for p in self.done if not p.startswith(here + ".")}

    def _table(self, child: Child, data: dict, keys: tuple, label: str, section: Section) -> Generator[Question, str, None]:
        """{"<year>": money}: a year, then its amount, as one item."""
        here = loc_to_path(keys + (child.name,))
        year_spec, amount_spec = child.node.fields
        table: dict[str, Any] = {}
        while (yield from self._yes_no(ADD, here, label, section, len(table))):
            data[child.name] = table
            question = Question(VALUE, here, f"field.{child.node.type}.{year_spec.name}", KIND_INT, section.below(label))
            problems: tuple[CaseError, ...] = ()
            while True:
                text = yield replace(question, problems=problems)
                year = str(read_int(text))
                problems = self._year_problems(table, year, here)
                if not problems:
                    break
            table[year] = "0"
            self._open.append(keys + (child.name, year))
            yield from self._value(child.node, replace(amount_spec, name=year), table, keys + (child.name, year),
                                   section.below(label), label=f"field.{child.node.type}.{amount_spec.name}")
            self._open.pop()

    def _year_problems(self, table: dict, year: str, here: str) -> tuple[CaseError, ...]:
        if not YEAR_KEY.fullmatch(year):
            return (CaseError(here, "year_key", {"key": year}),)
        if year in table:
            return (CaseError(here, "year_twice", {"year": year}),)
        table[year] = "0"
        try:
            return tuple(e for e in self._errors() if e.path == f"{here}.{year}")
        finally:
            del table[year]

    # --- one answer ---------------------------------------------------------------------
    def _yes_no(self, ask: str, path: str, label: str, section: Section, count: int = 0,
                problems: tuple[CaseError, ...] = ()) -> Generator[Question, str, bool]:
        if ask == ADD and count and section.id is not None:
            section = section.below(label)  # "another loan?" sits with the loans entered
        question = Question(ask, path, label, KIND_BOOL, section, required=False, default=False, count=count)
        while True:
            text = yield replace(question, problems=problems)
            if not text.strip():
                return False
            answer = read_bool(text)
            if answer is not None:
                return answer
            problems = (CaseError(path, "answer_yes_no"),)

    def _value(self, node: Node, spec: FieldSpec, data: dict, keys: tuple, section: Section,
               label: str | None = None) -> Generator[Question, str, None]:
        path = loc_to_path(keys)
        name = keys[-1]
        question = Question(VALUE, path, label or f"field.{node.type}.{spec.name}", spec.kind, section,
                            required=spec.required, default=spec.default, choices=spec.choices,
                            choice_field=spec.name)
        problems: tuple[CaseError, ...] = ()
        while True:
            text = yield replace(question, problems=problems)
            value, problems = self._read(question, text)
            if problems:
                continue
            old = data.get(name, _ABSENT)
            if value is _ABSENT:
                data.pop(name, None)
            else:
                data[name] = value
            problems = tuple(e for e in self._errors() if e.path == path or e.path.startswith((path + "[", path + ".")))
            if not problems:
                self.answered.add(path)
                return
            if old is _ABSENT:
                data.pop(name, None)
            else:
                data[name] = old

    def _read(self, q: Question, text: str) -> tuple[Any, tuple[CaseError, ...]]:
        """The case value an answer stands for, or why it cannot be read."""
        if not text.strip():
            if q.default is not None:
                return q.default, ()
            if not q.required:
                return _ABSENT, ()
            return None, (CaseError(q.path, "answer_required"),)
        if q.kind == KIND_BOOL:
            answer = read_bool(text)
            return (answer, ()) if answer is not None else (None, (CaseError(q.path, "answer_yes_no"),))
        if q.kind in (ENUM, REF):
            code = read_choice(text, q.choices, self._labels.get(q.choice_field, {}))
            if code is None:
                return None, (CaseError(q.path, "answer_choice", {"count": str(len(q.choices))}),)
            return code, ()
        if q.kind == REFS:
            picked = []
            for word in _split(text):
                code = read_choice(word, q.choices, {})
                if code is None:
                    return None, (CaseError(q.path, "answer_choice", {"count": str(len(q.choices))}),)
                picked.append(code)
            return picked, ()
        if q.kind == KIND_DATE:
            return read_date(text), ()
        if q.kind in (KIND_MONEY, KIND_NUMBER):
            return read_number(text, money=q.kind == KIND_MONEY), ()
        if q.kind == KIND_INT:
            return read_int(text), ()
        return text.strip(), ()

    def _errors(self) -> list[CaseError]:
        return check_case(self.case, self.book.bounds, self.as_of)[2]

    # --- relevance, on the answers so far -------------------------------------------------
    def _view(self) -> View:
        return build_view(self.case, self.answered, self.done, self.forms, self.book, self._entities_complete)

    def _field_matters(self, node: Node, spec: FieldSpec, path: str) -> bool:
        view = self._view()
        fact = next(f for f in view.facts if f["path"] == path)
        return self.relevance.field_matters(node, spec, fact, view)

    def _child_matters(self, node: Node, child: Child, path: str) -> bool:
        view = self._view()
        fact = next(f for f in view.facts if f["path"] == path)
        return self.relevance.child_matters(node, child, fact, view)


class _Absent:
    pass


_ABSENT: Any = _Absent()


def _split(text: str) -> list[str]:
    from .answers import normal
    return [w for w in normal(text).replace(",", " ").replace(";", " ").split() if w]


def _choice_labels() -> dict[str, dict[str, set[str]]]:
    """Every catalog label of every enumeration code, in every language: enum.<field>.<code>
    and choice.<field>.<code>."""
    out: dict[str, dict[str, set[str]]] = {}
    for locale in LOCALES:
        msgs = Messages.get(locale)
        for key in msgs.ids:
            if key.startswith(("enum.", "choice.")):
                _, field_name, code = key.split(".", 2)
                out.setdefault(field_name, {}).setdefault(code, set()).add(msgs.t(key))
    return out


def _ordered(data: Any, model: type[BaseModel]) -> Any:
    """The case's keys in the case format's order, whatever order they were asked in."""
    if not isinstance(data, dict):
        return data
    out = {}
    for name, shape in shapes(model).items():
        if name not in data:
            continue
        value = data[name]
        if shape.kind == "model" and isinstance(value, dict):
            value = _ordered(value, shape.model)  # type: ignore[arg-type]
        elif shape.kind == "models" and isinstance(value, list):
            value = [_ordered(v, shape.model) for v in value]  # type: ignore[arg-type]
        elif shape.kind == "table" and isinstance(value, dict):
            value = dict(sorted(value.items()))
        out[name] = value
    return out
