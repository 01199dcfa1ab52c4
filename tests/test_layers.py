"""bot/ is domain and plumbing: it never imports handlers/ (the Slack surface), except where the app is wired."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# The composition root: building the Bolt app and starting `serve` put both layers together.
WIRING = {"bot/app.py", "bot/cli.py"}


def handlers_imports(path: Path) -> list[str]:
    """The handlers modules that `path` imports, at any depth of the file."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "handlers":
            found.append(node.module)
        elif isinstance(node, ast.Import):
            found += [alias.name for alias in node.names if alias.name.split(".")[0] == "handlers"]
    return found


def test_bot_never_imports_handlers_outside_the_wiring() -> None:
    offenders = {
        rel: imports
        for path in sorted((ROOT / "bot").rglob("*.py"))
        if (rel := path.relative_to(ROOT).as_posix()) not in WIRING and (imports := handlers_imports(path))
    }
    assert offenders == {}


def test_charts_know_nothing_of_slack_or_the_bot() -> None:
    for path in sorted((ROOT / "charts").rglob("*.py")):
        tree = ast.parse(path.read_text())
        modules = [n.module or "" for n in ast.walk(tree) if isinstance(n, ast.ImportFrom)]
        modules += [a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names]
        assert not [m for m in modules if m.split(".")[0] in ("slack_sdk", "slack_bolt", "bot", "handlers")], path
