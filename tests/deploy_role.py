"""The matrix-docker-ansible-deploy role as Ansible renders it, for the tests: its
defaults over the playbook's own variables, and the env file the container gets."""

from __future__ import annotations

import json
from pathlib import Path

import yaml

DEPLOY = Path(__file__).resolve().parents[1] / "deploy"
MDAD = DEPLOY / "matrix-docker-ansible-deploy"
ROLE = MDAD / "roles" / "matrix-bot-cohost"
# What the playbook itself defines, which the role reads.
PLAYBOOK_VARIABLES = {
    "matrix_base_data_path": "/matrix",
    "matrix_homeserver_container_url": "http://matrix-synapse:8008",
    "matrix_domain": "example.org",
}


def role_text() -> str:
    return "\n".join(p.read_text() for p in sorted(ROLE.rglob("*")) if p.is_file())


def rendered_env(**overrides: object) -> dict[str, str]:
    """The role's env file as Ansible renders it (Jinja2, the role's defaults over the
    playbook's variables), read as the container's environment."""
    from jinja2 import Environment, StrictUndefined

    values: dict[str, object] = dict(PLAYBOOK_VARIABLES)
    defaults = yaml.safe_load((ROLE / "defaults" / "main.yml").read_text())
    jinja = Environment(undefined=StrictUndefined)
    jinja.filters["to_json"] = json.dumps
    values.update(overrides)
    from jinja2.exceptions import UndefinedError

    pending = {k: v for k, v in defaults.items() if k not in overrides}
    while pending:  # defaults that refer to other defaults, each once it can be
        progress = False
        for name, value in list(pending.items()):
            try:
                rendered = (
                    jinja.from_string(value).render(values) if isinstance(value, str) else value
                )
            except UndefinedError:
                continue
            values[name] = rendered.strip() if isinstance(rendered, str) else rendered
            del pending[name]
            progress = True
        assert progress, f"defaults that never resolve: {sorted(pending)}"
    for name, value in defaults.items():
        if isinstance(value, list) and name not in overrides:
            values[name] = yaml.safe_load(jinja.from_string(json.dumps(value)).render(values))
    text = jinja.from_string((ROLE / "templates" / "env.j2").read_text()).render(values)
    return dict(line.split("=", 1) for line in text.splitlines() if line and "=" in line)
