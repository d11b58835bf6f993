"""State at rest: secrets sealed, passphrase checked, version and history, refresh, destroy."""
from __future__ import annotations

import json
from pathlib import Path

import pulumi
import pytest

from govcloud.engine import PassphraseError, StateStore
from govcloud.engine.secrets import resolve_passphrase
from tests.engine_support.harness import Rig
from tests.engine_support.programs import Tree
from tests.engine_support.providers import Thing

SECRET = "s3cr3t-Pa55w0rd-xyzzy"


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def secret_program(rig: Rig) -> None:
    db = Thing("db", {"password": pulumi.Output.secret(SECRET), "size": 1}, rig.cloud_path)
    pulumi.export("password", db.password)  # type: ignore[attr-defined]
    pulumi.export("plain", "visible")


def db_bytes(rig: Rig) -> bytes:
    """Every byte the backend holds: checkpoint, history, any journal."""
    return b"".join(p.read_bytes() for p in sorted(rig.state_path.parent.rglob("*")) if p.is_file())


def test_secrets_are_encrypted_at_rest_and_masked_in_results(rig: Rig) -> None:
    result = rig.engine(lambda: secret_program(rig)).up()
    assert result.ok, result.error
    assert result.outputs == {"password": "[secret]", "plain": "visible"}
    assert SECRET not in result.to_json()
    assert SECRET.encode() not in db_bytes(rig)
    assert b"visible" in db_bytes(rig)
    # The provider saw the plain value; the state gives it back as a secret.
    stored = next(r for r in rig.state().resources().values() if r.custom)
    assert stored.inputs["password"]["value"] == SECRET
    assert stored.outputs["password"]["value"] == SECRET
    assert rig.engine(lambda: secret_program(rig)).up().summary.changes == 0


def test_wrong_passphrase_is_one_clear_line(rig: Rig) -> None:
    rig.engine(lambda: secret_program(rig)).up()
    with pytest.raises(PassphraseError) as err:
        rig.engine(lambda: secret_program(rig), passphrase="wrong").up()
    assert err.value.line() == "GC-ENGINE-SECRETS incorrect passphrase: cannot decrypt the stack's secrets"


def test_passphrase_resolution(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GOVCLOUD_PASSPHRASE", raising=False)
    assert resolve_passphrase(None, "sandbox-default") == "sandbox-default"
    monkeypatch.setenv("GOVCLOUD_PASSPHRASE", "from-env")
    assert resolve_passphrase(None, "sandbox-default") == "from-env"
    assert resolve_passphrase("explicit") == "explicit"
    monkeypatch.delenv("GOVCLOUD_PASSPHRASE")
    with pytest.raises(PassphraseError):
        resolve_passphrase(None)


def test_state_layout_version_and_history(rig: Rig, tmp_path: Path) -> None:
    store = StateStore.for_stack(tmp_path, "prod")
    stacks = tmp_path.resolve() / ".govcloud" / "state" / ".pulumi" / "stacks"
    assert store.path == str(stacks / "govcloud" / "prod.json")
    program = Tree(rig.cloud_path, count=2)
    rig.engine(program).up()
    v1 = rig.state().version
    program.size = 5
    rig.engine(program).up()
    store = rig.state()
    assert store.version == v1 + 1 == 2
    history = store.history()
    assert [h.kind for h in history] == ["update", "update"]
    assert history[1].changes["update"] == 2 and history[1].result == "succeeded"
    root = rig.state_path.parent
    checkpoint = json.loads((root / ".pulumi" / "stacks" / "govcloud" / "dev.json").read_text())
    assert checkpoint["version"] == 3
    t1 = next(r for r in checkpoint["deployment"]["resources"] if r["urn"].endswith("::t1"))
    assert any(d.endswith("::t0") for d in t1["dependencies"]) and t1["parent"].endswith("::proj-dev")
    assert (root / ".pulumi" / "meta.yaml").read_text() == "version: 1\n"
    # The run's journal was folded into the checkpoint and removed.
    assert not list((root / ".pulumi").glob("govcloud-journal/*/*/*"))
    assert len(list((root / ".pulumi" / "history" / "govcloud" / "dev").glob("*.checkpoint.json"))) == 2


def test_refresh_records_drift_and_forgets_gone_resources(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=3)
    rig.engine(program).up()
    ids = {name: id_ for id_, _, name in rig.cloud.objects()}
    rig.cloud.tamper(ids["t1"], size=99)
    rig.cloud.vanish(ids["t2"])
    drift = rig.engine(program).refresh()
    assert drift.drifted and drift.unchanged == 1
    assert [g.rsplit("::", 1)[1] for g in drift.gone] == ["t2"]
    (entry,) = drift.changed
    assert entry.urn.endswith("::t1") and [(d.path, d.old, d.new) for d in entry.diffs] == [("size", 1, 99)]
    assert ids["t2"] not in rig.state_ids()
    # The next apply recreates what is gone and puts the drifted value back.
    result = rig.engine(program).up()
    assert result.summary.create == 1 and result.summary.update == 1
    assert rig.cloud.get(ids["t1"])["size"] == 1  # type: ignore[index]
    assert not rig.engine(program).refresh().drifted


def test_destroy_deletes_everything_in_reverse_order(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=5)
    rig.engine(program).up()
    result = rig.engine(program).destroy()
    assert result.ok and result.summary.delete == 6  # five things and the stack
    assert rig.cloud.objects() == [] and rig.state().resources() == {}
    order = [w[2] for w in rig.cloud.writes("delete")]
    assert order.index("t4") < order.index("t1") < order.index("t0")
    assert result.outputs == {}


def test_destroy_honours_retain_on_delete(rig: Rig) -> None:
    def program() -> None:
        Thing("kept", {}, rig.cloud_path, pulumi.ResourceOptions(retain_on_delete=True))
        Thing("gone", {}, rig.cloud_path)

    rig.engine(program).up()
    assert rig.engine(program).destroy().ok
    assert [n for _, _, n in rig.cloud.objects()] == ["kept"]
    assert rig.state().resources() == {}


def test_refresh_forgets_what_is_gone_only_when_confirmed(rig: Rig) -> None:
    program = Tree(rig.cloud_path, count=3)
    rig.engine(program).up()
    ids = {name: id_ for id_, _, name in rig.cloud.objects()}
    rig.cloud.vanish(ids["t2"])
    asked: list[tuple[str, ...]] = []
    kept = rig.engine(program).refresh(confirm_forget=lambda gone: asked.append(gone) or False)
    assert [g.rsplit("::", 1)[1] for g in asked[0]] == ["t2"] and ids["t2"] in rig.state_ids()
    assert any("kept 1 resource" in w for w in kept.warnings)
    rig.engine(program).refresh(confirm_forget=lambda gone: True)
    assert ids["t2"] not in rig.state_ids()
