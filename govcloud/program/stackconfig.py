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
| `govcloud:pools` | the City's other pools: `classified: {endpoint, account, profile}` (profile optional) |
| `govcloud:split` | `department` or `district`: a platform stack plus one stack per department (or district) |

A split stack `S` is kept in member stacks `S__platform` and `S__<code>` (one per department,
or per district code, `S__city` for the city-level departments); `load_stack_config("S__gaj")`
gives that member's config. Cloud names and `gov:stack` tags stay those of `S` (`target()`).

A pool's `account` is checked against the caller's identity before anything is created; a
sandbox stack without `govcloud:pools.classified.endpoint` uses the running sandbox's
classified pool (`pools` in `.govcloud/sandbox.json`).
"""
from __future__ import annotations

import dataclasses
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from govcloud.cloud import partitions
from govcloud.errors import GovcloudError
from govcloud.graph import Target
from govcloud.load import find_root, load_file
from govcloud.model import Document, Location

NAMESPACE = "govcloud"
DEFAULT_STACKS_DIR = "stacks"
ENGINES = ("auto", "embedded", "pulumi")
DEFAULT_PASSPHRASE_ENV = "GOVCLOUD_PASSPHRASE"
SANDBOX_FILE = Path(".govcloud") / "sandbox.json"
_KEYS = ("blueprints", "regions", "partition", "endpoint", "sandbox", "engine", "passphraseEnv",
         "sandboxPassphrase", "split", "pools")
SPLITS = ("department", "district")
MEMBER_SEPARATOR = "__"  # `sandbox__gaj`: a member of the split stack `sandbox`
_MEMBER_NAME = re.compile(r"\A[a-z][a-z0-9]{1,15}\Z", re.ASCII)
_STACK_FILE = re.compile(r"\APulumi\.(?P<stack>[A-Za-z0-9_-]{1,64})\.ya?ml\Z", re.ASCII)
_STACK_NAME = re.compile(r"\A[A-Za-z0-9_-]{1,64}\Z", re.ASCII)  # it becomes part of cloud names and tags


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
    split: str | None = None  # govcloud:split, on the family's config and its members'
    pools: tuple[PoolConfig, ...] = ()  # govcloud:pools, by name
    family: str | None = None  # for a member stack: the split stack it belongs to
    member: str | None = None  # for a member stack: `platform`, a department or a district code

    @property
    def region_map(self) -> dict[str, str]:
        return dict(self.regions)

    @property
    def state_dir(self) -> Path:
        return self.root / ".govcloud"

    def target(self) -> Target:
        # A member of a split stack names and tags its resources as the family does.
        return Target(self.family or self.stack, self.regions, self.partition)

    def resolve_endpoint(self) -> str | None:
        """The endpoint to call: the explicit one, or a sandbox stack's running sandbox."""
        if self.endpoint or not self.sandbox:
            if self.endpoint is not None and not _is_url(self.endpoint):
                # checked when used, so a template with FILL IN values still lists and loads
                raise GovcloudError(
                    f"{NAMESPACE}:endpoint {self.endpoint!r} is not an http(s) URL", rule="GC-STACK",
                    location=_key_location(self.file, "endpoint"), hint="e.g. https://cloud-api.example.gov.cn")
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

    def resolve_pools(self, required: tuple[str, ...] = ()) -> dict[str, PoolConfig]:
        """Each pool's endpoint, account and profile; a sandbox stack's from the running sandbox
        where the file names no endpoint. GovcloudError for a pool in `required` it lacks."""
        found: dict[str, PoolConfig] = {}
        for pool in self.pools:
            if pool.endpoint is not None and not _is_url(pool.endpoint):
                raise GovcloudError(
                    f"{NAMESPACE}:pools.{pool.name}.endpoint {pool.endpoint!r} is not an http(s) URL",
                    rule="GC-STACK", location=_key_location(self.file, "pools"),
                    hint="e.g. https://cloud-api.intranet.example.gov.cn")
            if pool.account is not None and not _ACCOUNT.match(pool.account):
                raise GovcloudError(
                    f"{NAMESPACE}:pools.{pool.name}.account {pool.account!r} is not a 12-digit account id",
                    rule="GC-STACK", location=_key_location(self.file, "pools"),
                    hint='quote it: account: "123456789012"')
            found[pool.name] = pool
        if self.sandbox:
            for name, running in _sandbox_pools(self.root / SANDBOX_FILE).items():
                given = found.get(name)
                if given is None or given.endpoint is None:
                    found[name] = PoolConfig(name, running.endpoint,
                                             given.account if given and given.account else running.account,
                                             given.profile if given else None)
        for name in required:
            if name in found and found[name].endpoint is not None:
                continue
            if self.sandbox:
                raise GovcloudError(
                    f"stack '{self.stack}' needs the sandbox's {name} pool, but the running sandbox has none",
                    rule="GC-STACK", exit_code=1,
                    hint="restart it: `govcloud sandbox down && govcloud sandbox up`")
            raise GovcloudError(
                f"the City has a {name} pool, but stack '{self.stack}' says nowhere where it is",
                rule="GC-STACK",
                location=_key_location(self.file, "pools") if self.pools else Location(str(self.file), 1, 1),
                hint=f'add {NAMESPACE}:pools: {{{name}: {{endpoint: URL, account: "123456789012"}}}} '
                     f"to {self.file.name}")
        return found

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


