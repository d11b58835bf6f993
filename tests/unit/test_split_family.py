"""A split stack: the graph's partition into member stacks, and the StackReference read."""
from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pulumi
import pytest

from govcloud.engine import Engine, StateStore
from govcloud.engine.stackrefs import StackOutputs, StackReferenceError, pending_stacks, read_outputs, require
from govcloud.errors import GovcloudError
from govcloud.graph import Graph, Node, Ref, Target, build_graph
from govcloud.load import load
from govcloud.model import Project
from govcloud.program import load_stack_config
from govcloud.program.family import PLATFORM, member_stack, output_name, partition

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "data" / "mini"
TARGET = Target.create("fam", {"city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
                               "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"})
PASSPHRASE = "test-passphrase"


def _project() -> Project:
    found = load([str(MINI)])
    assert found.project is not None
    return found.project


@pytest.fixture(scope="module")
def graph() -> Graph:
    return build_graph(_project(), TARGET)


def test_every_node_is_in_exactly_one_member_platform_first(graph: Graph) -> None:
    family = partition(graph, _project(), "department")
    assert family.names() == (PLATFORM, "gaj", "slj")
    assert [m.stack for m in family.members] == ["fam__platform", "fam__gaj", "fam__slj"]
    owned = [n.name for m in family.members for n in m.graph.nodes]
    assert sorted(owned) == sorted(n.name for n in graph.nodes)
    assert all(n.component == "city" for n in family.platform.graph.nodes)
    for member in family.members[1:]:
        assert member.departments == (member.name,)
        assert all(n.name.startswith(f"{member.name}/") for n in member.graph.nodes)


def test_departments_read_only_platform_outputs_by_stable_names(graph: Graph) -> None:
    family = partition(graph, _project(), "department")
    for member in family.members[1:]:
        assert member.imports, "a department reads the platform's key, guardrails, site listener"
        assert all(family.platform.graph.has(ref.node) for ref in member.imports)
        # Everything a department refers to outside itself is one of these imports.
        outside = {r for n in member.graph.nodes for r in _refs(n.inputs) if not member.graph.has(r.node)}
        assert outside == set(member.imports)
    names = [output_name(r) for r in family.exports]
    assert "city/key.arn" in names and "city/site/https.arn" in names
    assert names == sorted(names) and partition(graph, _project(), "department").exports == family.exports


def test_members_keep_the_family_s_cloud_names_and_stack_tag(graph: Graph) -> None:
    family = partition(graph, _project(), "department")
    for member in family.members:
        for node in member.graph.nodes:
            assert node == graph.node(node.name)  # the very node of the whole stack's graph
            assert node.tags["gov:stack"] == "fam"


def test_district_split_groups_departments_by_their_district(graph: Graph) -> None:
    project = _project()
    first, second = project.departments
    districted = dataclasses.replace(project, departments=(dataclasses.replace(first, district="chancheng"), second))
    family = partition(build_graph(districted, TARGET), districted, "district")
    assert family.names() == (PLATFORM, "chancheng", "city")
    assert family.find("chancheng").departments == (first.code,)  # type: ignore[union-attr]
    assert family.find("city").departments == (second.code,)  # type: ignore[union-attr]


def _refs(value: Any) -> list[Ref]:
    from govcloud.graph import refs_in

    return list(refs_in(value))


def _with_node(graph: Graph, node: Node) -> Graph:
    return Graph(graph.target, graph.components, tuple(sorted((*graph.nodes, node), key=lambda n: n.name)))


def test_a_reference_between_departments_is_refused(graph: Graph) -> None:
    other = next(n for n in graph.nodes if n.name.startswith("slj/"))
    odd = Node("gaj/odd", other.type, "gaj", {"peer": Ref(other.name, "arn")}, other.tags)
    with pytest.raises(GovcloudError) as caught:
        partition(_with_node(graph, odd), _project(), "department")
    assert caught.value.rule == "GC-STACK-SPLIT" and caught.value.exit_code == 2
    assert "'gaj/odd'" in caught.value.message and other.name in caught.value.message


def test_a_platform_reference_to_a_department_is_refused(graph: Graph) -> None:
    tenant = next(n for n in graph.nodes if n.name.startswith("gaj/"))
    odd = Node("city/odd", tenant.type, "city", {}, tenant.tags, depends_on=(tenant.name,))
    with pytest.raises(GovcloudError, match="only a department may refer to the platform"):
        partition(_with_node(graph, odd), _project(), "department")


def test_a_department_coded_platform_is_refused(graph: Graph) -> None:
    project = _project()
    renamed = dataclasses.replace(project, departments=(
        dataclasses.replace(project.departments[0], code="platform"), project.departments[1]))
    with pytest.raises(GovcloudError, match="coded 'platform'"):
        partition(graph, renamed, "department")


