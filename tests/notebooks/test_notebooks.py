"""The analyst notebooks in ``notebooks/`` run top to bottom against a database with sample data.

Each notebook is executed with nbclient in a fresh Jupyter kernel (a subprocess) that finds the
database the way an analyst's does: through ``GRIDSVC_DATABASE_URL`` (and keeps its files under
``GRIDSVC_DATA_DIR``). The checks read the executed cells' outputs, found by their tags, and
compare them with what the library says, or look at the database afterwards.
"""

from __future__ import annotations

import io
import os
import re
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import nbformat
import pytest
from nbclient import NotebookClient

from gridsvc.access import Principal
from gridsvc.events.generate import DEFAULT_MIX, generate_events, write_events_csv
from gridsvc.events.importer import import_events
from gridsvc.events.store import EventFilter, list_events, taxonomy_of
from gridsvc.grids import store
from gridsvc.service import Gridsvc
from gridsvc.stats import StatsFilter, counts_by_unit, hotspots
from gridsvc.workflow.actions import OPEN_STATES, ActionRequest, apply_action
from gridsvc.workflow.departments import read_departments

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
BEIJING = ZoneInfo("Asia/Shanghai")
SAMPLE_EVENTS = 8_000
SAMPLE_DAYS = 90
SAMPLE_SEED = 20261128


def sample_end(now: datetime) -> datetime:
    """Midnight starting the current Beijing month: the 90 days before it always hold the two
    previous calendar months whole, so the briefing has a full month and a full month before."""
    local = now.astimezone(BEIJING)
    return local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def load_sample_events(svc: Gridsvc, end: datetime) -> int:
    """Synthetic events as `gridsvc init --sample-events` loads them, ending at ``end``."""
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    chunks = generate_events(
        units, DEFAULT_MIX, count=SAMPLE_EVENTS, days=SAMPLE_DAYS, seed=SAMPLE_SEED, end=end
    )
    buffer = io.BytesIO()
    write_events_csv(buffer, chunks)
    buffer.seek(0)
    report = import_events(svc, buffer, filename="sample-events.csv", synthetic=True)
    assert report.rejected == 0, report.rejections[:3]
    return report.stored


def work_on_hazards(svc: Gridsvc) -> None:
    """Move some hazards through the workflow, each at a time just after it was reported, so
    that the sample has every kind of open hazard the follow-up notebook tells apart:

    - every 10th hazard is handled and closed within hours (not open);
    - every 10th + 1 is accepted and dispatched then, so its resolve deadline has passed
      (open, overdue, at a department);
    - the rest stay reported, past their acceptance deadline (open, overdue);
    - the 10 newest are dispatched now, with deadlines ahead (open, not overdue).
    """
    admin = Principal(token_id=0, name="notebook-test", role="admin")
    hazard = list(taxonomy_of(svc, include_inactive=True).codes_under("hazard"))
    with svc.db.connection() as conn:
        departments = list(read_departments(conn).values())
    rows = svc.db.cursor_fetchall(
        "SELECT id, category, reported_at FROM event WHERE category = ANY(%(c)s) ORDER BY id",
        {"c": hazard},
    )
    real_clock = svc.clock

    def act(event_id: int, action: str, **kw: Any) -> None:
        apply_action(svc, event_id, ActionRequest(action=action, **kw), admin)

    try:
        for i, (event_id, category, reported_at) in enumerate(rows[:-10]):
            if i % 10 > 1:
                continue
            department = next(d.code for d in departments if d.handles(category))
            at = reported_at + timedelta(hours=1)
            svc.clock = lambda at=at: at
            act(event_id, "accept")
            act(event_id, "dispatch", department=department)
            if i % 10 == 0:
                svc.clock = lambda at=at: at + timedelta(hours=3)
                act(event_id, "resolve", department=department, note="已整改")
                act(event_id, "verify")
                act(event_id, "close")
        svc.clock = real_clock
        for event_id, category, _ in rows[-10:]:
            department = next(d.code for d in departments if d.handles(category))
            act(event_id, "accept")
            act(event_id, "dispatch", department=department)
    finally:
        svc.clock = real_clock


