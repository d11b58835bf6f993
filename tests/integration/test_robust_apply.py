"""`apply` under duress, against a real sandbox cloud (a moto server process of its own).

- kill -9 at random moments: the next apply converges, a second one changes nothing, and the
  cloud holds no orphan (a govcloud resource the state does not know) and no duplicate;
- two applies on one stack: the second fails at once naming the holder, or waits;
- 20 % of the calls answered with throttling or 503 by a FaultProxy: apply still converges.

The apply that is killed runs as `govcloud apply --stack S --yes` in a subprocess, so the
kill is real; the re-runs call the same library in-process (govcloud.api.apply), which
saves each a process start. bench/crash.py runs more trials of the same harness.
"""
from __future__ import annotations

import getpass
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govcloud.cloud import clients, sandbox
from govcloud.engine import StateStore
from govcloud.engine.lock import holders
from govcloud.errors import GovcloudError
from tests.integration.cloud_harness import CLASSIFIED_POOLS, start_sandbox
from tests.support.faultproxy import FaultProxy

PROJECT = Path(__file__).resolve().parents[2]
GOVCLOUD = Path(sys.executable).with_name("govcloud")
PRODUCTS = PROJECT / "policies" / "data" / "approved-products.yaml"
STACK = "robust"
PASSPHRASE = "govcloud-sandbox"
# The City and two small departments: 64 resources of every kind the program makes.
DEPARTMENTS = ("gzw", "tjj")
REGIONS = sandbox.REGIONS

# -- the project a test applies ---------------------------------------------------------


