"""What admins copy out of deploy/ matches cohost as it is: the systemd unit passes
`systemd-analyze verify`, every COHOST_* variable the unit, the compose file and the
playbook example set is a setting (or an `init` flag the entrypoint passes on), the
image runs unprivileged with a health check, and the dashboard asks for metrics cohost
serves."""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from service.admin.init import add_arguments
from service.metrics import Metrics
from service.settings import Settings
from tests.deploy_role import MDAD, ROLE, rendered_env, role_text

DEPLOY = Path(__file__).resolve().parents[3] / "deploy"
UNIT = DEPLOY / "systemd" / "cohost.service"
ENTRYPOINT = DEPLOY / "docker" / "entrypoint.sh"
VARIABLE = re.compile(r"\bCOHOST_[A-Z_]+")


def init_flags() -> set[str]:
    parser = argparse.ArgumentParser()
    add_arguments(parser)
    return {a.dest for a in parser._actions}


def setting_or_init(variable: str) -> bool:
    """A setting, the entrypoint's config path, or an init flag the entrypoint knows."""
    name = variable.removeprefix("COHOST_").lower()
    if name in Settings.model_fields or variable == "COHOST_CONFIG":
        return True
    if name.startswith("init_"):
        return name.removeprefix("init_") in init_flags() and variable in ENTRYPOINT.read_text()
    return False


def test_the_systemd_unit_verifies_and_is_hardened(tmp_path: Path) -> None:
    text = UNIT.read_text()
    for line in (
        "ProtectSystem=strict",
        "StateDirectory=cohost",
        "LoadCredential=password:",
        "Environment=COHOST_PASSWORD_FILE=%d/password",
        "NoNewPrivileges=yes",
        "Restart=on-failure",
        "User=cohost",
    ):
        assert line in text, line
    assert all(setting_or_init(v) for v in VARIABLE.findall(text))
    if shutil.which("systemd-analyze") is None:
        pytest.skip("systemd-analyze is not on this machine")
    # The unit as installed, but for where cohost is installed here.
    cohost = str(Path(sys.executable).parent / "cohost")
    local = tmp_path / "cohost.service"
    local.write_text(text.replace("/opt/cohost/bin/cohost", cohost))
    result = subprocess.run(
        ["systemd-analyze", "verify", str(local)], capture_output=True, text=True, timeout=60
    )
    # verify exits 0 on unknown keys and bad values too: it warns about them by name.
    warnings = [line for line in (result.stdout + result.stderr).splitlines() if str(local) in line]
    assert result.returncode == 0 and not warnings, result.stdout + result.stderr


COMPOSE = DEPLOY / "compose"
COMPOSE_FILES = [COMPOSE / "compose.yaml", COMPOSE / "cohost-only.yml"]


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_the_compose_files_follow_the_compose_specification(path: Path) -> None:
    """Validated against the Compose Specification's own JSON schema, carried in the
    project (deploy/compose/compose-spec.json, from compose-spec/compose-spec's
    schema/compose-spec.json), as `docker compose config` would."""
    import jsonschema

    schema = json.loads((COMPOSE / "compose-spec.json").read_text())
    compose = yaml.safe_load(path.read_text())
    jsonschema.validate(compose, schema)
    broken = dict(compose, services={"cohost": {"image": "x", "restart_policy": "always"}})
    with pytest.raises(jsonschema.ValidationError):  # the schema does catch mistakes
        jsonschema.validate(broken, schema)


@pytest.mark.parametrize("path", COMPOSE_FILES, ids=lambda p: p.name)
def test_the_compose_files_set_only_what_cohost_reads(path: Path) -> None:
    compose = yaml.safe_load(path.read_text())
    cohost = compose["services"]["cohost"]
    assert cohost["build"]["dockerfile"] == "deploy/docker/Dockerfile"
    assert "cohost-data:/data" in cohost["volumes"] and "./backups:/backups" in cohost["volumes"]
    assert "/health" in " ".join(cohost["healthcheck"]["test"])
    for variable, value in cohost["environment"].items():
        assert setting_or_init(variable), variable
        if variable.endswith("_FILE"):  # a secret the service is given
            secret = re.sub(r"^\$\{[A-Z_]+:-(.*)\}$", r"\1", value).removeprefix("/run/secrets/")
            assert secret in cohost["secrets"] and secret in compose["secrets"]
    for service in compose["services"].values():
        for secret in service.get("secrets", []):
            assert compose["secrets"][secret]["file"].startswith("./secrets/")