# --- running notebooks -------------------------------------------------------------------------


@pytest.fixture
def sample_db(db_url: str, svc: Gridsvc) -> str:
    """``db_url`` (the database ``svc`` uses) with sample events and some hazards worked on."""
    load_sample_events(svc, sample_end(svc.now()))
    work_on_hazards(svc)
    # as autovacuum would within a minute: without row estimates for the freshly filled
    # rollup, the planner loops over it once per community and each statistic takes ~1 s
    svc.db.cursor_fetchall("ANALYZE event, event_daily")
    return db_url


def run_notebook(name: str, db_url: str, workdir: Path) -> nbformat.NotebookNode:
    """Execute ``notebooks/<name>`` in a new kernel started in ``workdir``; a failing cell
    raises nbclient's CellExecutionError with the cell's traceback."""
    nb = nbformat.read(NOTEBOOKS / name, as_version=4)
    # the kernel gets this environment, not the test process's: only the database under test
    env = {k: v for k, v in os.environ.items() if not k.startswith("GRIDSVC_")}
    env["GRIDSVC_DATABASE_URL"] = db_url
    env["GRIDSVC_DATA_DIR"] = str(workdir / "data")
    client = NotebookClient(
        nb, timeout=600, kernel_name="python3", resources={"metadata": {"path": str(workdir)}}
    )
    client.execute(env=env)
    return nb


def tagged(nb: nbformat.NotebookNode, tag: str) -> nbformat.NotebookNode:
    cells = [c for c in nb.cells if tag in c.metadata.get("tags", [])]
    assert len(cells) == 1, f"expected one cell tagged {tag!r}, found {len(cells)}"
    return cells[0]


def text_of(nb: nbformat.NotebookNode, tag: str) -> str:
    """What the cell tagged ``tag`` printed and displayed, as text."""
    parts: list[str] = []
    for out in tagged(nb, tag).outputs:
        if out.output_type == "stream":
            parts.append(out.text)
        elif out.output_type in ("execute_result", "display_data"):
            parts.append(out.data.get("text/markdown") or out.data.get("text/plain", ""))
    return "\n".join(parts)


def images(nb: nbformat.NotebookNode) -> int:
    return sum(
        "image/png" in out.get("data", {}) for cell in nb.cells for out in cell.get("outputs", [])
    )


def table_row(text: str, first: str) -> list[str]:
    """The cells of the first printed table row whose first field is ``first``."""
    for line in text.splitlines():
        fields = line.split()
        if fields and fields[0] == first:
            return fields
    raise AssertionError(f"no row starting with {first!r} in:\n{text}")


def table_row_by_code(text: str) -> list[str]:
    """The first row of a table indexed by 9-digit street codes."""
    for line in text.splitlines():
        fields = line.split()
        if fields and re.fullmatch(r"\d{9}", fields[0]):
            return fields
    raise AssertionError(f"no street row in:\n{text}")


# --- the notebooks -----------------------------------------------------------------------------

TESTED = ("01_monthly_briefing.ipynb", "02_hazard_followup.ipynb", "03_official_boundaries.ipynb")


def test_every_notebook_is_tested_and_saved_without_outputs() -> None:
    found = sorted(p.name for p in NOTEBOOKS.glob("*.ipynb"))
    assert found == sorted(TESTED), "a notebook without a test here would go stale"
    for name in found:
        nb = nbformat.read(NOTEBOOKS / name, as_version=4)
        nbformat.validate(nb)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert cell.outputs == [] and cell.execution_count is None, (
                    f"{name}: clear the outputs before committing"
                )


