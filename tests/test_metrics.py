"""GET /metrics after real traffic: signed commands through the harness, numbers read back from the scrape."""

from __future__ import annotations

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.metrics import Metrics, endpoint_template, slack_method
from bot.sandbox.harness import Harness

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def scrape(h: Harness) -> tuple[str, Samples]:
    """The scrape's text and its samples by (name, labels)."""
    response = httpx.get(h.server.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain; version=")
    samples: Samples = {}
    for family in text_string_to_metric_families(response.text):
        for sample in family.samples:
            samples[(sample.name, frozenset(sample.labels.items()))] = sample.value
    return response.text, samples


def value(samples: Samples, name: str, **labels: str) -> float:
    """A sample's value (0 when it does not exist yet)."""
    return samples.get((name, frozenset(labels.items())), 0.0)


def total(samples: Samples, name: str, **labels: str) -> float:
    """The sum over every sample of `name` whose labels include `labels`."""
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


@pytest.mark.e2e
def test_a_scrape_after_real_commands_counts_what_happened(h: Harness) -> None:
    _, before = scrape(h)
    h.cekura.fail("/dashboards/dashboards/12/", 503, retry_after=0)  # one retry, then it works
    assert h.driver.command("dashboard 12").status == 200
    h.wait_for_files(12)
    assert h.driver.command("frobnicate the widgets").status == 200  # unknown: answered in the ack
    assert h.driver.command("help").status == 200
    assert h.deps.wait_idle(30)
    text, after = scrape(h)

    def delta(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert delta("cekura_bot_commands_total", subcommand="dashboard", outcome="ok") == 1
    assert delta("cekura_bot_commands_total", subcommand="unknown", outcome="user_error") == 1
    assert delta("cekura_bot_commands_total", subcommand="help", outcome="ok") == 1
    assert delta("cekura_bot_ack_seconds_count") == 3
    assert delta("cekura_bot_slow_work_seconds_count", kind="dashboard") == 1
    dashboard = {"method": "GET", "endpoint": "/dashboards/dashboards/{id}/"}
    assert delta("cekura_bot_cekura_requests_total", **dashboard, status="503") == 1
    assert delta("cekura_bot_cekura_requests_total", **dashboard, status="200") == 1
    assert delta("cekura_bot_cekura_retries_total", **dashboard, reason="HTTP 503") == 1
    assert delta("cekura_bot_cekura_request_seconds_count", **dashboard) == 2
    bulk = {"method": "POST", "endpoint": "/dashboards/widgets/bulk_data/", "status": "200"}
    assert delta("cekura_bot_cekura_requests_total", **bulk) >= 1
    renders = total(after, "cekura_bot_render_seconds_count", outcome="ok")
    assert renders - total(before, "cekura_bot_render_seconds_count", outcome="ok") == 12
    assert delta("cekura_bot_render_seconds_count", kind="line", outcome="ok") >= 1
    assert delta("cekura_bot_slack_requests_total", method="files.completeUploadExternal", error="ok") >= 1
    # Nothing is left running or waiting once the bot is idle.
    for pool in ("jobs", "render"):
        assert value(after, "cekura_bot_pool_busy", pool=pool) == 0
        assert value(after, "cekura_bot_pool_queued", pool=pool) == 0
    # Bounded labels: no user, channel or typed text ever becomes a label value.
    for word in ("U_ALICE", "C_GENERAL", "frobnicate", "/dashboards/dashboards/12/"):
        assert word not in text


@pytest.mark.e2e
def test_slack_429s_are_counted_by_method_and_the_post_still_goes_out(h: Harness) -> None:
    _, before = scrape(h)
    h.slack.fail("files.completeUploadExternal", retry_after=0)
    h.driver.command("widget 34")
    h.wait_for_files(1)
    assert h.deps.wait_idle(30)
    _, after = scrape(h)
    labels = {"method": "files.completeUploadExternal"}
    limited = value(after, "cekura_bot_slack_requests_total", **labels, error="ratelimited")
    assert limited - value(before, "cekura_bot_slack_requests_total", **labels, error="ratelimited") == 1
    ok = value(after, "cekura_bot_slack_requests_total", **labels, error="ok")
    assert ok - value(before, "cekura_bot_slack_requests_total", **labels, error="ok") == 1


@pytest.mark.e2e
def test_metrics_is_outside_the_slack_gate_and_read_only(h: Harness) -> None:
    assert httpx.get(h.server.url + "/metrics").status_code == 200  # unsigned, yet answered
    refused = httpx.post(h.server.url + "/metrics", content=b"x")
    assert refused.status_code == 405 and refused.headers["allow"] == "GET, HEAD"
    head = httpx.head(h.server.url + "/metrics")
    assert head.status_code == 200 and head.content == b"" and int(head.headers["content-length"]) > 0


def test_two_bots_in_one_process_keep_separate_numbers() -> None:
    first, second = Metrics(), Metrics()
    first.commands.labels("help", "ok").inc()
    assert first.registry.get_sample_value("cekura_bot_commands_total", {"subcommand": "help", "outcome": "ok"}) == 1
    assert (
        second.registry.get_sample_value("cekura_bot_commands_total", {"subcommand": "help", "outcome": "ok"}) is None
    )


def test_label_values_are_bounded() -> None:
    assert endpoint_template("/dashboards/widgets/34/data/") == "/dashboards/widgets/{id}/data/"
    assert endpoint_template("/dashboards/dashboards/") == "/dashboards/dashboards/"
    assert endpoint_template("/dashboards/x'; DROP/9") == "/dashboards/{id}/{id}"
    assert slack_method("http://127.0.0.1:9/api/chat.postMessage") == "chat.postMessage"
    assert slack_method("http://127.0.0.1:9/api/<script>") == "other"
    metrics = Metrics()
    metrics.slack_answer("http://x/api/chat.postMessage", 200, {"ok": False, "error": "Not In Channel!!"})
    metrics.slack_answer("http://x/api/chat.postMessage", 200, {"ok": False, "error": "not_in_channel"})
    metrics.slack_answer("http://x/api/chat.postMessage", None, None)
    get = metrics.registry.get_sample_value
    name = "cekura_bot_slack_requests_total"
    assert get(name, {"method": "chat.postMessage", "error": "other"}) == 1
    assert get(name, {"method": "chat.postMessage", "error": "not_in_channel"}) == 1
    assert get(name, {"method": "chat.postMessage", "error": "connection"}) == 1