@dataclass(frozen=True)
class CityProject:
    """A throwaway govcloud project: the City, a few departments, one stack on `endpoint`."""

    root: Path
    endpoint: str
    stack: str = STACK
    # The state backend's URL (Pulumi.yaml backend.url); None: the default file:// folder.
    backend: str | None = None
    classified: str = ""  # the classified pool's endpoint (the example city has one)

    @classmethod
    def create(cls, root: Path, endpoint: str, departments: Sequence[str] = DEPARTMENTS,
               stack: str = STACK, backend: str | None = None) -> CityProject:
        shutil.rmtree(root, ignore_errors=True)
        (root / "blueprints" / "departments").mkdir(parents=True)
        (root / "stacks").mkdir()
        pulumi_yaml = (PROJECT / "Pulumi.yaml").read_text(encoding="utf-8")
        if backend:
            pulumi_yaml += f"backend:\n  url: {backend}\n"
        (root / "Pulumi.yaml").write_text(pulumi_yaml, encoding="utf-8")
        shutil.copy(PROJECT / "blueprints" / "city.yaml", root / "blueprints" / "city.yaml")
        # The city's registers (grants, approvals, projects, MLPS records): the policy gate reads them.
        shutil.copytree(PROJECT / "blueprints" / "city", root / "blueprints" / "city")
        for code in departments:
            shutil.copy(PROJECT / "blueprints" / "departments" / f"{code}.yaml",
                        root / "blueprints" / "departments" / f"{code}.yaml")
        project = cls(root, endpoint, stack, backend, CLASSIFIED_POOLS.get(endpoint, ""))
        project.point_at(endpoint)
        return project

    def point_at(self, endpoint: str) -> CityProject:
        """The same project with its stack calling `endpoint` (e.g. a FaultProxy's); its classified
        pool is that sandbox's, or stays where it was (a proxy fronts the extranet's only)."""
        classified = CLASSIFIED_POOLS.get(endpoint, self.classified)
        pools = f"  govcloud:pools: {{classified: {{endpoint: {classified}}}}}\n" if classified else ""
        (self.root / "stacks" / f"Pulumi.{self.stack}.yaml").write_text(
            "config:\n"
            "  govcloud:blueprints: [blueprints/city.yaml, blueprints/departments]\n"
            "  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1,\n"
            "                     city-intranet-1: cn-north-1, city-intranet-dr-1: cn-northwest-1}\n"
            "  govcloud:partition: aws-cn\n"
            f"  govcloud:endpoint: {endpoint}\n"
            f"{pools}"
            "  govcloud:sandbox: true\n"
            "  govcloud:engine: embedded\n"
            f"  govcloud:sandboxPassphrase: {PASSPHRASE}\n", encoding="utf-8")
        return CityProject(self.root, endpoint, self.stack, self.backend, classified)

    def store(self) -> StateStore:
        """The stack's state, read as `govcloud state` reads it (no passphrase)."""
        return StateStore.for_stack(self.root, self.stack, project="govcloud").open()

    def locked(self) -> bool:
        store = StateStore.for_stack(self.root, self.stack, project="govcloud")
        return bool(holders(store.blobs, "govcloud", self.stack))

    def forget_state(self) -> None:
        shutil.rmtree(self.root / ".govcloud", ignore_errors=True)
        if self.backend:
            blobs = StateStore.for_stack(self.root, self.stack, project="govcloud").blobs
            for key in blobs.keys(""):
                blobs.delete(key)

    def spawn_apply(self, *extra: str) -> subprocess.Popen[str]:
        """`govcloud apply --stack S --yes` in the project, as an operator runs it."""
        return subprocess.Popen(
            [str(GOVCLOUD), "apply", "--stack", self.stack, "--yes", *extra], cwd=self.root,
            env=_child_env(), text=True, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
            stderr=subprocess.PIPE)

    def apply(self, *extra: str, timeout: float = 120.0) -> Applied:
        """One whole apply in a subprocess."""
        started = time.monotonic()
        proc = self.spawn_apply(*extra)
        out, err = proc.communicate(timeout=timeout)
        return Applied(proc.returncode, out, err, time.monotonic() - started, self.steps())

    def apply_here(self, parallel: int | None = None) -> Applied:
        """One whole apply in this process, through the library the CLI calls."""
        from govcloud.engine import DEFAULT_PARALLEL
        from govcloud.operations import apply

        started = time.monotonic()
        outcome = apply(self.stack, yes=True, root=self.root, passphrase=PASSPHRASE,
                            parallel=parallel or DEFAULT_PARALLEL)
        return Applied(0 if outcome.ok else 1, "", outcome.error, time.monotonic() - started,
                       outcome.summary.to_dict())

    def made(self) -> tuple[int, int]:
        """(cloud resources the state records as made, provider calls journaled but unfinished),
        read from the backend as a killed run left it."""
        store = self.store()
        try:
            return sum(1 for r in store.sealed_resources() if r.custom and r.id), store.pending_count()
        finally:
            store.close()

    def steps(self) -> dict[str, int]:
        """The summary the state recorded for its last run: {"create": 3, "same": 94, ...}."""
        history = self.store().history()
        return dict(history[-1].changes) if history else {}

    def recorded(self) -> Recorded:
        """Every cloud id the state holds, by resource type, and what is still open."""
        ids: dict[str, set[str]] = {}
        store = self.store()
        deployment = store.deployment()["deployment"]
        rows = [(r["type"], r["id"]) for r in deployment["resources"] if r.get("custom")]
        condemned = sum(1 for r in deployment["resources"] if r.get("delete"))
        for type_, id_ in rows:
            ids.setdefault(_token(type_), set()).add(_canonical(_token(type_), id_))
        # A database machine reads its admin password from a secret: the state must hold that secret.
        secrets = {r["id"] for r in deployment["resources"] if r.get("custom") and r["type"].endswith(":Secret")}
        lost = tuple(sorted(r["urn"] for r in deployment["resources"]
                            if r.get("custom") and r.get("inputs", {}).get("admin_secret_arn")
                            and r["inputs"]["admin_secret_arn"] not in secrets))
        return Recorded(ids, store.pending_count(), condemned, lost)