# -- the stack config ----------------------------------------------------------------------
def _stack_project(tmp_path: Path, extra: str) -> Path:
    shutil.copy(ROOT / "Pulumi.yaml", tmp_path / "Pulumi.yaml")
    (tmp_path / "stacks").mkdir()
    (tmp_path / "stacks" / "Pulumi.fam.yaml").write_text(
        "config:\n  govcloud:blueprints: [blueprints]\n"
        "  govcloud:regions: {city-dc-1: cn-north-1, city-dr-1: cn-northwest-1}\n" + extra, encoding="utf-8")
    shutil.copytree(MINI, tmp_path / "blueprints")
    return tmp_path


def test_a_member_s_config_names_its_stack_and_keeps_the_family_s_target(tmp_path: Path) -> None:
    root = _stack_project(tmp_path, "  govcloud:split: department\n")
    family = load_stack_config("fam", root)
    assert family.split == "department" and family.member is None
    member = load_stack_config(member_stack("fam", "gaj"), root)
    assert (member.stack, member.family, member.member) == ("fam__gaj", "fam", "gaj")
    assert member.target() == family.target() and member.target().stack == "fam"


def test_a_bad_split_value_points_at_its_key(tmp_path: Path) -> None:
    root = _stack_project(tmp_path, "  govcloud:split: town\n")
    with pytest.raises(GovcloudError) as caught:
        load_stack_config("fam", root)
    assert caught.value.location is not None and caught.value.location.line == 4
    assert "govcloud:split must be one of department, district" in caught.value.message


def test_an_unsplit_stack_has_no_members(tmp_path: Path) -> None:
    root = _stack_project(tmp_path, "")
    with pytest.raises(GovcloudError, match="is not split"):
        load_stack_config("fam__gaj", root)


# -- the StackReference read, through the embedded engine ------------------------------------
def _engine(tmp_path: Path, stack: str, program: Any) -> Engine:
    store = StateStore(tmp_path / "state" / f"{stack}.db", project="proj")
    return Engine("proj", stack, program, store, passphrase=PASSPHRASE, parallel=2)


def _platform(tmp_path: Path) -> None:
    def program() -> None:
        pulumi.export("city/key.arn", "arn:aws-cn:kms:cn-north-1:123456789012:key/k1")
        pulumi.export("city/guardrails.arn", pulumi.Output.secret("arn:aws-cn:iam::123456789012:policy/g"))

    result = _engine(tmp_path, "fam__platform", program).up()
    assert result.ok, result.error


def _reader(names: tuple[str, ...], stack: str = "fam__platform") -> Any:
    def program() -> None:
        reference = pulumi.StackReference(stack)
        for name in names:
            pulumi.export(name, reference.require_output(name))

    return program


def test_a_department_reads_the_platform_s_outputs(tmp_path: Path) -> None:
    _platform(tmp_path)
    engine = _engine(tmp_path, "fam__gaj", _reader(("city/key.arn", "city/guardrails.arn")))
    result = engine.up()
    assert result.ok, result.error
    assert result.outputs["city/key.arn"] == "arn:aws-cn:kms:cn-north-1:123456789012:key/k1"
    assert result.outputs["city/guardrails.arn"] == "[secret]"  # a secret stays a secret across stacks
    recorded = engine.state.open().resources()
    assert not any(r.type == "pulumi:pulumi:StackReference" for r in recorded.values())


def test_the_read_gives_name_outputs_and_secret_output_names(tmp_path: Path) -> None:
    _platform(tmp_path)
    store = StateStore(tmp_path / "state" / "fam__gaj.db", project="proj").open()
    store.unlock(PASSPHRASE)
    found = read_outputs(store, "organization/proj/fam__platform")
    assert found is not None
    props = found.properties()
    assert props["name"] == "fam__platform" and props["secretOutputNames"] == ["city/guardrails.arn"]
    assert props["outputs"]["city/key.arn"].endswith("key/k1")


def test_a_missing_platform_stack_is_an_error_naming_it_exit_2(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "fam__gaj", _reader(("city/key.arn",), stack="fam__nowhere"))
    with pytest.raises(StackReferenceError) as caught:
        engine.preview()
    assert caught.value.exit_code == 2 and caught.value.rule == "GC-STACKREF"
    assert "stack 'fam__nowhere'" in caught.value.message
    assert not engine.up().ok  # an apply fails too, and creates nothing


_MISSING_PLATFORM = """
import sys
from pathlib import Path
from tests.unit.test_split_family import _engine, _reader
from govcloud.engine.stackrefs import StackReferenceError
engine = _engine(Path(sys.argv[1]), "fam__gaj", _reader(("city/key.arn",), stack="fam__nowhere"))
try:
    engine.preview()
except StackReferenceError as error:
    print(error.message)
"""


def test_a_missing_platform_stack_says_only_that(tmp_path: Path) -> None:
    # The SDK's Outputs left waiting on the reference are never awaited: Python would report
    # each on stderr (as RuntimeWarnings naming the SDK's coroutines) after the error.
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run([sys.executable, "-W", "default", "-c", _MISSING_PLATFORM, str(tmp_path)],
                          capture_output=True, text=True, cwd=root, check=True, timeout=120)
    assert "stack 'fam__nowhere' is referenced" in done.stdout
    assert "never awaited" not in done.stderr and "Warning" not in done.stderr, done.stderr


