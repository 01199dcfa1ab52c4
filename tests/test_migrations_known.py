"""The migrations against what relies on them: bot.db.REVISIONS (read at a start instead of importing
Alembic) and the table classes (they map what the migrations create)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text

from bot.db import HEAD, REVISIONS, Base, alembic_config, make_engine, migrate, schema_revision


def test_revisions_list_every_migration_in_order() -> None:
    script = ScriptDirectory.from_config(alembic_config(make_engine("sqlite://")))
    chain = [revision.revision for revision in script.walk_revisions()][::-1]  # walk goes newest first
    assert tuple(chain) == REVISIONS, "add the new migration's revision to bot.db.REVISIONS"
    assert script.get_current_head() == HEAD


def test_a_database_at_the_head_starts_without_importing_alembic(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/bot.sqlite"
    engine = make_engine(url)
    migrate(engine)  # the first start creates the tables
    engine.dispose()
    probe = (
        "import sys; from bot.db import make_engine, migrate; "
        f"migrate(make_engine({url!r})); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('alembic', 'mako')))"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


def test_a_database_one_migration_behind_is_migrated(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/bot.sqlite")
    migrate(engine)
    command.downgrade(alembic_config(engine), "-1")  # as the release before this one left it
    assert schema_revision(engine) == REVISIONS[-2]
    migrate(engine)
    assert schema_revision(engine) == HEAD
    with engine.connect() as connection:
        assert connection.execute(text("SELECT count(file_ids) FROM alert_claims")).scalar() == 0
    engine.dispose()


def test_an_empty_database_has_no_revision() -> None:
    engine = make_engine("sqlite://")
    assert schema_revision(engine) is None
    migrate(engine)
    assert schema_revision(engine) == HEAD


@pytest.mark.parametrize("dialect", ["sqlite", "postgresql"])
def test_the_mapped_tables_match_what_the_migrations_create(dialect: str, request: pytest.FixtureRequest) -> None:
    # The table classes only map what the migrations create; a column, type, index or constraint
    # added to one and not the other would fail only in production, on the first query that needs it.
    import bot.app  # noqa: F401  # imports every table class onto Base.metadata

    url = request.getfixturevalue("pg_schema_url") if dialect == "postgresql" else "sqlite://"
    engine = make_engine(url)
    migrate(engine)
    with engine.connect() as connection:
        # Server defaults are left out: the migrations give columns added to existing tables one, so
        # the rows already there fill in; the classes set every default in Python.
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        drift = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert drift == [], "a migration and the table classes disagree (alembic revision --autogenerate shows how)"
