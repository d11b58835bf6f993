"""Fuzzing every kind of input file a user writes: blueprints, the city, waivers, policy
packs and stack files.

Each example asserts what a user is promised: the command ends with exit 0 or 2 (1 for
`check`'s policy errors), never a traceback, within 5 seconds; and whatever `validate`
accepts yields a resource graph whose every name, description and tag the real cloud
accepts (govcloud.schema.cloudnames). Bounded to run in well under two minutes.
"""
from __future__ import annotations

import copy
import dataclasses
import math
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from govcloud.cli import app
from govcloud.errors import GovcloudError
from govcloud.graph import Graph, Target, build_graph, tokens
from govcloud.load import load
from govcloud.program import load_stack_config
from govcloud.program.reform import under_former_codes
from govcloud.schema import cloudnames
from tests.support.fuzzing import LONG

pytestmark = pytest.mark.fuzz

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"
SLJ = yaml.safe_load((MINI / "departments" / "slj.yaml").read_text("utf-8"))
GAJ = yaml.safe_load((MINI / "departments" / "gaj.yaml").read_text("utf-8"))
CITY = yaml.safe_load((MINI / "city.yaml").read_text("utf-8"))
WAIVERS = {"apiVersion": "govcloud/v1", "kind": "Waivers", "waivers": [{
    "rule": "GC-OA-001", "department": "slj", "reason": "joins the shared OA next year",
    "approver": "市政务服务数据管理局", "reference": "佛数审〔2026〕3号", "expires": "2026-12-31"}]}
STACK = {"config": {"govcloud:blueprints": ["blueprints"],
                    "govcloud:regions": {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1"},
                    "govcloud:engine": "embedded"}}
SECONDS = 60.0  # per example: catches a hang (a pattern or alias blow-up), not a slow machine
runner = CliRunner()

# Values that broke a loader or a cloud somewhere: each must be refused cleanly or be harmless.
NASTY: list[Any] = [
    None, True, False, 0, -1, 2**53, 2**64, 10**400, 2.0, 0.5, -0.0, 1e308, math.nan, math.inf, -math.inf,
    "", " ", "\n", "slj\n", "river-", "-river", "a--b", "xn--a", "sthree-x", "x-s3alias", "x--ol-s3",
    "sg-1", "internal-x", "192.168.5.4", "a" * 64, "a" * 300, "FS-２０２６-IT-0001", "FS-٢٠٢٦-IT-0001",
    "FS-2026-IT-0001\n", "市水利局" * 20, "city", "10.16.0.1/12", "10.16.0.0/12", "0.0.0.0/0", "10.0.0.0/8",
    "^(a|a)*$", "(a+)+", "([", "${city.spec.domain}", "${nope.x}", "!!python/object", "*alias", "%", "\x00",
    "\ud7ff", "é", "cn-north-9", "aws-moon", "../../etc", "/etc/passwd", "2026-02-30", "0x10", "1_000",
]
scalars = st.one_of(st.sampled_from(NASTY), st.integers(-(2**70), 2**70), st.text(max_size=20),
                    st.floats(allow_nan=True, allow_infinity=True))
values = st.recursive(scalars, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)), max_leaves=6)