def test_monthly_briefing(sample_db: str, svc: Gridsvc, tmp_path: Path) -> None:
    nb = run_notebook("01_monthly_briefing.ipynb", sample_db, tmp_path)

    end = sample_end(svc.now()).date()
    month_from = (end - timedelta(days=1)).replace(day=1)
    month = StatsFilter(date_from=month_from, date_to=end)
    assert f"Briefing month: {month_from.year}年{month_from.month}月" in text_of(nb, "month")

    total = int(counts_by_unit(svc, "city", month)["n"].iloc[0])
    assert f"{total:,} events" in text_of(nb, "at-a-glance")

    top = counts_by_unit(svc, "street", month).nlargest(1, "n").iloc[0]
    district = counts_by_unit(svc, "district").set_index("code").at[top["parent_code"], "name"]
    row = table_row(text_of(nb, "top-streets"), "1")  # 名次 1: 街道, 区, 事件数, …
    assert row[1:4] == [top["name"], district, str(top["n"])]

    spots = hotspots(svc, "community", month, permutations=9_999)
    n_hot = int((spots["bin"] > 0).sum())
    assert f"{n_hot} hot-spot communities" in text_of(nb, "hotspots")

    assert images(nb) >= 3  # daily series, street maps, hot spot map
    page = tagged(nb, "explore").outputs[0].data["text/html"]
    assert "folium" in page or "leaflet" in page.lower()
    assert "openstreetmap" not in page.lower()  # no tile layer to fetch


def test_hazard_followup(sample_db: str, svc: Gridsvc, tmp_path: Path) -> None:
    nb = run_notebook("02_hazard_followup.ipynb", sample_db, tmp_path)

    leaves = taxonomy_of(svc, include_inactive=True).codes_under("hazard")
    everything = 100_000

    def hazards(**kw: Any) -> list[dict[str, Any]]:
        return list_events(svc, EventFilter(categories=leaves, limit=everything, **kw))[0]

    open_ = hazards(status=OPEN_STATES)
    overdue = hazards(overdue=True)
    summary = text_of(nb, "open-overdue")
    assert f"{len(open_):,} open 安全隐患 reports, {len(overdue):,} of them overdue" in summary
    dispatched = [e for e in open_ if e["status"] == "dispatched"]
    late = sum(e["deadlines"]["overdue"] for e in dispatched)
    assert late > 0 and len(dispatched) > late  # the sample has both kinds
    assert table_row(summary, "已派遣")[1:] == [str(len(dispatched) - late), str(late)]

    per_street = Counter(e["grid"]["street_code"] for e in overdue)
    most = max(per_street.values())
    row = table_row_by_code(text_of(nb, "by-street"))
    assert row[0] in {code for code, n in per_street.items() if n == most}
    assert int(row[4]) == most  # 逾期
    units = store.read_units(svc.db, store.active_version(svc.db).id)
    names = dict(zip(units["code"], units["name"], strict=True))
    assert row[1] == names[row[0]]
    assert f"### {names[row[0]]}" in text_of(nb, "street-details")


def test_official_boundaries_imports_without_activating(
    db_url: str, svc: Gridsvc, tmp_path: Path
) -> None:
    active = store.active_version(svc.db)
    units = store.read_units(svc.db, active.id)
    in_district = ((units["level"] == "community") & units["code"].str.startswith("320102")).sum()

    for run in (1, 2):  # a second run must work too: nothing it did is in its way
        nb = run_notebook("03_official_boundaries.ipynb", db_url, tmp_path)
        assert ": OK" in text_of(nb, "check-good")
        broke = re.search(r"Broke community (\d{12})", text_of(nb, "break"))
        assert broke is not None
        report = text_of(nb, "check-broken")
        assert f"invalid_geometry: community {broke.group(1)}" in report
        assert "version written: None" in text_of(nb, "import-broken")
        assert "0 errors" in text_of(nb, "fix")

        versions = store.list_versions(svc.db)
        assert len(versions) == 1 + run
        assert store.active_version(svc.db).id == active.id
        imported = max(versions, key=lambda v: v.id)
        assert not imported.active and imported.communities == in_district
        assert f"Stored as grid version {imported.id}, not active." in text_of(nb, "import")
    assert (tmp_path / "data" / "notebooks" / "official_boundaries").is_dir()