def test_a_missing_output_is_an_error_naming_it_exit_2(tmp_path: Path) -> None:
    _platform(tmp_path)
    store = StateStore(tmp_path / "state" / "fam__platform.db", project="proj").open()
    found = StackOutputs("fam__platform", store.sealed_outputs(), ())
    require(found, ("city/key.arn",))
    with pytest.raises(StackReferenceError) as caught:
        require(found, ("city/key.arn", "city/site/https.arn"))
    assert caught.value.exit_code == 2
    assert caught.value.message == "stack 'fam__platform' has no output 'city/site/https.arn'"


def test_another_project_s_stack_is_refused(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "state" / "fam__gaj.db", project="proj").open()
    with pytest.raises(StackReferenceError, match="project 'proj'"):
        read_outputs(store, "organization/other/fam__platform")


def test_a_preview_before_the_platform_exists_reads_unknowns(tmp_path: Path) -> None:
    engine = _engine(tmp_path, "fam__gaj", _reader(("city/key.arn",)))
    with pending_stacks({"fam__platform": None}):
        plan = engine.preview()
    # No error: only the stack itself to create, its outputs known after the platform's apply.
    assert [s.type for s in plan.steps] == ["pulumi:pulumi:Stack"]


# -- the commands, before any cloud is called ---------------------------------------------------
def _cli(root: Path, *args: str, monkeypatch: pytest.MonkeyPatch) -> Any:
    from typer.testing import CliRunner

    from govcloud.cli.app import app

    monkeypatch.chdir(root)
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


def test_only_on_a_stack_that_is_not_split_is_a_usage_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _stack_project(tmp_path, "")
    result = _cli(root, "plan", "--stack", "fam", "--only", "gaj", monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert "GC-USAGE --only needs a split stack, and stack 'fam' is not split" in result.output
    assert "Traceback" not in result.output


def test_only_naming_no_member_is_a_usage_error_listing_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    root = _stack_project(tmp_path, "  govcloud:split: department\n")
    result = _cli(root, "apply", "--stack", "fam", "--yes", "--only", "gaj,nosuch", monkeypatch=monkeypatch)
    assert result.exit_code == 2
    assert "--only names 'nosuch', which is no member of stack 'fam'" in result.output
    assert "members: platform, gaj, slj" in result.output


def test_state_split_of_a_stack_that_is_not_split_is_a_usage_error(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    root = _stack_project(tmp_path, "")
    result = _cli(root, "state", "split", "--stack", "fam", monkeypatch=monkeypatch)
    assert result.exit_code == 2 and "stack 'fam' is not configured split" in result.output


# -- one load per family run: the family and the secrets key handed to the workers -----------
def test_a_family_handed_to_a_worker_is_the_one_load_family_returns_until_a_file_changes(tmp_path: Path) -> None:
    import os
    import pickle

    from govcloud.program.entry import adopt_family, load_family, loaded_family

    root = _stack_project(tmp_path, "  govcloud:split: department\n")
    key, built = loaded_family(load_stack_config("fam", root))
    handed = pickle.loads(pickle.dumps(built))  # as a worker receives it
    assert handed[1] == built[1] and handed[1] is not built[1]
    adopt_family(key, handed)
    member = load_stack_config(member_stack("fam", "gaj"), root)
    assert load_family(member) is handed  # a member's config: the family's build, not a new load

    blueprint = next((root / "blueprints").rglob("*.yaml"))
    stat = blueprint.stat()
    os.utime(blueprint, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    rebuilt = load_family(member)
    assert rebuilt is not handed and rebuilt[1] == handed[1]


@pytest.fixture
def no_derived_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    from govcloud.engine import secrets

    monkeypatch.setattr(secrets, "_KEYS", {})


@pytest.mark.usefixtures("no_derived_keys")
def test_a_key_derived_once_is_handed_on_and_used_for_the_same_salt() -> None:
    from govcloud.engine import secrets
    from govcloud.engine.errors import PassphraseError
    from govcloud.engine.properties import secret

    sealed = secrets.Crypter.new(PASSPHRASE)
    state = sealed.provider_state()
    keys = secrets.derived_keys()
    assert [(p, s) for p, s, _ in keys] == [(PASSPHRASE, sealed.salt)]  # derived once, kept

    secrets._KEYS.clear()  # a fresh worker process
    secrets.adopt_keys(keys)
    opened = secrets.Crypter.from_provider_state(PASSPHRASE, state, "fam__gaj")
    assert opened.open(sealed.seal(secret("s3cret"))) == secret("s3cret")

    secrets._KEYS.clear()
    secrets.adopt_keys(((PASSPHRASE, sealed.salt, b"\0" * 32),))  # the handed key is the one used
    with pytest.raises(PassphraseError, match="incorrect passphrase"):
        secrets.Crypter.from_provider_state(PASSPHRASE, state, "fam__gaj")


def test_members_run_at_once_default_to_the_number_of_cpus() -> None:
    import os

    from govcloud.cli.plan import PARALLEL_STACKS
    from govcloud.operations.family import FamilyOptions

    assert FamilyOptions().parallel_stacks == PARALLEL_STACKS == (os.cpu_count() or 1)
