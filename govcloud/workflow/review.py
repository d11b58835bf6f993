"""`govcloud review --base REF`: what a change does, for the pull request that proposes it.

The base is the project as committed at REF (read with `git archive`, never by switching the
working tree); the head is the working tree. Both are checked against their own policies on
the same date, and compared: findings added and fixed, each department's monthly cost, the
data centre's demand and the grants, the consolidation savings, and the plan — the resources
the approved departments' desired graph would create, change or delete. No cloud is read.
"""
from __future__ import annotations

import io
import os
import subprocess
import tarfile
import tempfile
from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import date
from pathlib import Path

from govcloud.consolidation import CapacityReport, consolidate
from govcloud.errors import GovcloudError
from govcloud.graph import Graph, Target, build_graph
from govcloud.graph.addressing import NO_PINS, Pins, pins_from_resources
from govcloud.model import APPROVED_DIR, Finding, Project
from govcloud.policy import CheckResult, CheckSummary

Key = tuple[str, str, str, str, str]   # rule, department, system, file, message


@dataclass(frozen=True)
class Delta:
    """One figure before and after the change."""

    name: str
    unit: str
    base: float
    head: float

    @property
    def change(self) -> float:
        return round(self.head - self.base, 2)

    def to_json(self) -> dict[str, object]:
        return {"name": self.name, "unit": self.unit, "base": self.base, "head": self.head, "change": self.change}


@dataclass(frozen=True)
class PlanSummary:
    """What the approved departments' desired graph would create, update and delete."""

    create: tuple[str, ...] = ()
    update: tuple[str, ...] = ()
    delete: tuple[str, ...] = ()
    same: int = 0
    by_type: tuple[tuple[str, int, int, int], ...] = ()   # (type, create, update, delete)
    error: str | None = None                                # why no plan could be built

    def to_json(self) -> dict[str, object]:
        return {"summary": {"create": len(self.create), "update": len(self.update), "delete": len(self.delete),
                            "same": self.same},
                "create": list(self.create), "update": list(self.update), "delete": list(self.delete),
                "byType": [{"type": t, "create": c, "update": u, "delete": d} for t, c, u, d in self.by_type],
                "error": self.error}


@dataclass(frozen=True)
class ReviewResult:
    base: str
    today: str
    added: tuple[Finding, ...]
    fixed: tuple[Finding, ...]
    chargeback: tuple[Delta, ...]       # per department (monthly ¥), changed ones only, then the total
    capacity: tuple[Delta, ...]
    savings: tuple[Delta, ...]
    plan: PlanSummary
    files: tuple[str, ...] = field(default=())   # blueprint and policy files the change touches

    @property
    def errors_added(self) -> int:
        return sum(1 for f in self.added if f.blocking)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors_added else 0

    def to_json(self) -> dict[str, object]:
        return {"base": self.base, "today": self.today, "files": list(self.files),
                "findings": {"added": [f.to_json() for f in self.added], "fixed": [f.to_json() for f in self.fixed],
                             "errorsAdded": self.errors_added},
                "chargeback": [d.to_json() for d in self.chargeback],
                "capacity": [d.to_json() for d in self.capacity],
                "savings": [d.to_json() for d in self.savings],
                "plan": self.plan.to_json(), "exitCode": self.exit_code}


def _git(root: Path, *args: str, binary: bool = False) -> bytes:
    try:
        done = subprocess.run(["git", "-C", str(root), *args], capture_output=True, check=False)
    except FileNotFoundError:
        raise GovcloudError("git is not installed", rule="GC-USAGE", hint="review compares git commits") from None
    if done.returncode != 0:
        message = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise GovcloudError(f"git {' '.join(args[:2])}: {message[-1] if message else 'failed'}", rule="GC-USAGE",
                            hint="give --base a commit, branch or tag of this repository, e.g. origin/main")
    return done.stdout


