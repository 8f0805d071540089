"""The dashboards' BigQuery views in deploy (phase 3, after the tables they read): shared/bq_views.py's SQL,
for the deployed project and dataset.

Each view is described first (`bq show`); a missing one is made with `bq mk --view` (standard SQL), one whose
stored text differs (whitespace aside) or that is not standard SQL is changed with `bq update --view`, and an
identical one is left alone, so a second deploy changes nothing. A table (not a view) under a view's name
stops the deploy: it is not replaced on a guess. The SQL goes on one line (its whitespace collapsed: the text
has no string literal where it matters), so the printed plan keeps one command per line.
"""

from __future__ import annotations

from typing import Any

from deploy.plan import Cmd, Ctx, DeployError, Step
from shared.bq_views import VIEWS, render


def _one_line(sql: str) -> str:
    return " ".join(sql.split())


class View(Step):
    phase = 3

    def __init__(self, name: str) -> None:
        super().__init__(f"view {name}")
        self.name = name

    def ref(self, ctx: Ctx) -> str:
        return f"{ctx.dataset_ref}.{self.name}"

    def sql(self, ctx: Ctx) -> str:
        return _one_line(render(self.name, ctx.project, ctx.rt.dataset, ctx.cfg))

    def _args(self, ctx: Ctx) -> list[str]:
        return ["--use_legacy_sql=false", f"--view={self.sql(ctx)}", f"--description={VIEWS[self.name][1]}"]

    def describe(self, ctx: Ctx) -> Cmd:
        return ctx.bq("show", self.ref(ctx), json_out=True)

    def create(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.bq("mk", *self._args(ctx), self.ref(ctx))]

    def update(self, ctx: Ctx, current: Any) -> list[Cmd]:
        if current.get("type", "VIEW") != "VIEW" or "view" not in current:
            raise DeployError(
                f"{self.ref(ctx)} exists and is a {current.get('type', 'table')}, not a view: rename or remove it "
                "by hand (it is not replaced on a guess)"
            )
        view = current.get("view") or {}
        same = _one_line(view.get("query") or "") == self.sql(ctx) and view.get("useLegacySql") is False
        if same and (current.get("description") or "") == VIEWS[self.name][1]:
            return []
        ctx.notes.append(f"update view {self.name} (its SQL or description differs from shared/bq_views.py)")
        return [ctx.bq("update", *self._args(ctx), self.ref(ctx))]

    def preview_update(self, ctx: Ctx) -> list[Cmd]:
        return [ctx.bq("update", *self._args(ctx), self.ref(ctx))]


def view_steps(ctx: Ctx) -> list[Step]:
    return [View(name) for name in VIEWS]
