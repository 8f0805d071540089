"""The shape of an upstream answer (key paths and value types, never values) and how it drifts. Pure.

Why: an upstream that renames a key or changes a type either breaks a parser (a `parse_error`, quarantined)
or, worse, parses into something subtly different. Each run's summary carries the answer's fingerprint, and
the run is compared with the scraper's baseline shape (kept by `shared.scrapers.drift`), so a change is a
WARNING with the paths that changed, something an alert can count.

The shape of a JSON answer is a map `path -> types`:
- paths start at `$`; an object's key `k` is `<parent>.k`; a list's elements are merged into `<parent>[]`
  (so the shape is the same for any list length, and for any key order);
- types are `object`, `array`, `string`, `number` (int and float are one: 2 and 1.91 are both odds),
  `bool`, `null`; a path seen with several types (over list elements) has them all, sorted, joined by `|`;
- keys that are values (dates, ids, long hex: `{"2024-01-15": ...}`, `{"1610612737": ...}`) become `*`, so
  a map keyed by game id has one shape whatever the games;
- the stats.nba.com table idiom `{"name": "GameHeader", "headers": [names], "rowSet": [[values]]}` is read
  as rows keyed by the header names, per table (`$.resultSets[].rowSet:GameHeader[].GAME_ID`): there the
  column names are the schema, though they are values;
- bounded: at most MAX_PATHS paths (the first in sorted order; `truncated` says so) and MAX_DEPTH levels.

A CSV answer's shape is its header row (`$.<column>: column`). HTML pages (kept in the HtmlPage envelope)
and PDFs have no shape here (None): their structure is markup and layout, and their parsers' own checks are
the drift signal (a failed parse is quarantined). An answer that is not valid JSON has no shape either.

Drift (`compare`) is deliberately tolerant of what values do to a shape: a path under a list that is empty
today, or under a value that is null today, is "not observed", never "removed"; null is compatible with any
type. Only a path that is new under a container both answers observed (a renamed or added key), or a type
never seen at a path before, is drift. Removed paths are listed but do not warn on their own: optional keys
come and go with the data, and a removed key the parser needs fails the parse anyway.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

MAX_PATHS = 400
MAX_DEPTH = 16
# Distinct paths collected before the walk stops adding new ones (memory bound on pathological answers).
SCAN_LIMIT = 4 * MAX_PATHS
# How many paths of each kind a drift report names (the counts are always complete).
REPORT_LIMIT = 10
HTML_ENVELOPE_FORMAT = "nba-orch/html-page/1"  # shared.scrapers.base.HTML_ENVELOPE_FORMAT (no import: pure)

_VALUE_KEY = re.compile(
    r"^[-+]?\d"  # starts with a digit: dates, ids, numbers
    r"|^[0-9a-fA-F]{12,}$"  # long hex (Odds API event ids, hashes)
    r"|^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-"  # UUIDs
)
_MAX_KEY_LENGTH = 64


@dataclass(frozen=True)
class Shape:
    """The shape of one answer: `paths` maps each path to its sorted `|`-joined types."""

    kind: str  # "json" or "csv"
    paths: dict[str, str]
    truncated: bool = False

    @property
    def fingerprint(self) -> str:
        """16 hex digits identifying the shape exactly (same paths, same types, same kind)."""
        canonical = json.dumps([self.kind, sorted(self.paths.items()), self.truncated], separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()[:16]

    def summary(self) -> dict[str, Any]:
        """What a run's data_summary records: compact, no values."""
        out: dict[str, Any] = {"kind": self.kind, "fingerprint": self.fingerprint, "paths": len(self.paths)}
        if self.truncated:
            out["truncated"] = True
        return out

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "paths": dict(sorted(self.paths.items())), "truncated": self.truncated}

    @classmethod
    def from_json(cls, d: Mapping[str, Any]) -> Shape:
        paths = d.get("paths")
        if not isinstance(paths, dict) or not isinstance(d.get("kind"), str):
            raise ValueError("not a stored shape")
        return cls(kind=d["kind"], paths={str(k): str(v) for k, v in paths.items()}, truncated=bool(d.get("truncated")))


# ---------------------------------------------------------------------------------------------------------
# From an answer to its shape


_TYPES: dict[type, str] = {
    dict: "object",
    list: "array",
    str: "string",
    int: "number",
    float: "number",
    bool: "bool",
    type(None): "null",
}


def _key(key: Any) -> str:
    text = str(key)
    if not text or len(text) > _MAX_KEY_LENGTH or _VALUE_KEY.search(text):
        return "*"
    # '.' and '[' would make a path ambiguous; '%' is escaped first so the escaping is reversible.
    return text.replace("%", "%25").replace(".", "%2E").replace("[", "%5B")


class _Node:
    """One path of the shape being collected: its types, its children by (collapsed) key, its elements."""

    __slots__ = ("types", "kids", "raw", "items", "depth")

    def __init__(self, depth: int) -> None:
        self.types: set[str] = set()
        self.kids: dict[str, _Node] = {}
        self.raw: dict[Any, _Node] = {}  # raw key -> child (the collapsing of a key is computed once)
        self.items: _Node | None = None
        self.depth = depth