def extract_base(root: Path, ref: str, into: Path) -> list[str]:
    """The project's blueprints/ and policies/ as of `ref`, written under `into`; which exist."""
    prefix = _git(root, "rev-parse", "--show-prefix").decode().strip()
    _git(root, "rev-parse", "--verify", "--quiet", f"{ref}^{{commit}}")
    listed = _git(root, "ls-tree", "--name-only", ref, prefix or ".").decode().split()
    wanted = [p for p in (f"{prefix}blueprints", f"{prefix}policies") if p in listed]
    if wanted:
        data = _git(root, "archive", "--format=tar", ref, "--", *wanted)
        with tarfile.open(fileobj=io.BytesIO(data)) as tar:
            if hasattr(tarfile, "data_filter"):  # Python ≥ 3.11.4: refuse links and paths leaving `into`
                tar.extractall(into, filter="data")
            else:  # pragma: no cover - git archive of our own repository writes only plain members
                tar.extractall(into)
    return [os.path.basename(p) for p in wanted]


def _relocated(f: Finding, root: Path) -> Finding:
    """`f` with paths relative to its project's root (the base lives in a temporary folder)."""
    prefixes = {str(root) + os.sep, os.path.realpath(root) + os.sep}
    message = f.message
    for prefix in prefixes:
        message = message.replace(prefix, "")
    if f.location is None:
        return replace(f, message=message)
    rel = os.path.relpath(os.path.realpath(f.location.file), os.path.realpath(root))
    return replace(f, message=message, location=replace(f.location, file=rel))


def _key(f: Finding, root: Path) -> Key:
    """What identifies a finding across the change: not its line, which moves with any edit."""
    g = _relocated(f, root)
    return (g.rule, g.department or "", g.system or "", g.location.file if g.location else "", g.message)


def _difference(a: CheckResult, a_root: Path, b: CheckResult, b_root: Path) -> tuple[Finding, ...]:
    """Findings of `a` that `b` does not have (as many times as `a` has more of them)."""
    left = Counter(_key(f, b_root) for f in b.findings)
    out = []
    for f in a.findings:
        k = _key(f, a_root)
        if left[k]:
            left[k] -= 1
        else:
            out.append(_relocated(f, a_root))
    return tuple(out)


def _approved_only(project: Project) -> Project:
    return replace(project, departments=tuple(
        d for d in project.departments if os.path.basename(os.path.dirname(os.path.abspath(d.file))) == APPROVED_DIR))


def _graph(project: Project | None, today: date, pins: Pins = NO_PINS) -> Graph | None:
    if project is None:
        return None
    dc = project.city.datacentre
    # the plan compares two desired graphs; the logical regions stand for themselves
    sites = [dc.region, dc.dr_region]
    if dc.classified_pool is not None:
        sites += [dc.classified_pool.region, dc.classified_pool.dr_region]
    target = Target.create("review", {site: site for site in sites})
    return build_graph(_approved_only(project), target, today, pins)


def plan_summary(base: Project | None, head: Project | None, today: date) -> PlanSummary:
    try:
        before = _graph(base, today)
        # What the base deploys keeps its address slots, as the plan of a stack keeps its state's.
        pins = NO_PINS if before is None or head is None else pins_from_resources(
            ((n.type, n.name, n.inputs) for n in before.nodes), head.city.networks)
        after = _graph(head, today, pins)
    except GovcloudError as exc:
        return PlanSummary(error=exc.message)
    if after is None:
        return PlanSummary(error="the changed blueprints do not load")
    old = {n.name: n for n in before.nodes} if before is not None else {}
    new = {n.name: n for n in after.nodes}
    create = tuple(sorted(set(new) - set(old)))
    delete = tuple(sorted(set(old) - set(new)))
    both = set(new) & set(old)
    update = tuple(sorted(n for n in both if (new[n].inputs, new[n].tags, new[n].type) !=
                          (old[n].inputs, old[n].tags, old[n].type)))
    types: dict[str, list[int]] = {}
    for names, column, side in ((create, 0, new), (update, 1, new), (delete, 2, old)):
        for name in names:
            types.setdefault(side[name].type, [0, 0, 0])[column] += 1
    by_type = tuple((t, c[0], c[1], c[2]) for t, c in sorted(types.items()))
    return PlanSummary(create, update, delete, len(both) - len(update), by_type)


