"""Stack configs: `stacks/Pulumi.<stack>.yaml` → a frozen StackConfig (shared by both engines and the CLI).

The file is a Pulumi stack config, so the Pulumi CLI reads the same keys (namespace
`govcloud:`) that the embedded engine does:

| key | meaning |
|---|---|
| `govcloud:blueprints` | required: the City file and department files or directories, relative to the project |
| `govcloud:regions` | required: the City's logical region names → the cloud's real region ids |
| `govcloud:partition` | ARN partition; default from the primary region (`cn-*` → `aws-cn`) |
| `govcloud:endpoint` | the private cloud's API endpoint; empty = standard AWS endpoint resolution |
| `govcloud:sandbox` | `true`: without an endpoint, use the running sandbox's (`.govcloud/sandbox.json`) |
| `govcloud:engine` | `auto` (the Pulumi CLI if on PATH, else embedded), `embedded` or `pulumi` |
| `govcloud:passphraseEnv` | the environment variable holding the secrets passphrase |
| `govcloud:sandboxPassphrase` | a published default passphrase, accepted only for a sandbox stack |
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from govcloud.errors import GovcloudError
from govcloud.graph import Target
from govcloud.model import Location

NAMESPACE = "govcloud"
DEFAULT_STACKS_DIR = "stacks"
ENGINES = ("auto", "embedded", "pulumi")
DEFAULT_PASSPHRASE_ENV = "GOVCLOUD_PASSPHRASE"
SANDBOX_FILE = Path(".govcloud") / "sandbox.json"
_KEYS = ("blueprints", "regions", "partition", "endpoint", "sandbox", "engine", "passphraseEnv",
         "sandboxPassphrase")
_STACK_FILE = re.compile(r"^Pulumi\.(?P<stack>[^.]+)\.ya?ml$")


@dataclass(frozen=True)
class StackConfig:
    """One stack's deployment facts; paths are absolute."""

    stack: str
    file: Path
    root: Path
    blueprints: tuple[Path, ...]
    regions: tuple[tuple[str, str], ...]  # logical → real, sorted
    partition: str
    endpoint: str | None
    sandbox: bool
    engine: str
    passphrase_env: str
    sandbox_passphrase: str | None

    @property
    def region_map(self) -> dict[str, str]:
        return dict(self.regions)

    @property
    def state_dir(self) -> Path:
        return self.root / ".govcloud"

    def target(self) -> Target:
        return Target(self.stack, self.regions, self.partition)

    def resolve_endpoint(self) -> str | None:
        """The endpoint to call: the explicit one, or a sandbox stack's running sandbox."""
        if self.endpoint or not self.sandbox:
            return self.endpoint
        info = self.root / SANDBOX_FILE
        try:
            endpoint = json.loads(info.read_text(encoding="utf-8")).get("endpoint")
        except (OSError, ValueError):
            endpoint = None
        if not endpoint:
            raise GovcloudError(
                f"stack '{self.stack}' uses the sandbox, but no sandbox is running ({info} not found)",
                rule="GC-STACK", exit_code=1, hint="start it with `govcloud sandbox up`",
            )
        return str(endpoint)

    def passphrase(self, environ: Mapping[str, str] | None = None) -> str:
        """The secrets passphrase: the environment's, else a sandbox stack's published default."""
        env = os.environ if environ is None else environ
        found = env.get(self.passphrase_env) or self.sandbox_passphrase
        if not found:
            raise GovcloudError(
                f"stack '{self.stack}' needs a passphrase for its secrets in ${self.passphrase_env}",
                rule="GC-STACK", hint=f"set {self.passphrase_env}",
            )
        return found


def find_root(start: Path | None = None) -> Path:
    """The project root: the nearest directory with a Pulumi.yaml (else `start`)."""
    here = (start or Path.cwd()).resolve()
    for directory in (here, *here.parents):
        if (directory / "Pulumi.yaml").is_file():
            return directory
    return here