class _Walk:
    """Collects the shape in a tree of nodes (no path strings until the end: a 9 MB schedule is one pass)."""

    def __init__(self) -> None:
        self.root = _Node(0)
        self.count = 1
        self.truncated = False

    def _new(self, depth: int) -> _Node | None:
        if self.count >= SCAN_LIMIT:
            self.truncated = True
            return None
        self.count += 1
        return _Node(depth)

    def kid(self, node: _Node, key: Any, name: str | None = None) -> _Node | None:
        """The child of `node` at `key` (named `name` when given, else the key's collapsed form)."""
        child = node.raw.get(key) if name is None else node.kids.get(name)
        if child is None:
            name = name if name is not None else _key(key)
            child = node.kids.get(name)
            if child is None:
                child = self._new(node.depth + 1)
                if child is None:
                    return None
                node.kids[name] = child
            if name == _key(key):
                node.raw[key] = child
        return child

    def element(self, node: _Node) -> _Node | None:
        if node.items is None:
            node.items = self._new(node.depth + 1)
        return node.items

    def walk(self, value: Any, node: _Node) -> None:
        kind = type(value)
        node.types.add(_TYPES.get(kind) or kind.__name__)
        if kind is dict:
            if not value:
                return
            if node.depth >= MAX_DEPTH:
                self.truncated = True
                return
            headers = value.get("headers")
            table = isinstance(headers, list) and isinstance(value.get("rowSet"), list)
            if table and all(isinstance(h, str) for h in headers):
                title = value.get("name")
                rows_key = f"rowSet:{_key(title)}" if isinstance(title, str) and title else "rowSet"
                for k, v in value.items():
                    child = self.kid(node, k, rows_key if k == "rowSet" else None)
                    if child is None:
                        continue
                    if k == "rowSet":
                        self.table(v, headers, child)
                    else:
                        self.walk(v, child)
                return
            for k, v in value.items():
                child = self.kid(node, k)
                if child is not None:
                    self.walk(v, child)
        elif kind is list:
            if not value:
                return
            if node.depth >= MAX_DEPTH:
                self.truncated = True
                return
            child = self.element(node)
            if child is not None:
                for item in value:
                    self.walk(item, child)

    def table(self, rows: list[Any], headers: list[str], node: _Node) -> None:
        node.types.add("array")
        if not rows:
            return
        row_node = self.element(node)
        if row_node is None:
            return
        names = [_key(h) for h in headers]
        for row in rows:
            if type(row) is not list:
                self.walk(row, row_node)
                continue
            row_node.types.add("array")
            for i, cell in enumerate(row):
                child = self.kid(row_node, i, names[i] if i < len(names) else f"#{i}")
                if child is not None:
                    self.walk(cell, child)

    def shape(self, kind: str) -> Shape:
        paths: dict[str, str] = {}
        stack = [("$", self.root)]
        while stack:
            path, node = stack.pop()
            paths[path] = "|".join(sorted(node.types))
            stack.extend((f"{path}.{name}", child) for name, child in node.kids.items())
            if node.items is not None:
                stack.append((f"{path}[]", node.items))
        return _bounded(kind, paths, self.truncated)


def _bounded(kind: str, paths: dict[str, str], truncated: bool) -> Shape:
    if len(paths) > MAX_PATHS:
        paths = dict(sorted(paths.items())[:MAX_PATHS])
        truncated = True
    return Shape(kind=kind, paths=paths, truncated=truncated)


def of_json(doc: Any) -> Shape:
    """The shape of a decoded JSON document."""
    w = _Walk()
    w.walk(doc, w.root)
    return w.shape("json")


def of_csv(text: str) -> Shape | None:
    """The shape of a CSV document: its header row (None when there is none)."""
    try:
        header = next(csv.reader(io.StringIO(text)), None)
    except csv.Error:
        return None
    if not header or not any(h.strip() for h in header):
        return None
    paths = {"$": "table"}
    for name in header:
        paths[f"$.{_key(name.strip())}"] = "column"
    return _bounded("csv", paths, False)


def of_answer(body: bytes | None, content_type: str | None) -> Shape | None:
    """The shape of a stored answer (see the module docstring for which answers have one)."""
    if not body:
        return None
    ctype = (content_type or "").lower()
    if body[:5] == b"%PDF-" or "pdf" in ctype:
        return None
    if "csv" in ctype:
        try:
            return of_csv(body.decode("utf-8-sig"))
        except UnicodeDecodeError:
            return None
    try:
        doc = json.loads(body)
    except (UnicodeDecodeError, ValueError):
        return None
    if isinstance(doc, dict) and doc.get("format") == HTML_ENVELOPE_FORMAT:
        return None
    return of_json(doc)


# ---------------------------------------------------------------------------------------------------------
# Drift: the current shape against the scraper's baseline


def _parent(path: str) -> str | None:
    if path == "$":
        return None
    if path.endswith("[]"):
        return path[:-2]
    return path.rsplit(".", 1)[0]


def _containers(paths: Mapping[str, str]) -> set[str]:
    """Paths that have at least one child path: containers whose content was observed."""
    return {p for p in (_parent(q) for q in paths) if p is not None}