def test_the_full_compose_pins_synapse_on_postgresql_and_orders_the_start() -> None:
    compose = yaml.safe_load((COMPOSE / "compose.yaml").read_text())
    services = compose["services"]
    env = dict(
        line.split("=", 1)
        for line in (COMPOSE / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    )
    assert services["synapse"]["image"] == "matrixdotorg/synapse:${SYNAPSE_VERSION:-v1.163.2}"
    assert re.fullmatch(r"v\d+\.\d+\.\d+", env["SYNAPSE_VERSION"])
    assert env["SYNAPSE_VERSION"] in services["synapse"]["image"]  # one pin, the same
    assert "--lc-collate=C" in services["postgres"]["environment"]["POSTGRES_INITDB_ARGS"]
    assert services["synapse"]["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert {k: v["condition"] for k, v in services["cohost"]["depends_on"].items()} == {
        "postgres": "service_healthy",
        "synapse": "service_healthy",
    }
    assert all("healthcheck" in s for s in services.values())
    assert "COHOST_DATABASE_URL_FILE" in services["cohost"]["environment"]
    # Every secret a service mounts is a file setup.sh writes.
    setup = (COMPOSE / "setup.sh").read_text()
    for secret in compose["secrets"].values():
        assert secret["file"].removeprefix("./") in setup


def test_the_image_runs_unprivileged_with_a_health_check() -> None:
    lines = (DEPLOY / "docker" / "Dockerfile").read_text().splitlines()
    instructions = [line.split(None, 1) for line in lines if line and not line[0].isspace()]
    final = instructions[max(i for i, p in enumerate(instructions) if p[0] == "FROM") :]
    user = [p[1] for p in final if p[0] == "USER"]
    assert user and user[-1] not in ("root", "0")
    assert any(p[0] == "VOLUME" and "/data" in p[1] for p in final)
    health = next(i for i, line in enumerate(lines) if line.startswith("HEALTHCHECK"))
    assert "/health" in lines[health + 1]
    assert any(p[0] == "ENTRYPOINT" and "cohost-entrypoint" in p[1] for p in final)
    assert "COPY deploy/docker/entrypoint.sh" in "\n".join(lines)
    # pg_dump and pg_restore of PostgreSQL's client 17, which serve servers up to 17 (the
    # compose file runs 16) for `cohost backup` and `restore`.
    text = "\n".join(lines)
    assert "ARG PG_CLIENT=17" in text and '"postgresql-client-$PG_CLIENT"' in text
    compose = yaml.safe_load((DEPLOY / "compose" / "compose.yaml").read_text())
    server = int(compose["services"]["postgres"]["image"].split(":")[1].split("-")[0])
    assert server <= 17
    env = " ".join(line for line in lines if "COHOST_" in line)
    assert all(setting_or_init(v) for v in VARIABLE.findall(env))


def test_the_role_passes_ansible_lint_at_its_production_profile() -> None:
    lint = shutil.which("ansible-lint") or str(Path(sys.executable).parent / "ansible-lint")
    if not Path(lint).exists():
        pytest.skip("ansible-lint is not installed")
    result = subprocess.run(
        [lint, "roles/matrix-bot-cohost"], cwd=MDAD, capture_output=True, text=True, timeout=300
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Profile 'production' was required, and it passed" in result.stdout + result.stderr


def test_the_role_follows_the_playbooks_conventions_for_bots() -> None:
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    assert all(name.startswith("matrix_bot_cohost_") for name in defaults)
    assert defaults["matrix_bot_cohost_enabled"] is True
    assert re.fullmatch(r"\d+\.\d+\.\d+", defaults["matrix_bot_cohost_version"])
    assert defaults["matrix_bot_cohost_homeserver_url"] == "{{ matrix_homeserver_container_url }}"
    assert isinstance(defaults["matrix_bot_cohost_container_image_self_build"], bool)
    # Every role variable it uses is one of its defaults (no typo reads an undefined one).
    used = set(re.findall(r"\bmatrix_bot_cohost_[a-z_]+", role_text()))
    assert used <= set(defaults) | {
        "matrix_bot_cohost_git_pull_results",
        "matrix_bot_cohost_image_pull_result",
        "matrix_bot_cohost_env_result",
        "matrix_bot_cohost_service_stat",
    }, used - set(defaults)
    tasks = yaml.safe_load((ROLE / "tasks" / "main.yml").read_text())
    assert {t["ansible.builtin.import_tasks"].rsplit("/", 1)[1] for t in tasks} == {
        "validate_config.yml",
        "setup_install.yml",
        "setup_uninstall.yml",
    }
    assert all("setup-bot-cohost" in t["tags"] for t in tasks)
    scrape = defaults["matrix_bot_cohost_prometheus_scrape_configs"]
    assert scrape[0]["metrics_path"] == "/metrics"
    example = yaml.safe_load((MDAD / "vars.yml").read_text())
    [service] = example["devture_systemd_service_manager_services_list_additional"]
    assert service["name"] == "matrix-bot-cohost.service"
    assert "matrix-bot-cohost.service.j2" in {p.name for p in ROLE.rglob("*.j2")}


def test_the_role_sets_only_settings_cohost_reads_and_they_load(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from service.settings import load_settings

    env = rendered_env(matrix_bot_cohost_password="s3cret-pw")
    assert env["COHOST_HOMESERVER_URL"] == "http://matrix-synapse:8008"
    assert env["COHOST_USER_ID"] == "@cohost:example.org"
    assert all(setting_or_init(name) for name in env)
    for name in [k for k in os.environ if k.startswith("COHOST_")]:
        monkeypatch.delenv(name)
    for name, value in env.items():  # as the container's environment
        monkeypatch.setenv(name, value)
    settings = load_settings()
    assert settings.effective_creators == ["*:example.org"] and settings.log_level == "info"
    on_postgres = rendered_env(
        matrix_bot_cohost_password="s3cret-pw",
        matrix_bot_cohost_database_engine="postgres",
        matrix_bot_cohost_database_hostname="matrix-postgres",
        matrix_bot_cohost_database_password="pw",
    )
    assert (
        on_postgres["COHOST_DATABASE_URL"] == "postgresql://cohost:pw@matrix-postgres:5432/cohost"
    )


def test_the_dashboard_asks_for_metrics_cohost_serves() -> None:
    dashboard = json.loads((DEPLOY / "grafana" / "cohost-dashboard.json").read_text())
    suffixes = {"counter": ["_total"], "gauge": [""], "histogram": ["_bucket", "_count", "_sum"]}
    served = {
        family.name + suffix
        for family in Metrics().registry.collect()
        for suffix in suffixes.get(family.type, [])
    }
    asked = {
        name
        for panel in dashboard["panels"]
        for target in panel["targets"]
        for name in re.findall(r"cohost_[a-z_]+", target["expr"])
    }
    assert asked and asked <= served, asked - served


@pytest.mark.parametrize("lock", ["runtime", "test"])
def test_the_locks_pin_every_dependency_within_what_pyproject_allows(lock: str) -> None:
    """The image installs requirements/runtime.lock, `make` requirements/test.lock
    (hashes checked): each pins every dependency pyproject.toml names, within its range
    (`make lock` writes them again)."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    root = DEPLOY.parent
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    wanted = [Requirement(r) for r in project["dependencies"]]
    if lock == "test":
        wanted += [Requirement(r) for r in project["optional-dependencies"]["test"]]
    text = (root / "requirements" / f"{lock}.lock").read_text()
    pinned = {
        canonicalize_name(name): version
        for name, version in re.findall(r"^([A-Za-z0-9_.\-]+)==([^\s\\\\;]+)", text, re.MULTILINE)
    }
    assert "--hash=sha256:" in text
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{name} is not in {lock}.lock: run `make lock`"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (name, pinned[name])
    assert "requirements/runtime.lock" in (DEPLOY / "docker" / "Dockerfile").read_text()
    assert "requirements/test.lock" in (root / "Makefile").read_text()
