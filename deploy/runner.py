"""Runs a plan's commands (or prints them for --dry-run) and reports what changed.

A describe that fails with "not found" means "missing, create it"; any other failure (no credentials, no
permission, a typo in the project) stops the deploy with the command and gcloud's message, before anything is
created on a wrong assumption. Mutating commands are retried a few times on the transient errors Google
documents right after an identity is created (IAM is eventually consistent).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TextIO

from deploy.plan import PHASES, Cmd, Ctx, DeployError, MissingFact, Step, step_category

NOT_FOUND = re.compile(r"(?i)\bNOT_FOUND\b|\bnot found\b|\b404\b")
# A describe in a project whose API is not enabled yet (--plan: the APIs step would enable it first).
API_DISABLED = re.compile(r"(?i)SERVICE_DISABLED|has not been used in project|API .* is disabled|it is disabled")
TRANSIENT = re.compile(
    r"(?i)does not exist|UNAVAILABLE|DEADLINE_EXCEEDED|try again|retry in|rateLimitExceeded|concurrent policy changes"
)
RETRY_DELAYS = (2.0, 5.0, 10.0, 20.0)


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()


@dataclass
class Outcome:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    commands: int = 0


class Runner:
    """Runs commands through the CLIs on PATH (with prompts disabled); prints `+ command` lines to `log`."""

    def __init__(
        self, log: TextIO = sys.stderr, sleep: Callable[[float], None] = time.sleep, env: dict[str, str] | None = None
    ) -> None:
        self.log = log
        self.sleep = sleep
        self.env = {**(os.environ if env is None else env), "CLOUDSDK_CORE_DISABLE_PROMPTS": "1"}
        self.count = 0

    def _run(self, cmd: Cmd) -> subprocess.CompletedProcess[str]:
        self.count += 1
        print(f"+ {cmd.text()}", file=self.log, flush=True)
        try:
            return subprocess.run(
                list(cmd.argv), capture_output=True, text=True, env=self.env, timeout=cmd.timeout, check=False
            )
        except FileNotFoundError:
            raise DeployError(
                f"`{cmd.argv[0]}` is not installed or not on PATH (install the Google Cloud CLI)"
            ) from None
        except subprocess.TimeoutExpired:
            raise DeployError(f"timed out after {cmd.timeout:.0f} s: {cmd.text()}") from None

    def describe(self, cmd: Cmd, disabled_is_missing: bool = False) -> Any:
        """The parsed JSON state, or MISSING when the CLI says the resource does not exist (or, with
        `disabled_is_missing`, that its API is not enabled yet)."""
        res = self._run(cmd)
        if res.returncode != 0:
            if NOT_FOUND.search(res.stderr) or NOT_FOUND.search(res.stdout):
                return MISSING
            if disabled_is_missing and API_DISABLED.search(res.stderr + res.stdout):
                return MISSING
            raise DeployError(f"failed: {cmd.text()}\n{_tail(res.stderr or res.stdout)}")
        out = res.stdout.strip()
        if not out:
            return []
        try:
            return json.loads(out)
        except ValueError:
            raise DeployError(f"not JSON from: {cmd.text()}\n{_tail(out)}") from None

    def apply(self, cmd: Cmd) -> None:
        for attempt in range(len(RETRY_DELAYS) + 1):
            res = self._run(cmd)
            if res.returncode == 0:
                return
            message = res.stderr or res.stdout
            if attempt < len(RETRY_DELAYS) and TRANSIENT.search(message):
                delay = RETRY_DELAYS[attempt]
                print(f"  transient error, retrying in {delay:.0f} s: {_tail(message, 1)}", file=self.log, flush=True)
                self.sleep(delay)
                continue
            raise DeployError(f"failed: {cmd.text()}\n{_tail(message)}")


def _tail(text: str, lines: int = 15) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def _described(step: Step, runner: Runner, describe: Cmd | None, disabled_is_missing: bool = False) -> Any:
    if describe is None:
        return None
    current = runner.describe(describe, disabled_is_missing)
    return MISSING if step.empty_is_missing and current == [] else current


def selected(step: Step, only: set[str] | None) -> bool:
    return only is None or step_category(step) in only


def _observe(step: Step, ctx: Ctx, runner: Runner) -> None:
    """A step outside --only: only describe it, and only when later steps need a fact it records."""
    if type(step).record is Step.record:
        return
    try:
        describe = step.describe(ctx)
    except MissingFact:
        return  # what it would describe is not there either; a selected step needing it says so
    current = _described(step, runner, describe)
    if current is not MISSING:
        step.record(ctx, current)


def execute(steps: list[Step], ctx: Ctx, runner: Runner, only: set[str] | None = None) -> Outcome:
    """Bring every step's resource to its desired state, in order; stops at the first error. With `only`
    (categories of deploy.plan.CATEGORIES), the other steps are only described, for the facts they record."""
    out = Outcome()
    phase = 0
    for step in steps:
        if not selected(step, only):
            _observe(step, ctx, runner)
            continue
        if step.phase != phase:
            phase = step.phase
            print(f"== {phase}/{len(PHASES)} {PHASES[phase]}", file=runner.log, flush=True)
        describe = step.describe(ctx)
        current = _described(step, runner, describe)
        ctx.notes.clear()
        if current is MISSING:
            if not step.creatable:
                raise DeployError(step.missing_message(ctx) + " (nothing after this step was changed)")
            cmds, verb = step.create(ctx), "created"
        else:
            cmds, verb = step.update(ctx, current), "updated"
        for cmd in cmds:
            runner.apply(cmd)
        if cmds:
            (out.created if verb == "created" else out.updated).append(step.label)
            detail = f" ({'; '.join(ctx.notes)})" if ctx.notes else ""
            print(f"  {verb}: {step.label}{detail}", file=runner.log, flush=True)
            if step.redescribe and describe is not None:
                current = _described(step, runner, describe)
                if current is MISSING:
                    raise DeployError(f"{step.label} is still missing after it was created")
        else:
            out.unchanged.append(step.label)
        step.record(ctx, current)
    out.commands = runner.count
    return out


@dataclass
class PlanOutcome:
    create: list[str] = field(default_factory=list)
    update: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)  # decided only once the changes before it are made
    unchanged: int = 0

    @property
    def changes(self) -> int:
        return len(self.create) + len(self.update) + len(self.pending)


def plan(steps: list[Step], ctx: Ctx, runner: Runner, stream: TextIO, only: set[str] | None = None) -> PlanOutcome:
    """`deploy --plan`: run the describes a deploy runs, print only the steps that would change and their
    commands; run nothing else. A step whose describe needs a fact of a resource still to be created (a new
    function's trigger) is listed as decided after those changes; a policy or listing of such a resource is
    planned against what it will be (`Step.planned_state`)."""
    out = PlanOutcome()
    ctx.plan = True
    earlier_changes = False  # once something is to be created, later describes may find nothing: expected
    apis_pending = False
    for step in steps:
        if not selected(step, only):
            _observe(step, ctx, runner)
            continue
        ctx.notes.clear()
        ctx.placeholders.clear()
        describe = step.describe(ctx)
        if ctx.placeholders:
            out.pending.append(step.label)
            needs = ", ".join(dict.fromkeys(ctx.placeholders))
            print(f"? {step.label}: decided once the changes above are made (needs {needs})", file=stream)
            continue
        current = _described(step, runner, describe, disabled_is_missing=apis_pending)
        planned = False
        if current is MISSING and not step.creatable:
            if not earlier_changes:
                raise DeployError(step.missing_message(ctx))
            if step.planned_state is None:
                out.pending.append(step.label)
                print(f"? {step.label}: decided once the changes above are made", file=stream)
                continue
            current, planned = step.planned_state, True
        if current is MISSING:
            cmds, sign, bucket = step.create(ctx), "+", out.create
        else:
            cmds = step.update(ctx, current)
            sign, bucket = ("+", out.create) if planned else ("~", out.update)
            if not ctx.placeholders:
                step.record(ctx, current)
        if not cmds:
            out.unchanged += 1
            continue
        bucket.append(step.label)
        earlier_changes = True
        apis_pending = apis_pending or step_category(step) == "apis"
        detail = f" ({'; '.join(ctx.notes)})" if ctx.notes else ""
        print(f"{sign} {step.label}{detail}", file=stream)
        for cmd in cmds:
            print(f"    {cmd.text()}", file=stream)
    out_line = (
        f"Plan: {len(out.create)} to create, {len(out.update)} to update, {len(out.pending)} decided after those; "
        f"{out.unchanged} unchanged."
    )
    print(out_line if out.changes else f"No changes: {out.unchanged} resources match.", file=stream)
    return out


def render_dry_run(steps: list[Step], ctx: Ctx, stream: TextIO, only: set[str] | None = None) -> int:
    """Print every command a deploy may run, grouped by step, and run none. Returns the number printed."""
    n = 0

    def emit(cmds: list[Cmd], note: str | None = None) -> None:
        nonlocal n
        if cmds and note:
            print(f"#   {note}:", file=stream)
        for cmd in cmds:
            print(cmd.text(), file=stream)
            n += 1

    phase = 0
    for step in steps:
        if not selected(step, only):
            continue
        if step.phase != phase:
            phase = step.phase
            print(f"\n# == {phase}/{len(PHASES)} {PHASES[phase]}", file=stream)
        print(f"# -- {step.label}", file=stream)
        describe = step.describe(ctx)
        if describe is not None:
            emit([describe])
        if step.creatable:
            emit(step.create(ctx), "if missing")
        updates = step.preview_update(ctx)
        if updates:
            emit(updates, step.preview_note)
        elif step.updates_with_create:
            print(f"#   {step.preview_note}", file=stream)
    return n