def _paths(node: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    yield prefix
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from _paths(value, prefix + (index,))


def plausible(value: Any) -> st.SearchStrategy[Any]:
    """A value of the same kind, often valid: most inputs that reach the cloud look right."""
    if isinstance(value, bool):
        return st.booleans()
    if isinstance(value, int):
        return st.integers(0, 5000)
    if isinstance(value, float):
        return st.floats(0, 1e6)
    if isinstance(value, str):
        return st.one_of(st.from_regex(r"\A[a-z][a-z0-9.-]{0,70}\Z"), st.from_regex(r"\A[a-z0-9-]{1,20}\Z"),
                         st.text("河道水情监测系统（）·-_ 佛山市", min_size=1, max_size=70))
    return st.just(value)


@st.composite
def mutated(draw: st.DrawFn, base: Any) -> Any:
    """`base` with one to three values replaced (by a nasty or a plausible value), deleted or added."""
    doc = copy.deepcopy(base)
    for _ in range(draw(st.integers(1, 3))):
        paths = [p for p in _paths(doc) if p]
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        parent = doc
        for part in path[:-1]:
            parent = parent[part]
        action = draw(st.sampled_from(["plausible", "plausible", "replace", "delete", "insert"]))
        if action == "plausible":
            parent[path[-1]] = draw(plausible(parent[path[-1]]))
        elif action == "replace":
            parent[path[-1]] = draw(values)
        elif action == "delete":
            del parent[path[-1]]
        elif isinstance(parent, dict):
            parent[draw(st.sampled_from(["name", "x", "govcloud:x", "<<", "mlps", "formerCode"]))] = draw(values)
        else:
            parent.insert(0, draw(values))
    return doc


def _dump(data: Any) -> str:
    return yaml.safe_dump(data, allow_unicode=True, sort_keys=False)


TEXT_EDITS = [" &a", " *a", " !!python/name:os.system", " !!binary AAAA", "\t", ": ", "- ", "{", "'", "\"",
              " .nan", " 2.0", " 1e+999", " 0o777777777777777777777777", "\ufeff", " ~", "<<: *a"]


@st.composite
def edited_text(draw: st.DrawFn, base: Any) -> bytes:
    """The YAML text of `base` with a token pasted somewhere, or a line re-encoded as GBK."""
    lines = _dump(base).splitlines(keepends=True)
    index = draw(st.integers(0, len(lines) - 1))
    if draw(st.booleans()):
        line = lines[index]
        at = draw(st.integers(0, len(line)))
        lines[index] = line[:at] + draw(st.sampled_from(TEXT_EDITS)) + line[at:]
        return "".join(lines).encode("utf-8")
    head = "".join(lines[:index]).encode("utf-8")
    return head + "".join(lines[index:]).encode("gbk", "replace")


def _project(tmp: Path, policies: bool = False) -> Path:
    """A fresh copy of the small city (hypothesis reuses the test's one tmp folder)."""
    if tmp.exists():
        shutil.rmtree(tmp)
    (tmp / "blueprints").mkdir(parents=True)
    shutil.copytree(MINI / "departments", tmp / "blueprints" / "departments")
    shutil.copy(MINI / "city.yaml", tmp / "blueprints" / "city.yaml")
    shutil.copy(ROOT / "Pulumi.yaml", tmp / "Pulumi.yaml")
    if policies:
        shutil.copytree(ROOT / "policies", tmp / "policies")
    return tmp


def _run(args: list[str], allowed: tuple[int, ...] = (0, 2)) -> int:
    started = time.perf_counter()
    result = runner.invoke(app, args, catch_exceptions=True)
    elapsed = time.perf_counter() - started
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception  # a traceback the user would have seen as "internal error"
    assert result.exit_code in allowed, (result.exit_code, result.stdout, result.stderr)
    assert "Traceback" not in result.stdout + result.stderr
    assert elapsed < SECONDS, f"{elapsed:.1f} s"
    return result.exit_code


# -- the planned names of whatever validates -----------------------------------------------
def cloud_problems(graph: Graph) -> list[str]:
    """Every name, description and tag of `graph` the cloud would refuse."""
    out = []
    for node in graph.nodes:
        props = {**node.inputs, "tags": dict(node.tags)}  # the full tag set, even of untaggable types
        out.extend(f"{node.name} {prop} {reason}" for prop, reason in cloudnames.property_problems(node.type, props))
    return out


def _planned_names_are_valid(blueprints: Path) -> None:
    result = load([str(blueprints)])
    if not result.ok or result.project is None:
        event("refused by validate")
        return
    city = result.project.city
    target = Target.create("fuzz", {city.datacentre.region: "cn-north-1", city.datacentre.dr_region: "cn-northwest-1"})
    try:
        graph = build_graph(under_former_codes(result.project), target)  # as make_program builds it
    except GovcloudError as error:
        # Policy rules the graph also refuses to build (check reports them first); never a bad name.
        assert error.rule != "GC-NAME" and error.exit_code == 2, error.line()
        event(f"graph refused: {error.rule}")
        return
    event("accepted: every planned name checked")
    assert cloud_problems(graph) == []


# CI runs a fixed sample; GOVCLOUD_FUZZ_EXAMPLES=N (per test, scaled) explores new inputs at length.
COMMON = settings(max_examples=LONG or 60, deadline=None, derandomize=not LONG, database=None,
                  suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])


