"""A commented example config, written from the settings model itself (each setting's
description and default), so that it never falls out of step with what cohost reads:
`cohost example-config > cohost.toml`."""

from __future__ import annotations

import json
import textwrap
from datetime import timedelta
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter

from service.settings import Settings

HEADER = """\
# cohost's settings (TOML). Every setting may also be given as an environment variable
# COHOST_<NAME>, which wins over this file. Lines starting with `#` show the default.
# Written by `cohost example-config` from the settings themselves.
"""
# What the required settings, and those without a default, look like.
EXAMPLES: dict[str, Any] = {
    "homeserver_url": "https://matrix.example.org",
    "user_id": "@cohost:example.org",
    "password_file": "/run/credentials/cohost/password",
    "access_token_file": "/run/credentials/cohost/access_token",
    "as_token_file": "/run/credentials/cohost/as_token",
    "database_url_file": "/run/credentials/cohost/database_url",
    "database_url": "postgresql://cohost@localhost/cohost",
    "creators": ["@ana:example.org", "*:example.org"],
    "allowed_inviters": ["*:example.org", "members"],
    "log_format": "json",
    "public_url": "https://cohost.example.org",
}
SECRETS = {"password", "access_token", "as_token"}  # never shown with a value


def toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, timedelta):
        return json.dumps(TypeAdapter(timedelta).dump_python(value, mode="json"))
    if isinstance(value, Path):
        return json.dumps(str(value))
    return json.dumps(value, ensure_ascii=False)


def example_config() -> str:
    lines = [HEADER]
    for name, field in Settings.model_fields.items():
        description = " ".join((field.description or "").split())
        lines += [f"# {line}" for line in textwrap.wrap(description, 86)]
        if field.is_required():
            lines.append(f"{name} = {toml_value(EXAMPLES[name])}")
        elif name in SECRETS:
            lines.append(f'# {name} = "…"')
        elif field.default is None:
            lines.append(f"# {name} = {toml_value(EXAMPLES[name])}")
        else:
            lines.append(f"# {name} = {toml_value(field.default)}")
        lines.append("")
    return "\n".join(lines)
