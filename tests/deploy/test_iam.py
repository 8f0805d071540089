"""deploy/iam.py's table of what each function touches, checked against the code so it cannot drift.

The scan starts at each role's module (the HANDLER its functions/<key>/main.py names) and follows every
`shared` import (lazy ones inside functions too: the locker runs the schedule scraper in-process). In those
modules it finds the BigQuery tables written (`insert_rows(rt, TABLE, ...)`, MERGE/DELETE/INSERT/UPDATE SQL
naming `{dataset}.TABLE` or `rt.table(TABLE)`) and read (other SQL naming them), and the
`shared.bucket_layout` kinds named by `object_name(...)`/`prefix(...)`. A function that calls a compare-and-swap,
overwrite, mark, release or delete marks the kinds it names (directly, through a module constant, or through a
function of the same module) as needing objectUser. Pure unit test: the code is parsed, not run.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from deploy import iam
from deploy.settings import load_settings
from shared.bq_schema import TABLES
from shared.bucket_layout import PREFIXES
from tests.deploy.conftest import REPO

MUTATORS = {"swap", "overwrite", "release", "mark", "add_metadata", "delete_object", "delete"}
WRITE_SQL = ("MERGE", "DELETE", "INSERT", "UPDATE")
# Named by a module the role imports for something else (kind -> why it is not a grant).
NOT_USED = {
    "cleanup": {"controller_slots": "shared.controller.state's LEDGER_PREFIX; cleanup imports it for load_games"},
    "backfill": {
        "controller_slots": "shared.controller.state's LEDGER_PREFIX; the backfill imports it for load_games",
        "quarantine": "shared.scrapers.core's; the backfill imports it for execution_id only",
    },
}


def module_file(mod: str) -> Path | None:
    p = REPO / Path(*mod.split("."))
    if (p / "__init__.py").is_file():
        return p / "__init__.py"
    return p.with_suffix(".py") if p.with_suffix(".py").is_file() else None


def closure(mod: str) -> dict[str, ast.Module]:
    """Every `shared` module reachable from `mod` by import statements anywhere in a module."""
    seen: dict[str, ast.Module] = {}
    todo = [mod]
    while todo:
        m = todo.pop()
        path = module_file(m)
        if m in seen or path is None:
            continue
        tree = seen[m] = ast.parse(path.read_text())
        if m == "shared.scrapers.registry" and mod == "shared.scrapers.service":
            # The registry imports each source's module by name (importlib): the scrapers function runs them all
            # (the locker only the schedule scraper's, which its own imports reach).
            todo += [f"shared.scrapers.sources.{f.stem}" for f in (REPO / "shared/scrapers/sources").glob("*.py")]
        parts = m.split(".")
        todo += [".".join(parts[:i]) for i in range(1, len(parts))]
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                todo += [a.name for a in node.names if a.name.startswith("shared")]
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("shared") and not node.level:
                todo.append(node.module or "")
                todo += [f"{node.module}.{a.name}" for a in node.names]
    return seen


def _call_name(node: ast.Call) -> str:
    f = node.func
    return f.attr if isinstance(f, ast.Attribute) else f.id if isinstance(f, ast.Name) else ""


def scan(handler: str) -> dict[str, set[str]]:
    mods = closure(handler)
    consts = {
        m: {
            t.id: n.value.value
            for n in tree.body
            if isinstance(n, ast.Assign) and isinstance(n.value, ast.Constant) and isinstance(n.value.value, str)
            for t in n.targets
            if isinstance(t, ast.Name)
        }
        for m, tree in mods.items()
    }
    out: dict[str, set[str]] = {"writes": set(), "reads": set(), "kinds": set(), "mutated": set()}
    for m, tree in mods.items():
        local = dict(consts[m])
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module in consts:
                local.update(
                    {
                        a.asname or a.name: consts[node.module][a.name]
                        for a in node.names
                        if a.name in consts[node.module]
                    }
                )

        def value(n: ast.AST, local: dict[str, str] = local) -> str | None:
            if isinstance(n, ast.Constant) and isinstance(n.value, str):
                return n.value
            if isinstance(n, ast.Name):
                return local.get(n.id)
            if isinstance(n, ast.Call) and _call_name(n) == "table" and n.args:
                return value(n.args[0], local)
            return None

        def kinds_in(node: ast.AST) -> set[str]:
            return {
                value(c.args[0]) or ""
                for c in ast.walk(node)
                if isinstance(c, ast.Call) and _call_name(c) in ("object_name", "prefix") and c.args
            } & set(PREFIXES)

        # kinds named by module-level names (PREFIX = prefix("...")) and by each function, through same-module calls
        name_kinds = {
            t.id: kinds_in(n.value)
            for n in tree.body
            if isinstance(n, ast.Assign)
            for t in n.targets
            if isinstance(t, ast.Name) and kinds_in(n.value)
        }
        funcs = {n.name: n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)}
        direct = {
            name: kinds_in(f) | {k for n in ast.walk(f) if isinstance(n, ast.Name) for k in name_kinds.get(n.id, ())}
            for name, f in funcs.items()
        }
        calls = {
            name: {_call_name(c) for c in ast.walk(f) if isinstance(c, ast.Call)} & set(funcs)
            for name, f in funcs.items()
        }
        reach = {name: set(k) for name, k in direct.items()}
        changed = True
        while changed:
            changed = False
            for name in funcs:
                extra = set().union(*(reach[c] for c in calls[name])) - reach[name] if calls[name] else set()
                if extra:
                    reach[name] |= extra
                    changed = True
        out["kinds"] |= kinds_in(tree)
        for name, f in funcs.items():
            if any(isinstance(c, ast.Call) and _call_name(c) in MUTATORS for c in ast.walk(f)):
                out["mutated"] |= reach[name]
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and _call_name(node) == "insert_rows" and len(node.args) >= 2:
                if value(node.args[1]) in TABLES:
                    out["writes"].add(value(node.args[1]) or "")
            if isinstance(node, ast.JoinedStr):
                text = "".join(p.value if isinstance(p, ast.Constant) else "\0" for p in node.values).strip()
                head = text.split(None, 1)[0].upper() if text else ""
                for p in node.values:
                    if isinstance(p, ast.FormattedValue) and value(p.value) in TABLES:
                        out["writes" if head.startswith(WRITE_SQL) else "reads"].add(value(p.value) or "")
    out["reads"] -= out["writes"]
    return out


def handler_of(key: str) -> str:
    text = (REPO / "functions" / key / "main.py").read_text()
    m = re.search(r'^HANDLER = "([\w.]+)\.\w+"$', text, re.M)
    assert m, f"functions/{key}/main.py names no HANDLER"
    return m.group(1)


def test_every_deployed_function_has_an_entry_and_the_entry_names_its_handler() -> None:
    assert set(iam.ACCESS) == set(load_settings().functions)
    for key, access in iam.ACCESS.items():
        assert access.handler == handler_of(key)


def test_every_job_has_an_entry_and_the_entry_is_what_its_main_runs() -> None:
    job = load_settings().backfill_job
    assert set(iam.JOB_ACCESS) == {job.key}
    text = (REPO / "jobs" / job.key / "main.py").read_text()
    assert f"from {iam.JOB_ACCESS[job.key].handler} import main" in text


@pytest.mark.parametrize("key", sorted(iam.ACCESS) + sorted(iam.JOB_ACCESS))
def test_the_table_matches_what_the_code_touches(key: str) -> None:
    a = iam.access(key)
    found = scan(a.handler)
    assert found["writes"] == set(a.writes), "BigQuery tables written"
    assert found["reads"] == set(a.reads), "BigQuery tables only read"
    declared = set(a.cas) | set(a.creates) | set(a.reads_prefixes)
    ignored = set(NOT_USED.get(key, {}))
    assert found["kinds"] - ignored == declared, "_nba-orch/ prefixes named by the code"
    assert found["mutated"] - ignored <= set(a.cas), "prefixes swapped, marked or deleted need objectUser there"
    if a.creates and not a.creates_data:
        assert not set(a.creates) & set(a.cas)


def test_the_scan_can_fail() -> None:
    """A role that starts deleting under a prefix it only creates is caught (here: the scrapers' run records)."""
    found = scan("shared.run_ledger")
    assert "runs" in found["kinds"] and "runs" not in found["mutated"]
    assert scan("shared.scrapers.service")["mutated"] >= {"scraper_requests", "shapes"}
    assert "quarantine" not in scan("shared.scrapers.service")["mutated"]


def test_conditions_name_the_bucket_layout_prefixes() -> None:
    (user,) = [g for g in iam.bucket_grants("notifier", "b") if g.role == iam.OBJECT_USER]
    assert user.condition is not None
    assert user.condition["expression"] == (
        'resource.type == "storage.googleapis.com/Bucket" || '
        f'resource.name.startsWith("projects/_/buckets/b/objects/{PREFIXES["notifier"]}")'
    )
    roles = {g.role for g in iam.bucket_grants("scrapers", "b") if g.condition is None}
    assert roles == {iam.OBJECT_VIEWER, iam.OBJECT_CREATOR}  # create raw files, never delete or overwrite them


def test_the_backfill_job_reads_only_what_it_needs_and_creates_only_its_own_records() -> None:
    """No role on the whole bucket; objects and listings under its prefixes, the run ledger and the schedule
    files only; create-only under its own prefix; no table (it never writes BigQuery)."""
    from shared.nba.schedule_store import SCHEDULE_PREFIX

    grants = {g.role: g for g in iam.bucket_grants("backfill", "b")}
    assert sorted(grants) == [iam.OBJECT_CREATOR, iam.OBJECT_VIEWER]
    assert all(g.condition for g in grants.values())
    base = "projects/_/buckets/b/objects/"
    assert (
        grants[iam.OBJECT_CREATOR].condition["expression"]
        == f'resource.name.startsWith("{base}{PREFIXES["backfill"]}")'
    )
    read = grants[iam.OBJECT_VIEWER].condition["expression"].split(" || ")
    prefixes = (PREFIXES["backfill"], PREFIXES["runs"], SCHEDULE_PREFIX.split("{")[0])
    assert read == [f'resource.name.startsWith("{base}{p}")' for p in prefixes] + [
        f'api.getAttribute("storage.googleapis.com/objectListPrefix", "").startsWith("{p}")' for p in prefixes
    ]
    assert iam.table_roles("backfill") == {}
    # the schedule files it reads are where the store keeps them (the scan sees bucket_layout kinds only)
    found = scan("shared.backfill.job")
    assert "shared.nba.schedule_store" in closure("shared.backfill.job") and not found["writes"]
