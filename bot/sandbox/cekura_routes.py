"""The Cekura sandbox's URL table and its views: dashboards, widgets and their chart data.

    routes = CekuraRoutes(state, charts, page=sandbox_page, now=clock)
    view, ids = routes.resolve(request)  # a 404/405 Response instead of a view when nothing matches
    response = view(request, ids)

Authentication, faults and recording stay with `CekuraSandbox`; the views only read and change the
sandbox state and raise `BadRequest` for the 400s Cekura answers.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from bot.sandbox.cekura_dataviews import ChartData
from bot.sandbox.cekura_http import NOT_FOUND, detail, int_param, json_body, lookup
from bot.sandbox.cekura_state import SandboxState
from bot.sandbox.server import Request, Response

View = Callable[[Request, list[int]], Response]
Page = Callable[[list[Any], Request, Callable[[Any], Any]], Response]
"""A DRF page of `items` as the request asks for it, each item shown through the transform."""


class CekuraRoutes:
    """The views of the fake Cekura API, by URL shape and method."""

    def __init__(self, state: SandboxState, charts: ChartData, *, page: Page, now: Callable[[], datetime]) -> None:
        self._state = state
        self._charts = charts
        self._page = page
        self._now = now
        self._routes: dict[tuple[str, ...], dict[str, View]] = {
            ("dashboards",): {"GET": self._list_dashboards},
            ("dashboards", "{id}"): {"GET": self._get_dashboard, "PATCH": self._patch_dashboard},
            ("dashboards", "{id}", "bulk_widgets"): {"POST": self._bulk_widgets},
            ("widgets",): {"GET": self._list_widgets, "POST": self._create_widget},
            ("widgets", "bulk_data"): {"POST": self._bulk_data},
            ("widgets", "preview_data"): {"POST": self._preview_data},
            ("widgets", "{id}"): {
                "GET": self._get_widget,
                "PATCH": self._patch_widget,
                "DELETE": self._delete,
            },
            ("widgets", "{id}", "data"): {"GET": self._widget_data},
        }

    def resolve(self, request: Request) -> tuple[View | Response, list[int]]:
        """The view for the request's path and method, with the ids in its path; or the 404/405 to answer."""
        parts = [part for part in request.path.split("/") if part]
        if len(parts) < 2 or parts[0] != "dashboards":
            return detail(404, NOT_FOUND), []
        ids = [int(part) for part in parts[1:] if _is_id(part)]
        shape = tuple("{id}" if _is_id(part) else part for part in parts[1:])
        methods = self._routes.get(shape)
        if methods is None:
            return detail(404, NOT_FOUND), []
        view = methods.get(request.method)
        if view is None:
            return detail(405, f'Method "{request.method}" not allowed.'), []
        return view, ids

    # -- dashboards and widgets -----------------------------------------------------------------

    def _list_dashboards(self, request: Request, ids: list[int]) -> Response:
        project = int_param(request, "project_id")
        with self._state.lock:
            found = [
                self._state.dashboard_json(dashboard, nested=False)
                for _, dashboard in sorted(self._state.dashboards.items())
                if project is None or dashboard["project"] == project
            ]
        return self._page(found, request, lambda item: item)

    def _get_dashboard(self, request: Request, ids: list[int]) -> Response:
        with self._state.lock:
            return Response.json(self._state.dashboard_json(lookup(self._state.dashboards, ids[0])))

    def _patch_dashboard(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.patch_dashboard(ids[0], json_body(request)))

    def _bulk_widgets(self, request: Request, ids: list[int]) -> Response:
        lookup(self._state.dashboards, ids[0])
        return Response.json(self._state.bulk(ids[0], json_body(request)))

    def _list_widgets(self, request: Request, ids: list[int]) -> Response:
        dashboard = int_param(request, "dashboard_id")
        with self._state.lock:
            found = [
                widget
                for _, widget in sorted(self._state.widgets.items())
                if dashboard is None or widget["dashboard"] == dashboard
            ]
            return self._page(found, request, self._state.widget_json)

    def _create_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.create_widget(json_body(request)), 201)

    def _get_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.widget_json(lookup(self._state.widgets, ids[0])))

    def _patch_widget(self, request: Request, ids: list[int]) -> Response:
        return Response.json(self._state.patch_widget(ids[0], json_body(request)))

    def _delete(self, request: Request, ids: list[int]) -> Response:
        self._state.delete_widget(ids[0])
        return Response(204)

    # -- chart data -----------------------------------------------------------------------------

    def _bulk_data(self, request: Request, ids: list[int]) -> Response:
        now = self._now()
        jobs = self._charts.bulk_jobs(json_body(request), now)
        return self._page(jobs, request, lambda job: self._charts.served(job, now))

    def _widget_data(self, request: Request, ids: list[int]) -> Response:
        now = self._now()
        job = self._charts.widget_job(ids[0], (request.query.get("filters") or [""])[0], now)
        return Response.json(self._charts.served(job, now))

    def _preview_data(self, request: Request, ids: list[int]) -> Response:
        now = self._now()
        return Response.json(self._charts.compute(self._charts.preview_job(json_body(request), now), now))


def _is_id(part: str) -> bool:
    return part.isascii() and part.isdigit()