@dataclass(frozen=True)
class Applied:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    steps: dict[str, int]

    @property
    def output(self) -> str:
        return self.stdout + self.stderr

    @property
    def changes(self) -> int:
        return sum(n for op, n in self.steps.items() if op != "same")


@dataclass(frozen=True)
class Recorded:
    ids: dict[str, set[str]]
    pending: int
    condemned: int
    lost_secrets: tuple[str, ...] = ()


def _token(type_: str) -> str:
    # State types are the SDK's, e.g. pulumi-python:dynamic/govcloud/storage:Bucket.
    return type_.removeprefix("pulumi-python:dynamic/").replace("/", ":")


def _canonical(token: str, id_: str) -> str:
    # A queue's id is its URL, which names whichever endpoint created it (the proxy's, say).
    return id_.rstrip("/").rsplit("/", 1)[-1] if token == "govcloud:messaging:Queue" else id_


def _child_env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("AWS_", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"))}
    env.update(sandbox.CREDENTIALS)
    env.update({"AWS_CONFIG_FILE": os.devnull, "AWS_SHARED_CREDENTIALS_FILE": os.devnull,
                "NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost",
                "GOVCLOUD_PASSPHRASE": PASSPHRASE})
    return env


# -- the sandbox cloud: reset, inventory, audit ----------------------------------------


def reset_cloud(endpoint: str) -> None:
    """Empty the sandbox (moto's reset), its classified pool too, and seed the approved images again."""
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    products, _ = sandbox.read_products(PRODUCTS if PRODUCTS.exists() else None)
    for cloud in (endpoint, *([CLASSIFIED_POOLS[endpoint]] if endpoint in CLASSIFIED_POOLS else [])):
        opener.open(urllib.request.Request(f"{cloud}/moto-api/reset", method="POST"), timeout=30).close()
        sandbox.seed_images(cloud, products)


@dataclass(frozen=True)
class CloudObject:
    """One resource found in the cloud: `identity` is what makes two of them the same one."""

    token: str
    id: str
    identity: str
    managed: bool


def _tags(tag_list: Any, key: str = "Key", value: str = "Value") -> dict[str, str]:
    return {str(t[key]): str(t.get(value, "")) for t in tag_list or ()}


def _managed(tags: dict[str, str]) -> bool:
    return tags.get("managed-by") == "govcloud"


def inventory(endpoint: str) -> list[CloudObject]:
    """Every resource of the kinds govcloud makes, in both sandbox regions.

    EC2 objects are tagged as they are created, so the managed-by tag finds all of ours;
    the other kinds are listed whole (the sandbox was reset), so an object a crash left
    untagged is found too.
    """
    found: list[CloudObject] = []

    def add(token: str, id_: str, identity: str, tags: dict[str, str]) -> None:
        found.append(CloudObject(token, _canonical(token, id_), f"{token}|{identity}", _managed(tags)))

    ours = [{"Name": "tag:managed-by", "Values": ["govcloud"]}]
    for region in REGIONS:
        def client(service: str) -> Any:
            return clients.client(service, region, endpoint)  # noqa: B023 - used at once

        ec2 = client("ec2")
        roots: set[str] = set()  # an instance's root volume is part of it, not a resource
        for reservation in ec2.describe_instances(Filters=ours)["Reservations"]:
            for i in reservation["Instances"]:
                roots.update(m["Ebs"]["VolumeId"] for m in i.get("BlockDeviceMappings", [])
                             if m.get("DeviceName") == i.get("RootDeviceName") and "Ebs" in m)
                if i["State"]["Name"] != "terminated":
                    tags = _tags(i.get("Tags"))
                    add("govcloud:compute:Instance", i["InstanceId"], tags.get("govcloud:key", ""), tags)
        for v in ec2.describe_volumes(Filters=ours)["Volumes"]:
            if v["VolumeId"] in roots:
                continue
            tags = _tags(v.get("Tags"))
            add("govcloud:compute:Volume", v["VolumeId"], tags.get("govcloud:key", ""), tags)
        for v in ec2.describe_vpcs(Filters=ours)["Vpcs"]:
            tags = _tags(v.get("Tags"))
            add("govcloud:network:Vpc", v["VpcId"], tags.get("govcloud:key", ""), tags)
        for s in ec2.describe_subnets(Filters=ours)["Subnets"]:
            tags = _tags(s.get("Tags"))
            add("govcloud:network:Subnet", s["SubnetId"], tags.get("govcloud:key", ""), tags)
        for g in ec2.describe_security_groups()["SecurityGroups"]:
            if g["GroupName"] != "default":
                add("govcloud:network:SecurityGroup", g["GroupId"], f"{g['VpcId']}/{g['GroupName']}",
                    _tags(g.get("Tags")))
        sqs = client("sqs")
        for url in sqs.list_queues().get("QueueUrls", []):
            add("govcloud:messaging:Queue", url, _canonical("govcloud:messaging:Queue", url),
                sqs.list_queue_tags(QueueUrl=url).get("Tags", {}))
        logs = client("logs")
        for group in logs.describe_log_groups()["logGroups"]:
            name = group["logGroupName"]
            add("govcloud:logs:LogGroup", name, name, logs.list_tags_log_group(logGroupName=name)["tags"])
        kms = client("kms")
        for key in kms.list_keys()["Keys"]:
            meta = kms.describe_key(KeyId=key["KeyId"])["KeyMetadata"]
            if meta["KeyState"] == "Enabled" and meta.get("KeyManager") != "AWS":
                tags = _tags(kms.list_resource_tags(KeyId=key["KeyId"])["Tags"], "TagKey", "TagValue")
                add("govcloud:keys:Key", key["KeyId"], meta.get("Description", ""), tags)
        elb = client("elbv2")
        for lb in elb.describe_load_balancers()["LoadBalancers"]:
            arn = lb["LoadBalancerArn"]
            add("govcloud:loadbalancing:LoadBalancer", arn, lb["LoadBalancerName"], _elb_tags(elb, arn))
            for listener in elb.describe_listeners(LoadBalancerArn=arn)["Listeners"]:
                larn = listener["ListenerArn"]
                add("govcloud:loadbalancing:Listener", larn, f"{arn}:{listener['Port']}", _elb_tags(elb, larn))
                for rule in elb.describe_rules(ListenerArn=larn)["Rules"]:
                    if not rule.get("IsDefault"):
                        add("govcloud:loadbalancing:ListenerRule", rule["RuleArn"],
                            f"{larn}:{rule['Priority']}", _elb_tags(elb, rule["RuleArn"]))
        for tg in elb.describe_target_groups()["TargetGroups"]:
            arn = tg["TargetGroupArn"]
            add("govcloud:loadbalancing:TargetGroup", arn, tg["TargetGroupName"], _elb_tags(elb, arn))
        acm = client("acm")
        for cert in acm.list_certificates()["CertificateSummaryList"]:
            arn = cert["CertificateArn"]
            tags = _tags(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
            public = acm.describe_certificate(CertificateArn=arn)["Certificate"]["Type"] == "AMAZON_ISSUED"
            token = "govcloud:certificates:PublicCertificate" if public else "govcloud:certificates:Certificate"
            add(token, arn, tags.get("govcloud:key", arn), tags)
        sm = client("secretsmanager")
        for secret in sm.list_secrets()["SecretList"]:
            add("govcloud:secrets:Secret", secret["ARN"], secret["Name"], _tags(secret.get("Tags")))
    s3 = clients.client("s3", REGIONS[0], endpoint)
    for bucket in s3.list_buckets()["Buckets"]:
        name = bucket["Name"]
        try:
            tags = _tags(s3.get_bucket_tagging(Bucket=name)["TagSet"])
        except s3.exceptions.ClientError:
            tags = {}
        add("govcloud:storage:Bucket", name, name, tags)
    iam = clients.client("iam", REGIONS[0], endpoint)
    for role in iam.list_roles()["Roles"]:
        name = role["RoleName"]
        add("govcloud:identity:Role", name, name, _tags(iam.list_role_tags(RoleName=name)["Tags"]))
    for profile in iam.list_instance_profiles()["InstanceProfiles"]:
        add("govcloud:identity:InstanceProfile", profile["InstanceProfileName"], profile["InstanceProfileName"],
            _tags(profile.get("Tags")))
    for policy in iam.list_policies(Scope="Local")["Policies"]:
        arn = policy["Arn"]
        add("govcloud:identity:Policy", arn, policy["PolicyName"],
            _tags(iam.list_policy_tags(PolicyArn=arn)["Tags"]))
    route53 = clients.client("route53", REGIONS[0], endpoint)
    for zone in route53.list_hosted_zones()["HostedZones"]:
        zone_id = zone["Id"].rsplit("/", 1)[-1]
        tags = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
        add("govcloud:dns:Zone", zone_id, zone["Name"], _tags(tags["ResourceTagSet"].get("Tags")))
    return found


def _elb_tags(elb: Any, arn: str) -> dict[str, str]:
    return _tags(elb.describe_tags(ResourceArns=[arn])["TagDescriptions"][0].get("Tags"))


@dataclass(frozen=True)
class Audit:
    """The cloud against the state: what a crash could have left wrong."""

    orphans: tuple[CloudObject, ...]  # in the cloud, not in the state
    duplicates: dict[str, int]  # identity → how many cloud objects carry it
    dangling: tuple[str, ...]  # in the state, not in the cloud
    pending: int
    condemned: int
    managed: int  # cloud objects tagged managed-by=govcloud
    lost_secrets: tuple[str, ...] = ()  # resources whose generated secret the state lost

    @property
    def clean(self) -> bool:
        return not (self.orphans or self.duplicates or self.dangling or self.pending or self.condemned
                    or self.lost_secrets)

    def describe(self) -> str:
        return (f"orphans={[(o.token, o.id, o.identity) for o in self.orphans]} "
                f"duplicates={self.duplicates} dangling={list(self.dangling)} "
                f"pending={self.pending} condemned={self.condemned} lost_secrets={list(self.lost_secrets)}")


def audit(project: CityProject, endpoint: str | None = None) -> Audit:
    recorded = project.recorded()
    # both pools' clouds: the state records the classified pool's resources as well
    objects = inventory(endpoint or project.endpoint) + (inventory(project.classified) if project.classified else [])
    listed = {o.token for o in objects} | _LISTED
    orphans = tuple(o for o in objects if o.id not in recorded.ids.get(o.token, set()))
    counts = Counter(o.identity for o in objects)
    live = {(o.token, o.id) for o in objects}
    dangling = tuple(sorted(f"{token} {id_}" for token, ids in recorded.ids.items() if token in listed
                            for id_ in ids if (token, id_) not in live))
    return Audit(orphans, {k: n for k, n in counts.items() if n > 1}, dangling,
                 recorded.pending, recorded.condemned, sum(o.managed for o in objects),
                 recorded.lost_secrets)


# Kinds the inventory lists (and so can vouch that a state id is live).
_LISTED = frozenset({
    "govcloud:compute:Instance", "govcloud:compute:Volume", "govcloud:network:Vpc",
    "govcloud:network:Subnet", "govcloud:network:SecurityGroup", "govcloud:messaging:Queue",
    "govcloud:logs:LogGroup", "govcloud:keys:Key", "govcloud:loadbalancing:LoadBalancer",
    "govcloud:loadbalancing:Listener", "govcloud:loadbalancing:ListenerRule",
    "govcloud:loadbalancing:TargetGroup", "govcloud:certificates:Certificate",
    "govcloud:certificates:PublicCertificate", "govcloud:secrets:Secret",
    "govcloud:storage:Bucket", "govcloud:identity:Role", "govcloud:identity:Policy",
    "govcloud:identity:InstanceProfile", "govcloud:dns:Zone",
})


# -- crash trials ---------------------------------------------------------------------


@dataclass
class Trial:
    number: int
    kill_at: int  # the kill is sent once the state records this many cloud resources made
    killed: bool = False  # False when the apply finished before the kill
    made_at_kill: int = 0  # cloud resources the state recorded when the kill landed
    pending_at_kill: int = 0  # provider calls journaled but not finished then
    total: int = 0  # cloud resources the state records once the re-run converged
    recovered: dict[str, int] = field(default_factory=dict)
    converged: bool = False
    rerun_same: bool = False
    audit: Audit | None = None
    error: str = ""

    @property
    def mid_run(self) -> bool:
        """The kill landed mid-apply: some resources were made and recorded, not all."""
        return self.killed and 0 < self.made_at_kill < self.total

    @property
    def ok(self) -> bool:
        return self.converged and self.rerun_same and self.audit is not None and self.audit.clean

    def describe(self) -> str:
        return (f"kill at {self.kill_at} made {'landed' if self.killed else 'missed'}: "
                f"{self.made_at_kill}/{self.total} made, {self.pending_at_kill} in flight")


def _wait_for_holder(project: CityProject, proc: subprocess.Popen[str], timeout: float = 60.0) -> bool:
    """Until the apply holds the stack lock (its record is written): the engine has started."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if project.locked():
                return True
        except GovcloudError:
            pass
        time.sleep(0.01)
    return False


def resources_made(project: CityProject) -> int:
    """Cloud resources a whole apply of the project makes: one uninterrupted apply, counted."""
    reset_cloud(project.endpoint)
    project.forget_state()
    done = project.apply_here()
    assert done.returncode == 0, done.output
    return project.made()[0]


def _made_so_far(project: CityProject) -> int:
    """What the running apply's state records as made; -1 while it cannot be read whole."""
    try:
        return project.made()[0]
    except GovcloudError:
        return -1


def crash_trial(project: CityProject, number: int, kill_at: int) -> Trial:
    """Fresh cloud and state, kill -9 the apply once its state records `kill_at` resources
    made, re-apply twice, audit."""
    trial = Trial(number, kill_at)
    reset_cloud(project.endpoint)
    project.forget_state()
    proc = project.spawn_apply()
    if not _wait_for_holder(project, proc):
        trial.error = "the apply never started: " + "".join(proc.communicate())
        return trial
    while proc.poll() is None and _made_so_far(project) < kill_at:
        time.sleep(0.02)
    if proc.poll() is None:
        proc.send_signal(signal.SIGKILL)
        trial.killed = True
    proc.communicate(timeout=60)
    if trial.killed:
        trial.made_at_kill, trial.pending_at_kill = project.made()
    first = project.apply_here()
    trial.recovered = first.steps
    trial.converged = first.returncode == 0
    trial.total = project.made()[0]
    if not trial.converged:
        trial.error = first.output[-2000:]
        trial.audit = audit(project)
        return trial
    second = project.apply_here()
    trial.rerun_same = second.returncode == 0 and second.changes == 0 and second.steps.get("same", 0) > 0
    if not trial.rerun_same:
        trial.error = f"second re-run: {second.steps} {second.output[-2000:]}"
    trial.audit = audit(project)
    return trial


def aimed_trial(project: CityProject, number: int, kill_at: int, attempts: int = 4) -> Trial:
    """A crash trial whose kill lands mid-run. The kill follows the count it waits for by a
    poll's length (a state on object storage takes longer to read), so when the apply had
    made everything by then, strike again at an earlier point."""
    trial = crash_trial(project, number, kill_at)
    for _ in range(attempts - 1):
        if not trial.ok or trial.mid_run or kill_at <= 1:
            break
        kill_at = max(1, kill_at // 2)
        trial = crash_trial(project, number, kill_at)
    return trial


def kill_points(seed: int, trials: int, total: int, *, stratified: bool = False) -> list[int]:
    """Seeded moments of an apply of `total` resources, as counts made (1 to total - 1);
    `stratified`: one in each of `trials` equal slices, so that a few trials still strike
    early, midway and late."""
    rng = random.Random(seed)
    span = max(1, total - 1)
    if stratified:
        return [1 + min(span - 1, int(span * (i + rng.random()) / trials)) for i in range(trials)]
    return [rng.randint(1, span) for _ in range(trials)]


# -- the sandbox these tests own ------------------------------------------------------


@pytest.fixture(scope="module")
def robust_cloud(tmp_path_factory: pytest.TempPathFactory, isolated_aws_env: None) -> Iterator[str]:
    """A sandbox of this module's own: the trials reset it, which other suites must not see."""
    state_dir = tmp_path_factory.mktemp("robust-sandbox")
    info = start_sandbox(state_dir, PRODUCTS if PRODUCTS.exists() else None)
    assert info.endpoint
    yield info.endpoint
    sandbox.down(state_dir)


@pytest.fixture
def city(tmp_path: Path, robust_cloud: str) -> CityProject:
    reset_cloud(robust_cloud)
    return CityProject.create(tmp_path / "city", robust_cloud)


# -- the tests --------------------------------------------------------------------------

# A few trials, one in each slice of the apply; bench/crash.py runs 50 at random moments.
CRASH_TRIALS = 2  # one in each half of the apply; bench/crash.py strikes at many more points
CRASH_SEED = 20260
FAULT_SEED = 7


@pytest.mark.integration
@pytest.mark.slow
def test_kill_minus_nine_at_random_moments_converges_without_orphans(city: CityProject) -> None:
    total = resources_made(city)
    points = kill_points(CRASH_SEED, CRASH_TRIALS, total, stratified=True)
    trials = [aimed_trial(city, number, kill_at) for number, kill_at in enumerate(points)]
    failures = [f"trial {t.number} ({t.describe()}, {total} resources in all): {t.error} "
                f"{t.audit.describe() if t.audit else ''}" for t in trials if not t.ok]
    assert not failures, "\n".join(failures)
    # Each kill landed mid-run: the state held some of the resources, not all, when it died.
    assert all(t.mid_run for t in trials), [t.describe() for t in trials]
    assert len({t.made_at_kill for t in trials}) > 1, [t.describe() for t in trials]  # not one moment


@pytest.mark.integration
def test_second_apply_fails_at_once_naming_the_holder(city: CityProject) -> None:
    first = city.spawn_apply()
    assert _wait_for_holder(city, first)
    second = city.apply()
    first_was_running = first.poll() is None
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert first_was_running, "the first apply ended before the second asked for the lock"
    assert second.returncode == 1, second.output  # refused while the first still ran (above): no wait
    message = " ".join(second.output.split())  # rich may wrap the line
    assert "locked by" in message and f"pid {first.pid}" in message, message
    assert f"{getpass.getuser()}@{socket.gethostname()}" in message, message
    assert "'up'" in message or "apply" in message, message  # the holder's command
    assert city.apply_here().changes == 0


@pytest.mark.integration
def test_second_apply_with_lock_wait_waits_then_succeeds(city: CityProject) -> None:
    first = city.spawn_apply()
    assert _wait_for_holder(city, first)
    second = city.apply("--lock-wait", "300")
    out, err = first.communicate(timeout=120)
    assert first.returncode == 0, out + err
    assert second.returncode == 0, second.output
    assert second.changes == 0 and second.steps.get("same", 0) > 0, second.steps
    assert audit(city).clean


@pytest.mark.integration
def test_apply_converges_through_throttling_and_503s(city: CityProject) -> None:
    with FaultProxy(city.endpoint, error_rate=0.2, seed=FAULT_SEED, errors=("throttle", "503")) as proxy:
        faulty = city.point_at(proxy.endpoint)
        first = faulty.apply()
        assert first.returncode == 0, first.output[-3000:]
        assert first.steps.get("create", 0) > 50, first.steps
        calls, injected = len(proxy.calls), proxy.injected
        assert injected > 0.1 * calls, (injected, calls)
        again = faulty.apply_here()
        assert again.returncode == 0 and again.changes == 0, (again.steps, again.stderr)
    found = audit(faulty, city.endpoint)
    assert found.clean, found.describe()
    assert found.managed > 50, found.managed


@pytest.mark.integration
def test_apply_converges_when_the_cloud_did_a_call_whose_answer_was_lost(city: CityProject) -> None:
    # The cloud does the call but its answer never arrives (a 500 from a gateway that gave
    # up), so the SDK sends the same create again: "already exists". The provider must see
    # that the thing it asked for is there, tagged as its own, and take it, not fail or
    # make a second one.
    with FaultProxy(city.endpoint, error_rate=0.0, seed=FAULT_SEED, lost_rate=0.25) as proxy:
        faulty = city.point_at(proxy.endpoint)
        first = faulty.apply()
        assert first.returncode == 0, first.output[-3000:]
        assert first.steps.get("create", 0) > 50, first.steps
        assert proxy.lost > 20, proxy.lost
        again = faulty.apply_here()
        assert again.returncode == 0 and again.changes == 0, (again.steps, again.stderr)
    found = audit(faulty, city.endpoint)
    assert found.clean, found.describe()


# -- the half-made resources the crash trials found: adopted only by the journal --------


def _props(**values: Any) -> dict[str, Any]:
    tags = {"managed-by": "govcloud", "gov:stack": STACK, "gov:department": "gzw"}
    return {"region": sandbox.PRIMARY_REGION, "tags": tags, **values}


@pytest.mark.integration
def test_an_untagged_bucket_is_adopted_only_after_an_interrupted_create(city: CityProject) -> None:
    from govcloud.cloud.storage import BucketProvider
    from govcloud.errors import GovcloudError

    provider, props = BucketProvider(city.endpoint), _props(name="robust-half-made")
    s3 = clients.client("s3", sandbox.PRIMARY_REGION, city.endpoint)
    s3.create_bucket(Bucket=props["name"],
                     CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION})
    with pytest.raises(GovcloudError, match="not managed by this stack"):
        provider.find_existing(props)  # a stranger's bucket for a plain create
    assert provider.find_interrupted(props) == props["name"]  # ours, for the journal


@pytest.mark.integration
def test_a_zone_left_untagged_is_found_by_its_caller_reference(city: CityProject) -> None:
    from govcloud.cloud.dns import ZoneProvider

    provider, props = ZoneProvider(city.endpoint), _props(name="half.robust.example.cn", comment="")
    route53 = clients.client("route53", sandbox.PRIMARY_REGION, city.endpoint)
    route53.create_hosted_zone(Name=props["name"], CallerReference="someone-else")
    zone = route53.create_hosted_zone(Name=props["name"],
                                      CallerReference=provider._caller_prefix(props) + "killed")
    assert provider.find_existing(props) is None
    assert provider.find_interrupted(props) == zone["HostedZone"]["Id"].rsplit("/", 1)[-1]


@pytest.mark.integration
def test_a_key_left_without_its_alias_is_found_by_what_create_key_was_given(city: CityProject) -> None:
    from govcloud.cloud.keys import KeyProvider

    provider = KeyProvider(city.endpoint)
    props = _props(alias="alias/robust-half-made", description="gzw data at rest")
    kms = clients.client("kms", sandbox.PRIMARY_REGION, city.endpoint)
    tags = [{"TagKey": k, "TagValue": v} for k, v in props["tags"].items()]
    kms.create_key(Description="another key", Tags=tags)
    key_id = kms.create_key(Description=props["description"], Tags=tags)["KeyMetadata"]["KeyId"]
    assert provider.find_existing(props) is None
    assert provider.find_interrupted(props) == key_id
