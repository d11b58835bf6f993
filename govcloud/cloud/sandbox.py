"""The sandbox cloud: moto's server as a background process on 127.0.0.1 (DESIGN §5).

`up` starts it (or reuses a running one), waits until it answers and seeds the approved
OS and database images in both sandbox regions; `down` stops exactly that process;
`status` says whether it runs and what govcloud resources it holds. The pid, port and
endpoint live in `<state dir>/sandbox.json`, the server's output in `sandbox.log`.

The intranet's classified pool (graph/pools.py) is a second server of its own, on its own
port and under another account (`CLASSIFIED_ACCOUNT`, moto's MOTO_ACCOUNT_ID): two clouds
that share nothing, as the extranet's and the intranet's do. It is recorded under
`pools.classified` in sandbox.json (log: `sandbox-classified.log`); `up`, `down` and
`status` handle both.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import boto3
import yaml

from govcloud.cloud import clients
from govcloud.errors import GovcloudError
from govcloud.load.discover import find_root

PRIMARY_REGION = "cn-north-1"
DR_REGION = "cn-northwest-1"
REGIONS = (PRIMARY_REGION, DR_REGION)
HOST = "127.0.0.1"
STATE_FILE = "sandbox.json"
LOG_FILE = "sandbox.log"
CREDENTIALS = clients.SANDBOX_CREDENTIALS
# moto's server, with Secrets Manager authorised by the secret's ARN (see the module).
SERVER_MODULE = "govcloud.cloud.sandboxserver"
# No DNS reaches the sandbox's public CA: it issues a requested certificate at once.
SERVER_SETTINGS = {"MOTO_ACM_VALIDATION_WAIT": "0"}
# Used when the approved-products file is missing: the ids DESIGN §3 names.
DEFAULT_PRODUCTS = ("kylin-v10-server", "kylin-v11-server", "uos-v20-server",
                    "dm8", "kingbase-v8", "gbase-8s")
PRODUCT_TAG = "gov:product"
# The sandbox's two pools: the extranet's (moto's default account) and the classified one.
DEFAULT_ACCOUNT = "123456789012"
CLASSIFIED = "classified"
CLASSIFIED_ACCOUNT = "210987654321"
POOL_LOG_FILE = "sandbox-classified.log"

# Processes this Python process started, so that `down` can reap them (no zombies).
_children: dict[int, subprocess.Popen[bytes]] = {}


@dataclass(frozen=True)
class PoolInfo:
    """The sandbox's server of one other resource pool (the classified one)."""

    pid: int
    port: int
    endpoint: str
    account: str
    holds: dict[str, int] = field(default_factory=dict)
    releasing: dict[str, int] = field(default_factory=dict)  # see SandboxInfo


@dataclass(frozen=True)
class SandboxInfo:
    running: bool
    state_dir: str
    pid: int | None = None
    port: int | None = None
    endpoint: str | None = None
    reused: bool = False
    seeded: tuple[str, ...] = ()
    holds: dict[str, int] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    pools: dict[str, PoolInfo] = field(default_factory=dict)
    account: str = DEFAULT_ACCOUNT
    # Tagged resources on their way out (terminated instances, keys pending deletion): not held.
    releasing: dict[str, int] = field(default_factory=dict)

    @property
    def environment(self) -> dict[str, str]:
        """What to export so that boto3 and the AWS CLI talk to the sandbox."""
        if not self.endpoint:
            return {}
        return {"AWS_ENDPOINT_URL": self.endpoint, "AWS_DEFAULT_REGION": PRIMARY_REGION,
                **CREDENTIALS}

    def instructions(self) -> str:
        lines = [f"export {k}={v}" for k, v in self.environment.items()]
        return "\n".join(lines)

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self), "environment": self.environment}


def default_state_dir(start: Path | None = None) -> Path:
    """`<project>/.govcloud` of the project root found from `start` (govcloud.load.find_root)."""
    return find_root(start) / ".govcloud"


def _alive(pid: int) -> bool:
    child = _children.get(pid)
    if child is not None:
        return child.poll() is None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie answers kill(0) but is dead
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except (OSError, IndexError):
        return True