@dataclass(frozen=True)
class PoolConfig:
    """One resource pool of the stack (`govcloud:pools.<name>`): where it is, whose it is."""

    name: str
    endpoint: str | None
    account: str | None  # the account the caller's credentials must be in there
    profile: str | None = None  # an AWS profile for the pool's credentials; default: the environment's


POOL_NAMES = ("classified",)
_POOL_KEYS = ("endpoint", "account", "profile")
_ACCOUNT = re.compile(r"\A[0-9]{12}\Z", re.ASCII)


def _pool_configs(raw: Any, at: Callable[[str], Location]) -> tuple[PoolConfig, ...]:
    """`govcloud:pools` read: names and keys known, values strings (URLs and ids checked when used,
    so a template with FILL IN values still lists and loads)."""
    if raw is None:
        return ()
    if not isinstance(raw, dict):
        raise _error(at("pools"), f"{NAMESPACE}:pools must map pool names to {{endpoint, account}}",
                     hint=f"known pools: {', '.join(POOL_NAMES)}")
    pools = []
    for name, entry in sorted(raw.items(), key=lambda item: str(item[0])):
        if name not in POOL_NAMES:
            raise _error(at("pools"), f"unknown pool {name!r} under {NAMESPACE}:pools",
                         hint=f"known pools: {', '.join(POOL_NAMES)}")
        if not isinstance(entry, dict):
            raise _error(at("pools"), f"{NAMESPACE}:pools.{name} must be a mapping of endpoint, account, profile")
        unknown = sorted(str(k) for k in entry if k not in _POOL_KEYS)
        if unknown:
            raise _error(at("pools"), f"unknown key {unknown[0]!r} in {NAMESPACE}:pools.{name}",
                         hint=f"known: {', '.join(_POOL_KEYS)}")
        for key in _POOL_KEYS:
            if entry.get(key) is not None and not isinstance(entry[key], str):
                raise _error(at("pools"), f"{NAMESPACE}:pools.{name}.{key} must be a string",
                             hint='quote it, e.g. account: "123456789012"')
        pools.append(PoolConfig(str(name), entry.get("endpoint") or None, entry.get("account") or None,
                                entry.get("profile") or None))
    return tuple(pools)


def _sandbox_pools(info: Path) -> dict[str, PoolConfig]:
    """The pools the running sandbox records (`pools` in sandbox.json), by name."""
    try:
        raw = json.loads(info.read_text(encoding="utf-8")).get("pools") or {}
    except (OSError, ValueError, AttributeError):
        return {}
    return {str(name): PoolConfig(str(name), str(entry["endpoint"]), entry.get("account"))
            for name, entry in raw.items() if isinstance(entry, dict) and entry.get("endpoint")}


def _is_url(text: str) -> bool:
    parts = urlsplit(text)
    return parts.scheme in ("http", "https") and bool(parts.hostname) and not any(c.isspace() for c in text)


def _key_location(file: Path, name: str) -> Location:
    try:
        doc = _read_yaml(file)
    except GovcloudError:
        doc = None
    if doc is None:
        return Location(str(file), 1, 1)
    return doc.location_of(("config", f"{NAMESPACE}:{name}"), key=True)