@COMMON
@given(doc=st.one_of(mutated(SLJ), mutated(GAJ)))
def test_fuzz_department_blueprints(tmp_path: Path, doc: Any) -> None:
    root = _project(tmp_path / "p")
    metadata = doc.get("metadata") if isinstance(doc, dict) else None
    code = metadata.get("code") if isinstance(metadata, dict) else None
    name = f"{code}.yaml" if isinstance(code, str) and code in ("slj", "gaj") else "slj.yaml"
    (root / "blueprints" / "departments" / name).write_text(_dump(doc), "utf-8")
    _run(["validate", str(root / "blueprints")])
    _planned_names_are_valid(root / "blueprints")


@COMMON
@given(doc=mutated(CITY))
def test_fuzz_city_blueprints(tmp_path: Path, doc: Any) -> None:
    root = _project(tmp_path / "p")
    (root / "blueprints" / "city.yaml").write_text(_dump(doc), "utf-8")
    _run(["validate", str(root / "blueprints")])
    _planned_names_are_valid(root / "blueprints")


@COMMON
@given(raw=st.one_of(edited_text(SLJ), edited_text(CITY)), which=st.sampled_from(["city.yaml", "departments/slj.yaml"]))
def test_fuzz_blueprint_text(tmp_path: Path, raw: bytes, which: str) -> None:
    root = _project(tmp_path / "p")
    (root / "blueprints" / which).write_bytes(raw)
    _run(["validate", str(root / "blueprints")])


@settings(COMMON, max_examples=LONG // 2 or 30)
@given(doc=mutated(WAIVERS))
def test_fuzz_waivers(tmp_path: Path, doc: Any) -> None:
    root = _project(tmp_path / "p", policies=True)
    waivers = root / "policies" / "waivers.yaml"
    waivers.write_text(_dump(doc), "utf-8")
    _run(["check", str(root / "blueprints"), "--policies", str(root / "policies"), "--waivers", str(waivers),
          "--today", "2026-06-01", "--format", "json"], allowed=(0, 1, 2))


PACK = yaml.safe_load((ROOT / "policies" / "standards.yaml").read_text("utf-8"))


@settings(COMMON, max_examples=LONG // 2 or 30)
@given(doc=mutated(PACK))
def test_fuzz_policy_packs(tmp_path: Path, doc: Any) -> None:
    root = _project(tmp_path / "p", policies=True)
    (root / "policies" / "standards.yaml").write_text(_dump(doc), "utf-8")
    _run(["check", str(root / "blueprints"), "--policies", str(root / "policies"), "--format", "json"],
         allowed=(0, 1, 2))


@settings(COMMON, max_examples=LONG or 60)
@given(doc=mutated(STACK), text=st.one_of(st.none(), edited_text(STACK)))
def test_fuzz_stack_files(tmp_path: Path, doc: Any, text: bytes | None) -> None:
    root = _project(tmp_path / "p")
    (root / "stacks").mkdir()
    stack = root / "stacks" / "Pulumi.fuzz.yaml"
    stack.write_bytes(text if text is not None else _dump(doc).encode("utf-8"))
    started = time.perf_counter()
    try:
        config = load_stack_config("fuzz", root)
    except GovcloudError as error:
        assert error.exit_code == 2 and error.location is not None and error.location.line >= 1, error.line()
    else:
        assert all(real in ("cn-north-1", "cn-northwest-1") or "-" in real for _, real in config.regions)
        assert all(root in p.parents or p == root for p in config.blueprints)
    assert time.perf_counter() - started < SECONDS


def test_the_name_checker_sees_what_the_cloud_refuses() -> None:
    """The property above could pass vacuously; this graph has one description the cloud refuses."""
    result = load([str(MINI)])
    assert result.project is not None
    regions = {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1"}
    graph = build_graph(result.project, Target.create("fuzz", regions))
    assert cloud_problems(graph) == []
    group = graph.of_type(tokens.SECURITY_GROUP)[0]
    bad = dataclasses.replace(group, inputs={**group.inputs, "description": "河道水情监测系统 (市水利局)"})
    broken = Graph(graph.target, graph.components, tuple(bad if n.name == group.name else n for n in graph.nodes))
    assert cloud_problems(broken) == [
        (f"{group.name} description '河道水情监测系统 (市水利局)' may hold only ASCII letters, digits, spaces "
        "and ._-:/()#,@[]+=&;{}!$*")]
    known = {t for t in vars(tokens).values() if isinstance(t, str) and t.startswith("govcloud:")}
    assert set(cloudnames.PROPERTY_RULES) <= known  # every rule names a real resource type
