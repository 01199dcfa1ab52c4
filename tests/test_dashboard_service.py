"""The report pipeline against the Cekura sandbox: grouping, partial failures, key figures."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor

import pytest

from bot.cekura import CekuraClient
from bot.dashboards import DashboardService
from bot.errors import NotFound
from bot.query import DataQuery
from bot.render_pool import RenderPool
from bot.sandbox.cekura import CekuraSandbox
from charts.spec import Chart, EmptyChart


class BrokenForOne(RenderPool):
    """Renders in-thread, but fails for one chart title (a real failure, not a patched one)."""

    def __init__(self, title: str) -> None:
        super().__init__(workers=0)
        self.title = title

    def render_all(self, charts: Sequence[Chart], on_done: object = None) -> list[bytes | BaseException]:
        out = super().render_all(charts)
        return [RuntimeError("boom") if c.title == self.title else png for c, png in zip(charts, out, strict=True)]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[CekuraSandbox]:
    with CekuraSandbox(api_key="k") as box:
        yield box


CLIENTS: list[CekuraClient] = []


@pytest.fixture(autouse=True)
def _close_clients() -> Iterator[None]:
    yield
    while CLIENTS:
        CLIENTS.pop().close()


def service(sandbox: CekuraSandbox, renderer: RenderPool | None = None) -> DashboardService:
    client = CekuraClient(sandbox.url, "k", sleep=lambda _: None)
    CLIENTS.append(client)
    return DashboardService(client, renderer or RenderPool(workers=0), ThreadPoolExecutor(4))


def test_every_widget_is_drawn_with_a_key_figure(sandbox: CekuraSandbox) -> None:
    sandbox.reset()
    report = service(sandbox).dashboard_report(12, DataQuery())
    assert report.widget_count == 12 and len(report.widgets) == 12 and not report.failures
    assert all(w.png.startswith(b"\x89PNG") and w.view.key_figure for w in report.widgets)
    assert report.scope == "last 7 days"
    # widgets with equal filters share calls: 3 distinct filters on dashboard 12, 3 pages of 5 at most
    bodies = {str(r.json()["filters"]) for r in sandbox.requests("POST", "bulk_data")}
    assert len(bodies) == 3


def test_one_widget_failing_to_render_does_not_sink_the_others(sandbox: CekuraSandbox) -> None:
    sandbox.reset()
    title = sandbox.widgets[34]["name"]
    report = service(sandbox, BrokenForOne(title)).dashboard_report(12, DataQuery())
    assert len(report.widgets) == 11
    assert [t for t, _ in report.failures] == [title]
    assert "could not be drawn" in report.failures[0][1]


def test_cekura_refusing_one_group_names_those_widgets_only(sandbox: CekuraSandbox) -> None:
    sandbox.reset()
    sandbox.fail("bulk_data", 400, body={"detail": "bad filter"}, times=1)
    report = service(sandbox).dashboard_report(12, DataQuery())
    assert report.failures and all("bad filter" in why for _, why in report.failures)
    assert len(report.widgets) + len(report.failures) == 12


def test_empty_data_draws_the_no_data_image(sandbox: CekuraSandbox) -> None:
    sandbox.reset()
    report = service(sandbox).dashboard_report(30, DataQuery())
    assert report.widgets and all(isinstance(w.view.chart, EmptyChart) for w in report.widgets)
    assert all(w.view.key_figure == "no data in this range" for w in report.widgets)


def test_unknown_dashboard(sandbox: CekuraSandbox) -> None:
    with pytest.raises(NotFound, match="Dashboard 999 was not found"):
        service(sandbox).dashboard_report(999, DataQuery())