def _read_yaml(file: Path) -> Document | None:
    """The one document of a YAML file, read with the blueprints' limits (size, aliases,
    depth, UTF-8, duplicate keys); GovcloudError at the first problem, None when empty."""
    loaded = load_file(file, str(file))
    if loaded.findings:
        first = loaded.findings[0]
        if not loaded.documents and first.message.startswith(("file is empty", "document 1 is empty")):
            return None
        raise GovcloudError(first.message, rule="GC-STACK", location=first.location, hint=first.hint)
    if len(loaded.documents) > 1:
        raise GovcloudError("a stack file holds one YAML document", rule="GC-STACK",
                            location=Location(str(file), 1, 1))
    return loaded.documents[0] if loaded.documents else None


def stacks_dir(root: Path) -> Path:
    """`stackConfigDir` of the project's Pulumi.yaml, default `stacks/`; GovcloudError if it is broken."""
    file = root / "Pulumi.yaml"
    doc = _read_yaml(file) if file.is_file() else None
    project = doc.data if doc is not None else {}
    configured = project.get("stackConfigDir") if isinstance(project, dict) else None
    return root / str(configured or DEFAULT_STACKS_DIR)


def available_stacks(root: Path) -> tuple[str, ...]:
    directory = stacks_dir(root)
    if not directory.is_dir():
        return ()
    return tuple(sorted(m["stack"] for p in directory.iterdir() if (m := _STACK_FILE.match(p.name))))


def _error(where: Location | Path, message: str, hint: str = "") -> GovcloudError:
    location = where if isinstance(where, Location) else Location(str(where), 1, 1)
    return GovcloudError(message, rule="GC-STACK", location=location, hint=hint)


def _read(file: Path) -> tuple[dict[str, Any], Callable[[str], Location]]:
    """Our keys of the stack file, and where each key is written."""
    doc = _read_yaml(file)
    data = doc.data if doc is not None else {}
    config = data.get("config", {}) if isinstance(data, dict) else None
    if not isinstance(config, dict):
        raise _error(doc.location_of(("config",)) if doc else file, "the stack file needs a `config:` mapping")

    def at(name: str) -> Location:
        if doc is None:
            return Location(str(file), 1, 1)
        return doc.location_of(("config", f"{NAMESPACE}:{name}"), key=True)

    ours = {}
    for key, value in config.items():
        namespace, _, name = str(key).partition(":")
        if namespace != NAMESPACE:
            continue
        if name not in _KEYS:
            raise _error(at(name), f"unknown key {key}", hint=f"known: {', '.join(_KEYS)}")
        ours[name] = value
    return ours, at


@lru_cache(maxsize=16)
def _known_regions(partition: str) -> tuple[str, ...]:
    """The region ids the cloud's SDK knows in `partition` (offline data shipped with botocore)."""
    import botocore.session

    session = botocore.session.get_session()
    if partition not in session.get_available_partitions():
        return ()
    return tuple(sorted(session.get_available_regions("ec2", partition_name=partition)))