def _is_moto(pid: int) -> bool:
    """Is `pid` a moto server? Guards against signalling a process that reused the pid."""
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")
    except OSError:
        return pid in _children  # no /proc: trust only processes we started
    return b"moto.server" in cmdline or b"moto_server" in cmdline or SERVER_MODULE.encode() in cmdline


def _answers(endpoint: str, timeout: float = 1.0) -> bool:
    # No proxy: the sandbox is on the loopback and nothing may go anywhere else.
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        with opener.open(f"{endpoint}/moto-api/", timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return int(s.getsockname()[1])


def _read_state(state_dir: Path) -> dict[str, Any] | None:
    try:
        data = json.loads((state_dir / STATE_FILE).read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


def _log_tail(path: Path, lines: int = 20) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _launch(log_path: Path, extra_env: dict[str, str]) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    env = {**os.environ, **CREDENTIALS, **SERVER_SETTINGS, **extra_env}
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", SERVER_MODULE, "-H", HOST, "-p", str(port)],
            stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, env=env,
            start_new_session=True,  # outlives the CLI and ignores its Ctrl-C
        )
    _children[process.pid] = process
    return process, port


def _start(state_dir: Path, extra_env: dict[str, str], timeout: float) -> tuple[int, int]:
    process, port = _launch(state_dir / LOG_FILE, extra_env)
    return _wait(process, port, state_dir / LOG_FILE, timeout)


def _wait(process: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float) -> tuple[int, int]:
    endpoint = f"http://{HOST}:{port}"
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            _children.pop(process.pid, None)
            raise GovcloudError(
                f"the sandbox cloud exited with code {process.returncode} while starting; "
                f"last lines of {log_path}:\n{_log_tail(log_path)}",
                rule="GC-SANDBOX", exit_code=1)
        if _answers(endpoint, timeout=0.5):
            return process.pid, port
        time.sleep(0.1)
    _stop(process.pid)
    raise GovcloudError(
        f"the sandbox cloud did not answer on {endpoint} within {timeout:.0f} s; "
        f"last lines of {log_path}:\n{_log_tail(log_path)}",
        rule="GC-SANDBOX", exit_code=1)


def _stop(pid: int, grace: float = 5.0) -> None:
    if not _alive(pid) or not _is_moto(pid):
        _children.pop(pid, None)
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + grace
    while time.monotonic() < deadline and _alive(pid):
        time.sleep(0.05)
    if _alive(pid):
        os.kill(pid, signal.SIGKILL)
    child = _children.pop(pid, None)
    if child is not None:
        child.wait(timeout=grace)


def read_products(products_file: Path | None) -> tuple[list[tuple[str, str]], list[str]]:
    """[(id, name)] of approved images and engines, and warnings when falling back."""
    if products_file is None or not products_file.exists():
        where = products_file or "the approved-products file"
        return [(p, p) for p in DEFAULT_PRODUCTS], [f"{where} not found: seeding the default images"]
    try:
        data = yaml.safe_load(products_file.read_text(encoding="utf-8")) or {}
    except yaml.YAMLError as e:
        return [(p, p) for p in DEFAULT_PRODUCTS], [f"{products_file}: {e}; seeding the default images"]
    products: list[tuple[str, str]] = []
    for section in ("images", "engines"):
        for entry in data.get(section) or []:
            if isinstance(entry, dict) and entry.get("id"):
                products.append((str(entry["id"]), str(entry.get("name") or entry["id"])))
    return products, []


def _session() -> boto3.session.Session:
    return boto3.session.Session(
        aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


def seed_images(endpoint: str, products: list[tuple[str, str]]) -> tuple[str, ...]:
    """Register one AMI named after each approved product id in both regions (idempotent)."""
    session = _session()
    for region in REGIONS:
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
        present = {
            i["Name"] for i in ec2.describe_images(
                Owners=["self"], Filters=[{"Name": "tag-key", "Values": [PRODUCT_TAG]}])["Images"]
        }
        for product_id, title in products:
            if product_id in present:
                continue
            image = ec2.register_image(
                Name=product_id, Description=title, Architecture="x86_64",
                RootDeviceName="/dev/sda1", VirtualizationType="hvm")
            ec2.create_tags(Resources=[image["ImageId"]],
                            Tags=[{"Key": PRODUCT_TAG, "Value": product_id}])
    return tuple(p for p, _ in products)


def up(state_dir: Path | None = None, products_file: Path | None = None, *,
       timeout: float = 30.0, extra_env: dict[str, str] | None = None, seed: bool = True,
       classified: bool = True) -> SandboxInfo:
    """Start the sandbox cloud, or reuse the one already running for `state_dir`.

    `extra_env` reaches the server processes, e.g. INITIAL_NO_AUTH_ACTION_COUNT to switch on
    moto's IAM enforcement; `seed=False` skips registering the approved images;
    `classified=False` starts no server for the classified pool.
    """
    state_dir = state_dir or default_state_dir()
    state_dir.mkdir(parents=True, exist_ok=True)
    products, warnings = read_products(products_file) if seed else ([], [])
    state = _read_state(state_dir) or {}
    main_ok = _running(state)
    recorded = (state.get("pools") or {}).get(CLASSIFIED) if state else None
    pool_ok = _running(recorded)
    if state and not main_ok and _alive(int(state["pid"])):
        _stop(int(state["pid"]))  # ours but not answering: replace it
    if recorded and not pool_ok and _alive(int(recorded["pid"])):
        _stop(int(recorded["pid"]))
    extra = extra_env or {}
    # Both servers start at once: each takes seconds to import moto.
    main = None if main_ok else _launch(state_dir / LOG_FILE, extra)
    pool = None if pool_ok or not classified else _launch(
        state_dir / POOL_LOG_FILE, {**extra, "MOTO_ACCOUNT_ID": CLASSIFIED_ACCOUNT})
    try:
        if main is not None:
            _wait(*main, state_dir / LOG_FILE, timeout)
        if pool is not None:
            _wait(*pool, state_dir / POOL_LOG_FILE, timeout)
    except GovcloudError:
        for launched in (main, pool):
            if launched is not None:
                _stop(launched[0].pid)
        raise
    record: dict[str, Any] = dict(state) if main is None else {
        "pid": main[0].pid, "port": main[1], "endpoint": f"http://{HOST}:{main[1]}",
        "started": time.time(), "log": str(state_dir / LOG_FILE)}
    pools: dict[str, Any] = {}
    if pool is not None:
        pools[CLASSIFIED] = {"pid": pool[0].pid, "port": pool[1], "endpoint": f"http://{HOST}:{pool[1]}",
                             "account": CLASSIFIED_ACCOUNT, "log": str(state_dir / POOL_LOG_FILE)}
    elif pool_ok and recorded is not None:
        pools[CLASSIFIED] = recorded
    record["pools"] = pools
    if main is not None or pool is not None:
        tmp = state_dir / f"{STATE_FILE}.tmp"
        tmp.write_text(json.dumps(record, indent=2))
        tmp.replace(state_dir / STATE_FILE)
    try:
        seeded = seed_images(str(record["endpoint"]), products)
        for entry in pools.values():
            seed_images(str(entry["endpoint"]), products)
    except Exception:
        if main is not None or pool is not None:
            down(state_dir)  # a half-seeded sandbox would fail later in confusing ways
        raise
    return SandboxInfo(True, str(state_dir), int(record["pid"]), int(record["port"]), str(record["endpoint"]),
                       reused=main is None and pool is None, seeded=seeded, warnings=tuple(warnings),
                       pools=_pool_infos(pools))


def _running(entry: dict[str, Any] | None) -> bool:
    return bool(entry) and entry is not None and _alive(int(entry["pid"])) and _answers(str(entry["endpoint"]))


def _pool_infos(pools: dict[str, Any], *, holdings: bool = False) -> dict[str, PoolInfo]:
    out = {}
    for name, e in sorted(pools.items()):
        held, releasing = _holdings(str(e["endpoint"])) if holdings else ({}, {})
        out[name] = PoolInfo(int(e["pid"]), int(e["port"]), str(e["endpoint"]), str(e["account"]), held, releasing)
    return out


def down(state_dir: Path | None = None) -> SandboxInfo:
    """Stop the sandbox processes recorded in `state_dir` (only those) and forget them."""
    state_dir = state_dir or default_state_dir()
    state = _read_state(state_dir)
    if state:
        _stop(int(state["pid"]))
        for entry in (state.get("pools") or {}).values():
            _stop(int(entry["pid"]))
    (state_dir / STATE_FILE).unlink(missing_ok=True)
    return SandboxInfo(False, str(state_dir))


def kind_of(arn: str) -> str:
    """`service:type` of an ARN (`ec2:instance`, `kms:key`), or the service alone when the
    resource part names no type (an S3 bucket, an SQS queue, an SNS topic)."""
    parts = arn.split(":", 5)
    service, resource = parts[2], parts[5] if len(parts) > 5 else ""
    cut = min((i for i in (resource.find("/"), resource.find(":")) if i >= 0), default=-1)
    return f"{service}:{resource[:cut]}" if cut > 0 else service


# States in which a tagged resource is being released: it is going, not held.
_RELEASED_INSTANCES = ("shutting-down", "terminated")
_RELEASED_KEYS = ("PendingDeletion", "PendingReplicaDeletion")


def _released(session: boto3.session.Session, region: str, endpoint: str, arns: list[str]) -> set[str]:
    """The ARNs among `arns` (one region's) of terminated instances and keys pending deletion."""
    out: set[str] = set()
    instances = {arn.rsplit("/", 1)[-1]: arn for arn in arns if kind_of(arn) == "ec2:instance"}
    if instances:
        ec2 = session.client("ec2", region_name=region, endpoint_url=endpoint)
        for page in ec2.get_paginator("describe_instances").paginate(InstanceIds=list(instances)):
            for reservation in page["Reservations"]:
                for i in reservation["Instances"]:
                    if i["State"]["Name"] in _RELEASED_INSTANCES:
                        out.add(instances[i["InstanceId"]])
    keys = [arn for arn in arns if kind_of(arn) == "kms:key"]
    if keys:
        kms = session.client("kms", region_name=region, endpoint_url=endpoint)
        for arn in keys:
            if kms.describe_key(KeyId=arn)["KeyMetadata"].get("KeyState") in _RELEASED_KEYS:
                out.add(arn)
    return out


def _holdings(endpoint: str) -> tuple[dict[str, int], dict[str, int]]:
    """Counts of resources tagged managed-by=govcloud, by kind (e.g. ec2:instance, s3, sqs):
    those held, and those being released (terminated instances, keys pending deletion)."""
    session = _session()
    counts: dict[str, int] = {}
    releasing: dict[str, int] = {}
    managed = [{"Key": "managed-by", "Values": ["govcloud"]}]
    seen: set[str] = set()
    for region in REGIONS:
        tagging = session.client("resourcegroupstaggingapi", region_name=region, endpoint_url=endpoint)
        found: list[str] = []
        for page in tagging.get_paginator("get_resources").paginate(TagFilters=managed):
            for mapping in page["ResourceTagMappingList"]:
                arn = mapping["ResourceARN"]
                if arn in seen:
                    continue  # S3 buckets are listed in every region
                seen.add(arn)
                found.append(arn)
        gone = _released(session, region, endpoint, found)
        for arn in found:
            target = releasing if arn in gone else counts
            target[kind_of(arn)] = target.get(kind_of(arn), 0) + 1
    iam = session.client("iam", region_name=PRIMARY_REGION, endpoint_url=endpoint)
    for page in iam.get_paginator("list_roles").paginate():
        for role in page["Roles"]:
            role_tags = iam.list_role_tags(RoleName=role["RoleName"])["Tags"]
            if {"Key": "managed-by", "Value": "govcloud"} in role_tags:
                counts["iam:role"] = counts.get("iam:role", 0) + 1
    return dict(sorted(counts.items())), dict(sorted(releasing.items()))


def status(state_dir: Path | None = None) -> SandboxInfo:
    state_dir = state_dir or default_state_dir()
    state = _read_state(state_dir)
    if not state or not _alive(int(state["pid"])) or not _answers(state["endpoint"]):
        return SandboxInfo(False, str(state_dir))
    pools = {name: entry for name, entry in (state.get("pools") or {}).items() if _running(entry)}
    held, releasing = _holdings(state["endpoint"])
    return SandboxInfo(True, str(state_dir), int(state["pid"]), int(state["port"]),
                       state["endpoint"], holds=held, pools=_pool_infos(pools, holdings=True),
                       releasing=releasing)
