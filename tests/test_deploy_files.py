"""`deploy/` is what the tests start: every file equals its rendering, and each is valid for
the program that reads it (Dagster, systemd, nginx). The instance configuration is rewritten
when stale and never falls back from PostgreSQL to SQLite silently."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from lagesbild.settings import PROJECT_ROOT, DataPaths
from pipelines.instance import (
    POSTGRES_URL_ENV,
    InstanceConfigurationError,
    instance_yaml,
    prepare_dagster_home,
)
from pipelines.serve import nginx
from pipelines.serve.deploy_files import DEPLOY_DIR, rendered_files
from pipelines.serve.services import Installation, Ports, services, systemd_unit
from pipelines.serve.tls import write_self_signed_certificate


def test_every_file_in_deploy_is_its_rendering() -> None:
    rendered = rendered_files()
    committed = {
        str(path.relative_to(DEPLOY_DIR)): path.read_text(encoding="utf-8")
        for path in DEPLOY_DIR.rglob("*")
        if path.is_file() and path.name != "README.md"
    }
    assert sorted(committed) == sorted(rendered), "run `python -m pipelines.serve.deploy_files`"
    for name, content in rendered.items():
        assert committed[name] == content, f"deploy/{name} is stale: regenerate it"


@pytest.mark.parametrize("on_postgres", [True, False], ids=["postgresql", "sqlite"])
def test_the_instance_configuration_is_valid_for_dagster(
    tmp_path: Path, on_postgres: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from dagster._core.instance.config import dagster_instance_config

    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://lagesbild:secret@127.0.0.1:5432/lagesbild")
    (tmp_path / "dagster.yaml").write_text(instance_yaml(on_postgres, tmp_path), encoding="utf-8")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["runs"]["tag_concurrency_limits"] == [
        {"key": "lagesbild/build_db", "limit": 1}
    ]
    assert config["run_monitoring"]["enabled"] is True
    if on_postgres:  # the event log through pipelines/event_log.py, the rest dagster-postgres
        for key, module, name in (
            ("run_storage", "dagster_postgres.run_storage", "PostgresRunStorage"),
            ("event_log_storage", "pipelines.event_log", "KeptConnectionsPostgresEventLogStorage"),
            ("schedule_storage", "dagster_postgres.schedule_storage", "PostgresScheduleStorage"),
        ):
            assert config[key] == {
                "module": module,
                "class": name,
                "config": {"postgres_url": {"env": POSTGRES_URL_ENV}},
            }
    else:  # Dagster's own SQLite files, written through the kept-connections event log
        assert config["event_log_storage"] == {
            "module": "pipelines.event_log",
            "class": "KeptConnectionsSqliteEventLogStorage",
            "config": {"base_dir": str(tmp_path.resolve() / "history" / "runs")},
        }


def test_a_stale_instance_configuration_is_rewritten_and_postgres_never_falls_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    paths = DataPaths(tmp_path)
    config = paths.dagster_home / "dagster.yaml"
    config.parent.mkdir(parents=True)
    config.write_text("telemetry:\n  enabled: false\n", encoding="utf-8")  # an older file
    monkeypatch.delenv(POSTGRES_URL_ENV, raising=False)
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "elsewhere"))

    prepare_dagster_home(paths)
    assert config.read_text(encoding="utf-8") == instance_yaml(False, paths.dagster_home)

    monkeypatch.setenv(POSTGRES_URL_ENV, "postgresql://lagesbild:secret@db:5432/lagesbild")
    prepare_dagster_home(paths)
    assert config.read_text(encoding="utf-8") == instance_yaml(on_postgres=True)
    assert "secret" not in config.read_text(encoding="utf-8")

    monkeypatch.delenv(POSTGRES_URL_ENV)
    with pytest.raises(InstanceConfigurationError, match=r"is on PostgreSQL .* not set"):
        prepare_dagster_home(paths)
    assert config.read_text(encoding="utf-8") == instance_yaml(on_postgres=True)
    assert os.environ["DAGSTER_HOME"] == str(paths.dagster_home)


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze absent")
def test_the_systemd_units_are_valid_for_this_checkout(tmp_path: Path) -> None:
    """The units of deploy/systemd, rendered for this checkout's paths (systemd checks that
    every ExecStart is executable)."""
    installation = Installation(
        root=PROJECT_ROOT,
        environment_file=tmp_path / "lagesbild.env",
        data_dir=tmp_path / "data",
        user="root",
    )
    installation.environment_file.write_text("LAGESBILD_DATA_DIR=/tmp\n", encoding="utf-8")
    units = []
    for service in services(installation.bin_dir, tmp_path / "ws.yaml", PROJECT_ROOT, Ports()):
        unit = tmp_path / f"{service.name}.service"
        unit.write_text(systemd_unit(service, installation), encoding="utf-8")
        units.append(str(unit))
    result = subprocess.run(
        ["systemd-analyze", "verify", *units], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.skipif(nginx.find_nginx() is None, reason="nginx absent (make test installs it)")
def test_the_auditors_site_is_valid_for_nginx(tmp_path: Path) -> None:
    certificate, key = tmp_path / "audit.crt", tmp_path / "audit.key"
    write_self_signed_certificate(certificate, key)
    site = nginx.AuditSite(
        listen="127.0.0.1:18443",
        server_name="localhost",
        certificate=certificate,
        certificate_key=key,
        htpasswd=nginx.write_htpasswd(tmp_path / "htpasswd", {"auditor": "secret"}),
        upstream="127.0.0.1:3001",
        data_dir=tmp_path / "data",
    )
    config = nginx.write_trial_config(tmp_path / "nginx", site)
    nginx.check_config(nginx.find_nginx() or "nginx", tmp_path / "nginx", config)
    line = (tmp_path / "htpasswd").read_text(encoding="utf-8").strip()
    assert line.startswith("auditor:$2b$10$")
    import bcrypt

    assert bcrypt.checkpw(b"secret", line.split(":", 1)[1].encode())