def load_stack_config(stack: str, root: Path | None = None) -> StackConfig:
    """Read `<stackConfigDir>/Pulumi.<stack>.yaml` of the project at `root` (default: found from cwd)."""
    root = find_root(root)
    family, separator, member = stack.partition(MEMBER_SEPARATOR)
    if separator and _STACK_NAME.match(family) and (stacks_dir(root) / f"Pulumi.{family}.yaml").is_file():
        return member_config(load_stack_config(family, root), member)
    if not _STACK_NAME.match(stack):
        raise GovcloudError(f"invalid stack name {stack!r}", rule="GC-STACK",
                            hint="a stack name is 1-64 ASCII letters, digits, _ and -")
    file = stacks_dir(root) / f"Pulumi.{stack}.yaml"
    if not file.is_file():
        known = available_stacks(root)
        raise GovcloudError(
            f"unknown stack '{stack}'", rule="GC-STACK",
            hint=f"available stacks: {', '.join(known)}" if known else f"no stack files in {stacks_dir(root)}",
        )
    config, at = _read(file)

    def need(key: str, kind: type, what: str) -> Any:
        value = config.get(key)
        if value is None or not isinstance(value, kind) or not value:
            raise _error(at(key), f"{NAMESPACE}:{key} must be {what}")
        return value

    blueprints = need("blueprints", list, "a list of blueprint files or directories")
    regions = need("regions", dict, "a mapping of the City's region names to cloud regions")
    if not all(isinstance(k, str) and isinstance(v, str) and v for k, v in regions.items()):
        raise _error(at("regions"), f"{NAMESPACE}:regions must map names to region ids")
    if not all(isinstance(p, str) and p for p in blueprints):
        raise _error(at("blueprints"), f"{NAMESPACE}:blueprints must be a list of paths")
    engine = str(config.get("engine", "auto"))
    if engine not in ENGINES:
        raise _error(at("engine"), f"{NAMESPACE}:engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    sandbox = config.get("sandbox", False) is True
    default = config.get("sandboxPassphrase") or None
    if default is not None and not sandbox:
        # A passphrase written in a file protects nothing: only a throwaway sandbox may have one.
        raise _error(at("sandboxPassphrase"),
                     f"{NAMESPACE}:sandboxPassphrase is only allowed with {NAMESPACE}:sandbox: true")
    first_region = min(regions.values())
    partition = str(config.get("partition") or partitions.partition(first_region))
    known = _known_regions(partition)
    if not known:
        raise _error(at("partition"), f"{NAMESPACE}:partition {partition!r} is not a partition of the cloud",
                     hint="aws-cn for cn-* regions, aws-us-gov for us-gov-*, else aws")
    for logical, real in sorted(regions.items()):
        if real not in known:
            # An unknown region fails only deep inside an apply, as an obscure cloud error.
            raise _error(at("regions"), f"{NAMESPACE}:regions maps '{logical}' to {real!r}, "
                         f"not a region of the {partition} partition",
                         hint=f"known: {', '.join(known[:12])}{' …' if len(known) > 12 else ''}")
    resolved = tuple((root / p).resolve() for p in blueprints)
    for given, path in zip(blueprints, resolved, strict=True):
        if path != root and root not in path.parents:
            raise _error(at("blueprints"), f"{NAMESPACE}:blueprints names {given!r}, outside the project {root}",
                         hint="a stack deploys blueprints of its own project only")
    split = config.get("split")
    if split is not None and split not in SPLITS:
        raise _error(at("split"), f"{NAMESPACE}:split must be one of {', '.join(SPLITS)}, got {split!r}")
    return StackConfig(
        stack=stack,
        file=file,
        root=root,
        blueprints=resolved,
        regions=tuple(sorted(regions.items())),
        partition=partition,
        endpoint=str(config["endpoint"]) if config.get("endpoint") else None,
        sandbox=sandbox,
        engine=engine,
        passphrase_env=str(config.get("passphraseEnv") or DEFAULT_PASSPHRASE_ENV),
        sandbox_passphrase=str(default) if default is not None else None,
        split=str(split) if split is not None else None,
        pools=_pool_configs(config.get("pools"), at),
    )


def member_config(config: StackConfig, member: str) -> StackConfig:
    """The config of member `member` (`platform`, a department or district code) of the split stack."""
    if config.split is None:
        raise GovcloudError(f"stack '{config.stack}' is not split, so it has no member '{member}'",
                            rule="GC-STACK", hint=f"add `{NAMESPACE}:split: department` to {config.file}")
    if not _MEMBER_NAME.match(member):
        raise GovcloudError(f"invalid member {member!r} of stack '{config.stack}'", rule="GC-STACK",
                            hint="a member is `platform`, a department code or a district code")
    return dataclasses.replace(config, stack=f"{config.stack}{MEMBER_SEPARATOR}{member}",
                               family=config.stack, member=member)


DEFAULT_PROJECT = "govcloud"


def project_name(root: Path) -> str:
    """`name` of the project's Pulumi.yaml: URNs and the backend's stacks folder carry it, so it
    must be what the Pulumi CLI reads (`govcloud` when the file or the name is missing)."""
    try:
        data = yaml.safe_load((root / "Pulumi.yaml").read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError):
        return DEFAULT_PROJECT
    name = data.get("name") if isinstance(data, dict) else None
    return str(name) if name else DEFAULT_PROJECT
