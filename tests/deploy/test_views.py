"""Deploy's BigQuery views (deploy/views.py) against the recording bq stand-in: made once with the SQL of
shared/bq_views.py, left alone by a second run, a drifted view updated alone, a table under a view's name
refused."""

from __future__ import annotations

from deploy.views import _one_line
from shared.bq_views import VIEWS, render
from shared.config import get_config
from tests.deploy.conftest import PROJECT, FakeCloud

KEY = "nba_orchestration.sla_misses"


def test_the_first_deploy_made_every_view_with_the_code_s_sql(deployed: FakeCloud) -> None:
    tables = deployed.state()["tables"]
    for name in VIEWS:
        view = tables[f"nba_orchestration.{name}"]
        assert view["view"] == {
            "query": _one_line(render(name, PROJECT, "nba_orchestration", get_config())),
            "useLegacySql": False,
        }
        assert f"`{PROJECT}.nba_orchestration." in view["view"]["query"]


def test_a_drifted_view_is_updated_alone_and_then_left_alone(deployed: FakeCloud) -> None:
    state = deployed.state()
    want = state["tables"][KEY]["view"]["query"]
    state["tables"][KEY]["view"]["query"] = "SELECT 1 AS edited_by_hand"
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode == 0, res.stderr
    (mut,) = deployed.mutations()
    assert mut[:3] == ["bq", f"--project_id={PROJECT}", "update"] and mut[-1] == f"{PROJECT}:{KEY}"
    assert deployed.state()["tables"][KEY]["view"]["query"] == want
    deployed.clear_calls()
    assert deployed.deploy().returncode == 0
    assert deployed.mutations() == []


def test_a_table_under_a_view_s_name_stops_the_deploy(deployed: FakeCloud) -> None:
    state = deployed.state()
    table = state["tables"][KEY]
    del table["view"]
    table["type"] = "TABLE"
    deployed.save(state)
    res = deployed.deploy()
    assert res.returncode != 0 and "is a TABLE, not a view" in res.stderr
    assert deployed.mutations() == []