def _figures(base: Project | None, head: Project | None, today: date) -> tuple[
        tuple[Delta, ...], tuple[Delta, ...], tuple[Delta, ...]]:
    b = consolidate(base.active(today)) if base is not None else None
    h = consolidate(head.active(today)) if head is not None else None
    if h is None:
        return (), (), ()
    old_cost = {d.department: d.cost.total for d in b.chargeback.departments} if b else {}
    new_cost = {d.department: d.cost.total for d in h.chargeback.departments}
    cost = [Delta(code, "¥/month", round(old_cost.get(code, 0.0), 2), round(new_cost.get(code, 0.0), 2))
            for code in sorted(set(old_cost) | set(new_cost))]
    cost = [d for d in cost if d.change]
    cost.append(Delta("total", "¥/month", round(sum(old_cost.values()), 2), round(sum(new_cost.values()), 2)))
    old_g = {g.resource: g for g in b.capacity.gauges} if b else {}
    capacity = [Delta(g.title, g.unit, old_g[g.resource].requested if g.resource in old_g else 0.0, g.requested)
                for g in h.capacity.gauges]

    for index, title, unit in ((0, "Granted vCPU", "vCPU"), (1, "Granted memory", "GiB"),
                               (2, "Granted storage", "GiB")):
        capacity.append(Delta(title, unit, _granted(b.capacity, index) if b else 0.0, _granted(h.capacity, index)))
    freed = [Delta("Reclaimed vCPU (下线)", "vCPU", float(sum(s.vcpu for _, s in base.retired(today))) if base else 0.0,
                   float(sum(s.vcpu for _, s in head.retired(today))))] if head is not None else []
    capacity += [d for d in freed if d.base or d.head]
    savings = [Delta("Consolidation savings (yearly, ≥)", "¥/year", b.savings.yearly if b else 0.0, h.savings.yearly),
               Delta("Pending requests' savings (yearly, ≥)", "¥/year", b.savings.pending_yearly if b else 0.0,
                     h.savings.pending_yearly),
               Delta("One-off infrastructure saving (≥)", "¥", b.savings.one_off if b else 0.0, h.savings.one_off)]
    return tuple(cost), tuple(capacity), tuple(savings)


def _granted(report: CapacityReport, index: int) -> float:
    """The sum of the departments' quotas (vCPU, memory or storage in GiB)."""
    return float(sum(q.gauges[index].capacity for q in report.quotas))


def changed_files(root: Path, ref: str) -> tuple[str, ...]:
    out = _git(root, "diff", "--name-only", "--relative", ref, "--", "blueprints", "policies").decode()
    untracked = _git(root, "ls-files", "--others", "--exclude-standard", "--", "blueprints", "policies").decode()
    return tuple(sorted(set(out.split()) | set(untracked.split())))


def review(root: str | os.PathLike[str], ref: str, today: date) -> ReviewResult:
    """The review of the change from `ref` to the working tree of the project at `root`."""
    from govcloud.policy import check  # layer 2, imported where it is used

    head_root = Path(root).resolve()
    files = changed_files(head_root, ref)
    with tempfile.TemporaryDirectory(prefix="govcloud-review-") as tmp:
        base_root = Path(tmp)
        present = extract_base(head_root, ref, base_root)
        head_policies = head_root / "policies"
        base_policies = base_root / "policies" if "policies" in present else head_policies
        if "blueprints" in present:
            base = check([str(base_root / "blueprints")], policies=base_policies, today=today, cache=False)
        else:
            base = CheckResult(findings=(), summary=CheckSummary.of((), 0), exit_code=0)
        head = check([str(head_root / "blueprints")], policies=head_policies, today=today, cache=False)
        added = _difference(head, head_root, base, base_root)
        fixed = _difference(base, base_root, head, head_root)
        cost, capacity, savings = _figures(base.project, head.project, today)
        plan = plan_summary(base.project, head.project, today)
    return ReviewResult(ref, today.isoformat(), added, fixed, cost, capacity, savings, plan, files)

