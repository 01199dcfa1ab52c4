"""The deployment files agree with the code: image, Compose and Kubernetes manifests (no engine runs here)."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from bot.cli import main
from bot.config import Settings
from bot.metrics import Metrics
from bot.server import BotServer

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILE = (ROOT / "Dockerfile").read_text()
KUBE = ROOT / "deploy" / "kubernetes"
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
NGINX = (ROOT / "deploy" / "compose" / "nginx.conf").read_text()
DEFAULT_PORT = Settings.model_fields["port"].default
GRACE = Settings.model_fields["shutdown_grace_seconds"].default
SECRET_FIELDS = {"slack_bot_token", "slack_signing_secret", "slack_app_token", "cekura_api_key", "database_url"}


def kube(kind: str) -> dict[str, Any]:
    """The one manifest of `kind` under deploy/kubernetes/."""
    docs = [doc for path in sorted(KUBE.glob("*.yaml")) for doc in yaml.safe_load_all(path.read_text()) if doc]
    found = [doc for doc in docs if doc.get("kind") == kind]
    assert len(found) == 1, f"expected one {kind}, found {len(found)}"
    return found[0]


def instruction(name: str) -> str:
    """The argument of the last Dockerfile instruction `name` (continuation lines joined)."""
    joined = DOCKERFILE.replace("\\\n", " ")
    found = re.findall(rf"^{name}\s+(.+)$", joined, flags=re.M)
    assert found, f"Dockerfile has no {name}"
    return str(found[-1]).strip()


@pytest.fixture(scope="module")
def served_paths() -> dict[str, int]:
    """Status of each probe path on the bot's real HTTP server (no Slack app needed for probes)."""
    server = BotServer(None, host="127.0.0.1", port=0, metrics=Metrics()).start()  # as `serve` builds it
    server.ready.set()
    try:
        with httpx.Client(base_url=server.url, timeout=5) as client:
            return {path: client.get(path).status_code for path in ("/healthz", "/readyz", "/metrics")}
    finally:
        server.stop()


def test_image_runs_the_cli_as_a_non_root_user_on_the_default_port() -> None:
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert instruction("ENTRYPOINT") == '["cekura-bot"]' and "cekura-bot" in scripts
    assert instruction("CMD") == '["serve"]'
    with pytest.raises(SystemExit) as done:
        main(["serve", "--help"])  # the image's command is one the CLI knows
    assert done.value.code == 0
    user = instruction("USER")
    assert user not in ("root", "0") and user == str(
        kube("Deployment")["spec"]["template"]["spec"]["securityContext"]["runAsUser"]
    )
    assert instruction("EXPOSE") == str(DEFAULT_PORT)
    assert f"PORT={DEFAULT_PORT}" in instruction("ENV")


def test_sqlite_default_lives_on_the_declared_volume() -> None:
    assert instruction("VOLUME") == '["/data"]'
    env = instruction("ENV")
    assert "DATABASE_URL=sqlite:////data/" in env


def test_image_installs_fonts_for_every_script() -> None:
    for package in ("fonts-noto-cjk", "fonts-symbola"):
        assert package in DOCKERFILE


def test_healthchecks_and_probes_hit_paths_the_bot_serves(served_paths: dict[str, int]) -> None:
    assert served_paths == {"/healthz": 200, "/readyz": served_paths["/readyz"], "/metrics": 200}
    assert served_paths["/readyz"] in (200, 503)  # served (not 404); 503 while not ready is its point
    assert "/healthz" in instruction("HEALTHCHECK")
    container = kube("Deployment")["spec"]["template"]["spec"]["containers"][0]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    ports = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert ports == {"http": DEFAULT_PORT}
    assert container["livenessProbe"]["httpGet"]["port"] == container["readinessProbe"]["httpGet"]["port"] == "http"
    annotations = kube("Deployment")["spec"]["template"]["metadata"]["annotations"]
    assert annotations == {
        "prometheus.io/scrape": "true",
        "prometheus.io/port": str(DEFAULT_PORT),
        "prometheus.io/path": "/metrics",
    }
    bot = COMPOSE["services"]["bot-1"]
    assert "/readyz" in " ".join(bot["healthcheck"]["test"]) and f":{DEFAULT_PORT}/" in " ".join(
        bot["healthcheck"]["test"]
    )


def test_deployment_scales_out_and_drains_within_kubernetes_grace() -> None:
    deployment, pdb, service = kube("Deployment"), kube("PodDisruptionBudget"), kube("Service")
    spec = deployment["spec"]
    assert spec["replicas"] >= 2
    assert spec["template"]["spec"]["terminationGracePeriodSeconds"] > GRACE
    labels = spec["template"]["metadata"]["labels"]
    assert pdb["spec"]["selector"]["matchLabels"].items() <= labels.items()
    assert service["spec"]["selector"].items() <= labels.items()
    assert pdb["spec"]["minAvailable"] >= 1
    assert service["spec"]["ports"][0]["targetPort"] == "http"
    resources = spec["template"]["spec"]["containers"][0]["resources"]
    assert {"cpu", "memory"} <= resources["requests"].keys() and {"cpu", "memory"} <= resources["limits"].keys()


def test_configmap_and_secret_hold_only_real_settings_and_secrets_only_in_the_secret() -> None:
    fields = {name.upper() for name in Settings.model_fields}
    config, secret = kube("ConfigMap")["data"], kube("Secret")["stringData"]
    assert set(config) <= fields and set(secret) <= fields
    assert {key.lower() for key in secret} <= SECRET_FIELDS
    assert not {key.lower() for key in config} & SECRET_FIELDS
    required = {"SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "CEKURA_API_KEY"}
    assert required <= set(secret)
    assert secret["DATABASE_URL"].startswith("postgresql+psycopg://")  # several replicas need one shared database
    container = kube("Deployment")["spec"]["template"]["spec"]["containers"][0]
    sources = {next(iter(ref.values()))["name"] for ref in container["envFrom"]}
    assert sources == {kube("ConfigMap")["metadata"]["name"], kube("Secret")["metadata"]["name"]}


def test_compose_runs_two_replicas_on_postgres_behind_the_proxy() -> None:
    services = COMPOSE["services"]
    bots = [name for name, svc in services.items() if svc.get("command") == ["serve"]]
    assert len(bots) >= 2
    for name in bots:
        svc = services[name]
        assert svc["environment"]["DATABASE_URL"].startswith("postgresql+psycopg://")
        assert svc["depends_on"]["postgres"]["condition"] == "service_healthy"
        assert int(svc["environment"]["PORT"]) == DEFAULT_PORT
        assert float(svc["stop_grace_period"].rstrip("s")) > GRACE
        assert f"server {name}:{DEFAULT_PORT}" in NGINX
    assert "pg_isready" in " ".join(services["postgres"]["healthcheck"]["test"])
    assert "pgdata" in COMPOSE["volumes"]
    assert "location = /slack/events" in NGINX


def test_dockerfile_passes_hadolint() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent)) or "hadolint"
    result = subprocess.run([hadolint, str(ROOT / "Dockerfile")], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