def _values(types: str) -> set[str]:
    return {t for t in types.split("|") if t and t != "null"}


@dataclass(frozen=True)
class Drift:
    """How the current shape differs from the baseline. `drifted`: a new path or a new type."""

    baseline: str  # the fingerprint of the shape compared with
    added: tuple[str, ...] = ()
    changed: tuple[str, ...] = ()  # "path: baseline types -> current types"
    removed: tuple[str, ...] = ()
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def drifted(self) -> bool:
        return bool(self.added or self.changed)

    def to_json(self) -> dict[str, Any]:
        return {
            "baseline": self.baseline,
            "added": list(self.added[:REPORT_LIMIT]),
            "changed": list(self.changed[:REPORT_LIMIT]),
            "removed": list(self.removed[:REPORT_LIMIT]),
            "counts": dict(self.counts),
        }


def compare(baseline: Shape, current: Shape) -> Drift:
    """The drift of `current` from `baseline` (module docstring: what counts, what is tolerated)."""
    if baseline.kind != current.kind:
        changed = (f"$: {baseline.kind} -> {current.kind}",)
        return Drift(baseline.fingerprint, changed=changed, counts={"added": 0, "changed": 1, "removed": 0})
    base, cur = baseline.paths, current.paths
    base_seen, cur_seen = _containers(base), _containers(cur)
    # A truncated shape keeps the first paths in sorted order: what sorts after its last one was not kept.
    base_end = max(base) if baseline.truncated and base else None
    cur_end = max(cur) if current.truncated and cur else None
    added = sorted(p for p in cur if p not in base and _parent(p) in base_seen and (base_end is None or p <= base_end))
    removed = sorted(p for p in base if p not in cur and _parent(p) in cur_seen and (cur_end is None or p <= cur_end))
    changed = []
    for p in sorted(set(base) & set(cur)):
        was, now = _values(base[p]), _values(cur[p])
        if was and not now <= was:
            changed.append(f"{p}: {base[p]} -> {cur[p]}")
    counts = {"added": len(added), "changed": len(changed), "removed": len(removed)}
    return Drift(baseline.fingerprint, tuple(added), tuple(changed), tuple(removed), counts)


def merge(baseline: Shape, current: Shape) -> Shape:
    """The baseline after `current` (a full answer) was seen: every path and type of both, bounded."""
    if baseline.kind != current.kind:
        return current
    types: dict[str, set[str]] = {p: set(t.split("|")) for p, t in baseline.paths.items()}
    for p, t in current.paths.items():
        types.setdefault(p, set()).update(t.split("|"))
    paths = {p: "|".join(sorted(ts)) for p, ts in types.items()}
    return _bounded(current.kind, paths, baseline.truncated or current.truncated)


# ---------------------------------------------------------------------------------------------------------
# The baseline: what a scraper's answers looked like so far (stored by shared.scrapers.safekeeping)

BASELINE_VERSION = 1


@dataclass(frozen=True)
class Baseline:
    """A scraper's baseline shape; `updated_by` is the execution that last changed it, `before` what it was
    then (a redelivery of that execution compares with `before`, so it reports the same drift again)."""

    shape: Shape
    updated_by: str
    updated_at: str = ""
    before: Shape | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "v": BASELINE_VERSION,
            "fingerprint": self.shape.fingerprint,
            "shape": self.shape.to_json(),
            "updated_by": self.updated_by,
            "updated_at": self.updated_at,
            "before": self.before.to_json() if self.before else None,
        }

    @classmethod
    def from_json(cls, d: Any) -> Baseline:
        """ValueError for anything that is not a baseline of this version (the caller starts a new one)."""
        if not isinstance(d, dict) or d.get("v") != BASELINE_VERSION or not isinstance(d.get("updated_by"), str):
            raise ValueError("not a shape baseline of version 1")
        before = d.get("before")
        return cls(
            shape=Shape.from_json(d.get("shape") or {}),
            updated_by=d["updated_by"],
            updated_at=str(d.get("updated_at") or ""),
            before=Shape.from_json(before) if before else None,
        )


def check(
    baseline: Baseline | None, current: Shape, *, execution_id: str, establishes: bool, at: str = ""
) -> tuple[Drift | None, Baseline | None]:
    """(the drift of `current` from the baseline, None when there is nothing to compare with; the baseline to
    store, None to leave it as it is).

    Only a full answer (`establishes`: a success with records) extends the baseline: an empty answer or one
    the parser rejected is compared, never learnt from, so a broken answer keeps warning until a fixed parser
    accepts it. Idempotent: the execution that last changed the baseline compares with what it found then.
    """
    if baseline is None:
        return None, (Baseline(current, execution_id, at) if establishes else None)
    if baseline.updated_by == execution_id:
        return (compare(baseline.before, current) if baseline.before else None), None
    drift = compare(baseline.shape, current)
    if establishes:
        merged = merge(baseline.shape, current)
        if merged != baseline.shape:
            return drift, Baseline(merged, execution_id, at, before=baseline.shape)
    return drift, None
