"""Which deployment backend runs a stack: the embedded engine or the Pulumi CLI.

`auto` means the Pulumi CLI (through the Automation API) when a `pulumi` binary is on
PATH, else the embedded engine; asking for `pulumi` where there is none is a usage error.
"""
from __future__ import annotations

import os
import shutil
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from govcloud.cloud import clients
from govcloud.engine import DEFAULT_PARALLEL, Backend, Engine, EngineEvent, StateStore
from govcloud.engine.blobstore import FileBlobStore
from govcloud.engine.deletes import DeleteLimit
from govcloud.errors import GovcloudError
from govcloud.model import Project
from govcloud.operations.preflight import pool_accounts
from govcloud.program import StackConfig, load_blueprints, stack_program
from govcloud.program.entry import load_family
from govcloud.program.stackconfig import ENGINES, PoolConfig, project_name


def resolve_engine(config: StackConfig, requested: str | None) -> str:
    """`embedded` or `pulumi`: the option, else the stack's govcloud:engine, `auto` resolved."""
    choice = requested or config.engine
    if choice not in ENGINES:
        raise GovcloudError(f"unknown engine {choice!r}", rule="GC-USAGE",
                            hint=f"use one of {', '.join(ENGINES)}")
    has_cli = shutil.which("pulumi") is not None
    if choice == "pulumi" and not has_cli:
        raise GovcloudError(
            "the pulumi engine was asked for, but no `pulumi` binary is on PATH", rule="GC-USAGE",
            hint="install the Pulumi CLI, or use --engine embedded (the default without it)")
    if choice == "auto":
        return "pulumi" if has_cli else "embedded"
    return choice


def sandbox_credentials(config: StackConfig, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The sandbox accepts any credentials: its own, for a sandbox stack when the user has none set."""
    env = os.environ if environ is None else environ
    if config.sandbox and not env.get("AWS_ACCESS_KEY_ID") and not env.get("AWS_PROFILE"):
        return dict(clients.SANDBOX_CREDENTIALS)
    return {}


def cli_environment(credentials: Mapping[str, str], pools: Mapping[str, clients.Pool]) -> dict[str, str]:
    """What the Pulumi CLI's processes (its provider process) are told beyond our environment:
    the credentials given, and where the pools are (an empty set, never another stack's)."""
    return {**credentials, clients.POOLS_ENV: clients.pools_environment(pools)}


def _pools(config: StackConfig) -> dict[str, PoolConfig]:
    """The stack's pools; GovcloudError when the City has a classified pool the stack does not place."""
    found = config.resolve_pools()
    if "classified" not in found and _project(config).city.datacentre.classified_pool is not None:
        config.resolve_pools(("classified",))  # says what is missing, and where
    return found


def _project(config: StackConfig) -> Project:
    """The stack's blueprints; a split stack's members share the family's one load."""
    if config.split is not None:
        return load_family(config)[0]
    return load_blueprints(config)


@dataclass(frozen=True)
class BackendOptions:
    engine: str | None = None
    parallel: int = DEFAULT_PARALLEL
    lock_wait: float = 0.0
    passphrase: str | None = None
    on_event: Callable[[EngineEvent], None] | None = None
    allow_mass_delete: bool = False


def open_backend(config: StackConfig, options: BackendOptions,
                 program: Callable[[], None] | None = None) -> tuple[str, Backend]:
    """(engine name, backend) for the stack.

    Without `program`, the stack's own is built: the blueprints must load and the endpoint
    resolve (a sandbox stack needs its sandbox running).
    """
    engine = resolve_engine(config, options.engine)
    credentials = sandbox_credentials(config)
    clients.use_credentials(credentials)
    endpoint = config.resolve_endpoint()
    # Providers call the stack's current endpoint; what a state recorded is never used.
    clients.use_endpoint(endpoint)
    # Likewise each pool's (state holds only a resource's pool name), after its account is checked.
    pools = {name: clients.Pool(p.endpoint, p.profile) for name, p in _pools(config).items()}
    clients.use_pools(pools)
    pool_accounts(config)
    program = program or stack_program(config)
    passphrase = options.passphrase or os.environ.get(config.passphrase_env) or None
    name = project_name(config.root)
    store = StateStore.for_stack(config.root, config.stack, project=name)
    if engine == "pulumi":
        from govcloud.engine.automation import PulumiBackend

        url = store.blobs.url
        if isinstance(store.blobs, FileBlobStore):
            url = f"file://{store.blobs.root}"  # absolute: the CLI resolves from its own folder
        return engine, PulumiBackend(
            name, config.stack, program, project_dir=config.root, passphrase=passphrase,
            parallel=options.parallel, on_event=options.on_event,
            stack_default_passphrase=config.sandbox_passphrase, backend_url=url, endpoint=endpoint,
            env=cli_environment(credentials, pools))
    return engine, Engine(
        name, config.stack, program, store,
        passphrase=passphrase, parallel=options.parallel, lock_wait=options.lock_wait,
        on_event=options.on_event, project_dir=config.root,
        delete_limit=DeleteLimit(allowed=options.allow_mass_delete),
        stack_default_passphrase=config.sandbox_passphrase)