def stacks_dir(root: Path) -> Path:
    """`stackConfigDir` of the project's Pulumi.yaml, default `stacks/`."""
    try:
        project = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        project = {}
    configured = project.get("stackConfigDir") if isinstance(project, dict) else None
    return root / str(configured or DEFAULT_STACKS_DIR)


def available_stacks(root: Path) -> tuple[str, ...]:
    directory = stacks_dir(root)
    if not directory.is_dir():
        return ()
    return tuple(sorted(m["stack"] for p in directory.iterdir() if (m := _STACK_FILE.match(p.name))))


def _error(file: Path, message: str, line: int = 1, hint: str = "") -> GovcloudError:
    return GovcloudError(message, rule="GC-STACK", location=Location(str(file), line, 1), hint=hint)


def _line_of(text: str, key: str) -> int:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(f"{NAMESPACE}:{key}:"):
            return number
    return 1


def _read(file: Path) -> tuple[dict[str, Any], str]:
    text = file.read_text(encoding="utf-8")
    try:
        data = yaml.safe_load(text) or {}
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        raise _error(file, f"invalid YAML: {getattr(e, 'problem', e)}", (mark.line + 1) if mark else 1) from e
    config = data.get("config", {}) if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise _error(file, "the stack file needs a `config:` mapping")
    ours = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace != NAMESPACE:
            continue
        if name not in _KEYS:
            raise _error(file, f"unknown key {key}", _line_of(text, name), hint=f"known: {', '.join(_KEYS)}")
        ours[name] = value
    return ours, text


def _partition(region: str) -> str:
    if region.startswith("cn-"):
        return "aws-cn"
    if region.startswith("us-gov-"):
        return "aws-us-gov"
    return "aws"


def load_stack_config(stack: str, root: Path | None = None) -> StackConfig:
    """Read `<stackConfigDir>/Pulumi.<stack>.yaml` of the project at `root` (default: found from cwd)."""
    root = find_root(root)
    file = stacks_dir(root) / f"Pulumi.{stack}.yaml"
    if not file.is_file():
        known = available_stacks(root)
        raise GovcloudError(
            f"unknown stack '{stack}'", rule="GC-STACK",
            hint=f"available stacks: {', '.join(known)}" if known else f"no stack files in {stacks_dir(root)}",
        )
    config, text = _read(file)

    def need(key: str, kind: type, what: str) -> Any:
        value = config.get(key)
        if value is None or not isinstance(value, kind) or not value:
            raise _error(file, f"{NAMESPACE}:{key} must be {what}", _line_of(text, key))
        return value

    blueprints = need("blueprints", list, "a list of blueprint files or directories")
    regions = need("regions", dict, "a mapping of the City's region names to cloud regions")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in regions.items()):
        raise _error(file, f"{NAMESPACE}:regions must map names to region ids", _line_of(text, "regions"))
    engine = str(config.get("engine", "auto"))
    if engine not in ENGINES:
        raise _error(file, f"{NAMESPACE}:engine must be one of {', '.join(ENGINES)}, got {engine!r}",
                     _line_of(text, "engine"))
    sandbox = config.get("sandbox", False) is True
    default = config.get("sandboxPassphrase") or None
    if default is not None and not sandbox:
        # A passphrase written in a file protects nothing: only a throwaway sandbox may have one.
        raise _error(file, f"{NAMESPACE}:sandboxPassphrase is only allowed with {NAMESPACE}:sandbox: true",
                     _line_of(text, "sandboxPassphrase"))
    first_region = sorted(regions.values())[0]
    return StackConfig(
        stack=stack,
        file=file,
        root=root,
        blueprints=tuple((root / str(p)).resolve() for p in blueprints),
        regions=tuple(sorted(regions.items())),
        partition=str(config.get("partition") or _partition(first_region)),
        endpoint=str(config["endpoint"]) if config.get("endpoint") else None,
        sandbox=sandbox,
        engine=engine,
        passphrase_env=str(config.get("passphraseEnv") or DEFAULT_PASSPHRASE_ENV),
        sandbox_passphrase=str(default) if default is not None else None,
    )
