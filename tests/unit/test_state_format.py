"""State in Pulumi's formats: the deployment schema, passphrase secrets, DIY layout, journal.

Everything here runs against the file:// backend in a temp folder and the engine's fake
cloud (tests/engine_support); the s3:// backend is exercised on the sandbox in
tests/integration/test_state_team.py.
"""
from __future__ import annotations

import base64
import hashlib
import json
import sqlite3
from pathlib import Path
from typing import Any

import pulumi
import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from jsonschema import Draft202012Validator
from referencing import Registry, Resource

from govcloud.engine import PassphraseError, StateStore
from govcloud.engine.blobstore import (
    FileBlobStore,
    S3BlobStore,
    StateAccessError,
    configured_url,
    open_store,
)
from govcloud.engine.checkpoint import StateCorruptError
from govcloud.engine.properties import SECRET_SIG, SIG_KEY, secret
from govcloud.engine.records import ResourceState
from govcloud.engine.secrets import Crypter, LegacyCrypter
from tests.engine_support.harness import PASSPHRASE, Rig
from tests.engine_support.programs import Tree
from tests.engine_support.providers import Thing

SCHEMAS = Path(__file__).resolve().parents[1] / "data" / "pulumi"
# From Pulumi's own passphrase tests (pkg/secrets/passphrase/manager_test.go): this salt
# state belongs to the passphrase "password".
PULUMI_VECTOR = "v1:fozI5u6B030=:v1:F+6ZduKKd8G0/V7L:PGMFeIzwobWRKmEAzUdaQHqC5mMRIQ=="


def deployment_validator() -> Draft202012Validator:
    docs = {name: json.loads((SCHEMAS / name).read_text()) for name in
            ("deployments.json", "resources.json", "property-values.json")}
    registry: Registry[Any] = Registry().with_resources(
        (doc["$id"], Resource.from_contents(doc)) for doc in docs.values())
    return Draft202012Validator(docs["deployments.json"], registry=registry)


def assert_valid_deployment(doc: dict[str, Any]) -> None:
    errors = sorted(deployment_validator().iter_errors(doc), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message[:200]}" for e in errors[:5]]


@pytest.fixture
def rig(tmp_path: Path) -> Rig:
    return Rig(tmp_path)


def secret_program(rig: Rig) -> None:
    db = Thing("db", {"password": pulumi.Output.secret("hunter2-xyzzy"), "size": 1}, rig.cloud_path)
    Thing("child", {"size": 2}, rig.cloud_path, pulumi.ResourceOptions(depends_on=[db]))
    pulumi.export("password", db.password)  # type: ignore[attr-defined]


# -- the deployment format ---------------------------------------------------------------
def test_exported_state_is_a_pulumi_v3_deployment_by_the_published_schema(rig: Rig) -> None:
    assert rig.engine(lambda: secret_program(rig)).up().ok
    doc = rig.state().deployment()
    assert_valid_deployment(doc)
    body = doc["deployment"]
    assert doc["version"] == 3 and body["secrets_providers"]["type"] == "passphrase"
    stack = body["resources"][0]
    assert stack["type"] == "pulumi:pulumi:Stack" and stack["outputs"]["password"][SIG_KEY] == SECRET_SIG
    db = next(r for r in body["resources"] if r["urn"].endswith("::db"))
    assert db["inputs"]["password"]["ciphertext"].startswith("v1:")
    assert "hunter2" not in json.dumps(doc)
    urns = [r["urn"] for r in body["resources"]]
    child = next(r for r in body["resources"] if r["urn"].endswith("::child"))
    assert all(urns.index(dep) < urns.index(child["urn"]) for dep in child["dependencies"])


def test_the_schema_check_is_not_vacuous() -> None:
    bad = {"version": 3, "deployment": {"manifest": {"time": "t", "magic": "m", "version": "v"},
                                        "resources": [{"urn": "u", "retainsOnDelete": True}]}}
    assert list(deployment_validator().iter_errors(bad))


def test_pulumi_passphrase_known_answer_vector() -> None:
    crypter = Crypter.from_provider_state("password", {"salt": PULUMI_VECTOR}, "vector")
    assert crypter.salt == base64.b64decode("fozI5u6B030=")
    with pytest.raises(PassphraseError, match="incorrect passphrase"):
        Crypter.from_provider_state("password123", {"salt": PULUMI_VECTOR}, "vector")


def test_sealed_values_open_with_pulumis_algorithm_written_independently() -> None:
    crypter = Crypter.new("correct horse")
    sealed = crypter.seal(secret({"user": "admin", "pw": "秘密"}))
    version, nonce, body = sealed["ciphertext"].split(":")
    key = hashlib.pbkdf2_hmac("sha256", b"correct horse", crypter.salt, 1_000_000, 32)
    plain = AESGCM(key).decrypt(base64.b64decode(nonce), base64.b64decode(body), None)
    assert version == "v1" and json.loads(plain) == {"user": "admin", "pw": "秘密"}
    assert crypter.open(sealed) == secret({"user": "admin", "pw": "秘密"})
    state = crypter.provider_state()["salt"].split(":")
    assert state[0] == "v1" and base64.b64decode(state[1]) == crypter.salt


def test_layout_is_pulumis_diy_project_mode(rig: Rig) -> None:
    assert rig.engine(Tree(rig.cloud_path, count=2)).up().ok
    root = rig.state_path.parent
    files = sorted(str(p.relative_to(root)) for p in root.rglob("*") if p.is_file())
    assert ".pulumi/meta.yaml" in files and ".pulumi/stacks/govcloud/dev.json" in files
    assert any(f.startswith(".pulumi/history/govcloud/dev/dev-") and f.endswith(".history.json") for f in files)
    assert not any(f.startswith(".pulumi/locks/") for f in files)  # released
    assert not any("journal" in f for f in files)  # folded


# -- the journal ------------------------------------------------------------------------
def _thing(n: int) -> ResourceState:
    return ResourceState(urn=f"urn:pulumi:dev::govcloud::t:T::r{n}", type="t:T", parent="", custom=True,
                         id=f"id-{n}", inputs={"n": n, "pw": secret(f"pw-{n}")}, outputs={"n": n}, seq=n)


def test_each_step_is_one_small_journal_entry_and_the_checkpoint_waits_for_the_fold(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "dev.db")
    store.unlock(PASSPHRASE)
    blobs = store.blobs
    for n in range(200):
        store.put(_thing(n))
        store.flush()  # as the start of the next provider call would
    prefix = store.journal_prefix
    assert blobs.keys(prefix) == [prefix + "entries.jsonl", prefix + "manifest.json"]
    lines = (blobs.read(store.journal_prefix + "entries.jsonl") or b"").splitlines()
    assert len(lines) == 200 and blobs.read(store.checkpoint_key) is None
    # An entry is as big as its step, not as the state: no quadratic rewrite.
    sizes = [len(line) for line in lines]
    assert max(sizes) < 2 * min(sizes) and max(sizes) < 2_000
    # A new process (a killed run's successor) sees every step from the journal.
    again = StateStore(tmp_path / "dev.db")
    again.unlock(PASSPHRASE)
    assert len(again.resources()) == 200 and again.resources()[_thing(7).urn].inputs["pw"] == secret("pw-7")
    assert again.checkpoint()
    assert blobs.keys(store.journal_prefix) == []
    third = StateStore(tmp_path / "dev.db")
    third.unlock(PASSPHRASE)
    assert len(third.resources()) == 200


def test_a_last_journal_line_torn_by_a_power_cut_is_skipped_others_are_errors(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "dev.db")
    store.unlock(PASSPHRASE)
    store.put(_thing(1))
    store.flush()
    store.put(_thing(2))
    store.flush()
    key = store.journal_prefix + "entries.jsonl"
    whole = store.blobs.read(key) or b""
    store.blobs.write(key, whole[:-40])  # the second line lost its end
    torn = StateStore(tmp_path / "dev.db")
    torn.unlock(PASSPHRASE)
    assert set(torn.resources()) == {_thing(1).urn}
    store.blobs.write(key, b"{not json}\n" + whole)
    with pytest.raises(StateCorruptError, match=r"entries.jsonl:1: .*journal entry"):
        StateStore(tmp_path / "dev.db").open()


def test_the_s3_layout_writes_one_object_per_entry(tmp_path: Path) -> None:
    from govcloud.engine.blobstore import MemoryBlobStore

    class WholeObjects(MemoryBlobStore):
        appendable = False

    store = StateStore(WholeObjects(), stack="dev")
    store.unlock(PASSPHRASE)
    for n in range(3):
        store.put(_thing(n))
        store.flush()
    keys = store.blobs.keys(store.journal_prefix)
    assert [k.rsplit("/", 1)[1] for k in keys] == ["0000000001.json", "0000000002.json", "0000000003.json",
                                                    "manifest.json"]
    again = StateStore(store.blobs, stack="dev")
    again.unlock(PASSPHRASE)
    assert len(again.resources()) == 3
    again.checkpoint()
    assert store.blobs.keys(store.journal_prefix) == []


def test_entries_left_after_a_completed_fold_are_stale_and_ignored(tmp_path: Path) -> None:
    store = StateStore(tmp_path / "dev.db")
    store.unlock(PASSPHRASE)
    store.put(_thing(1))
    store.flush()
    stale = {k: store.blobs.read(k) for k in store.blobs.keys(store.journal_prefix)}
    store.checkpoint()
    store.put(_thing(2))
    store.remove(_thing(2).urn)
    store.checkpoint()
    for key, data in stale.items():  # as if the fold had died before removing them
        store.blobs.write(key, data or b"")
    again = StateStore(tmp_path / "dev.db")
    again.unlock(PASSPHRASE)
    assert set(again.resources()) == {_thing(1).urn}
    again.put(_thing(3))  # the next run clears the stale entries before writing its own
    assert again.resources().keys() == {_thing(1).urn, _thing(3).urn}


# -- never a silent empty world -----------------------------------------------------------
@pytest.mark.parametrize("damage", ["truncated", "garbage", "version", "not-utf8"])
def test_a_damaged_checkpoint_is_an_error_naming_it_never_an_empty_stack(rig: Rig, damage: str) -> None:
    assert rig.engine(Tree(rig.cloud_path, count=2)).up().ok
    path = rig.state_path.parent / ".pulumi" / "stacks" / "govcloud" / "dev.json"
    data = path.read_bytes()
    path.write_bytes({"truncated": data[: len(data) // 2], "garbage": b"\x00" * 64,
                      "version": data.replace(b'"version": 3', b'"version": 2', 1),
                      "not-utf8": b"\xff\xfe" + data}[damage])
    before = path.read_bytes()
    with pytest.raises(StateCorruptError) as err:
        rig.engine(Tree(rig.cloud_path, count=2)).up()
    assert str(path) in err.value.line() and "damaged" in err.value.line()
    assert ("version 3" if damage == "version" else "state history") in err.value.hint
    assert err.value.exit_code == 2
    assert path.read_bytes() == before and len(rig.cloud.objects()) == 2


def test_a_lost_checkpoint_with_history_is_an_error(rig: Rig) -> None:
    assert rig.engine(Tree(rig.cloud_path, count=2)).up().ok
    (rig.state_path.parent / ".pulumi" / "stacks" / "govcloud" / "dev.json").unlink()
    with pytest.raises(StateAccessError, match="missing, but its history has 1 run"):
        rig.engine(Tree(rig.cloud_path, count=2)).preview()
    assert len(rig.cloud.objects()) == 2


def test_an_unreadable_checkpoint_is_an_error_not_absent(tmp_path: Path) -> None:
    blobs = FileBlobStore(tmp_path)
    (tmp_path / ".pulumi" / "stacks" / "govcloud" / "dev.json").mkdir(parents=True)  # EISDIR
    with pytest.raises(StateAccessError, match="cannot read"):
        StateStore(blobs, stack="dev").open()


def test_a_full_or_read_only_backend_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = StateStore(tmp_path / "dev.db")
    store.unlock(PASSPHRASE)

    def full(*_: Any, **__: Any) -> Any:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr("os.write", full)
    store.put(_thing(1))  # a finished step's record waits for the next durable write
    with pytest.raises(StateAccessError, match="No space left on device") as err:
        store.flush()
    assert "free disk space" in err.value.hint
    with pytest.raises(StateAccessError):  # the store stays failed: nothing runs on a lost journal
        store.put(_thing(2))


# -- choosing the backend ------------------------------------------------------------------
def test_backend_url_is_read_like_the_pulumi_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PULUMI_BACKEND_URL", raising=False)
    assert configured_url(tmp_path) is None
    default = open_store(None, tmp_path)
    assert isinstance(default, FileBlobStore) and default.root == (tmp_path / ".govcloud" / "state").resolve()
    (tmp_path / "Pulumi.yaml").write_text("name: govcloud\nbackend:\n  url: file://shared/state\n")
    assert configured_url(tmp_path) == "file://shared/state"
    store = open_store(configured_url(tmp_path), tmp_path)
    assert isinstance(store, FileBlobStore) and store.root == tmp_path.resolve() / "shared" / "state"
    monkeypatch.setenv("PULUMI_BACKEND_URL", "s3://city-state/govcloud?endpoint=127.0.0.1:9000"
                                             "&region=cn-north-1&s3ForcePathStyle=true&disableSSL=true")
    s3 = open_store(configured_url(tmp_path), tmp_path)
    assert isinstance(s3, S3BlobStore)
    assert (s3.bucket, s3.prefix, s3.endpoint, s3.region, s3.path_style) == (
        "city-state", "govcloud/", "http://127.0.0.1:9000", "cn-north-1", True)
    assert s3.where(".pulumi/meta.yaml") == "s3://city-state/govcloud/.pulumi/meta.yaml"


@pytest.mark.parametrize("url, message", [
    ("azblob://x", "unsupported state backend 'azblob'"),
    ("s3://?region=x", "names no bucket"),
    ("s3://b?endpont=127.0.0.1:1", "unknown parameter 'endpont'"),
    ("file://", "names no folder"),
])
def test_a_bad_backend_url_is_one_line(url: str, message: str, tmp_path: Path) -> None:
    with pytest.raises(StateAccessError, match=message) as err:
        open_store(url, tmp_path)
    assert err.value.exit_code == 2


# -- existing users' state moves with the product -------------------------------------------
_OLD_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE resources (urn TEXT PRIMARY KEY, type TEXT, parent TEXT, custom INTEGER, id TEXT,
  inputs TEXT, outputs TEXT, dependencies TEXT, protect INTEGER, retain_on_delete INTEGER,
  delete_before_replace INTEGER, dirty INTEGER DEFAULT 0, seq INTEGER, updated_at REAL);
CREATE TABLE condemned (cid INTEGER PRIMARY KEY, urn TEXT, type TEXT, parent TEXT, id TEXT,
  inputs TEXT, outputs TEXT, dependencies TEXT, retain_on_delete INTEGER, created_at REAL);
CREATE TABLE pending_ops (op_id INTEGER PRIMARY KEY, urn TEXT, type TEXT, op TEXT,
  resource_id TEXT, cid INTEGER, inputs TEXT, outputs TEXT, meta TEXT, started_at REAL, pid INTEGER);
CREATE TABLE stack_outputs (name TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def write_old_state(path: Path, passphrase: str) -> None:
    """A state file as govcloud 0.1 wrote it (SQLite, scrypt-sealed secrets, WAL mode)."""
    salt = bytes(range(16))
    old = LegacyCrypter.derive(passphrase, salt)
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.executescript(_OLD_SCHEMA)
    conn.executemany("INSERT INTO meta VALUES (?, ?)",
                     [("version", "7"), ("salt", salt.hex()), ("check", old.check_token())])
    for n in range(3):
        conn.execute("INSERT INTO resources VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?)", (
            f"urn:pulumi:dev::govcloud::t:T::r{n}", "t:T", "", 1, f"id-{n}",
            json.dumps(old.seal({"n": n})), json.dumps(old.seal({"pw": secret(f"pw-{n}")})),
            "[]", 0, 0, 0, 0, n, 0.0))
    conn.execute("INSERT INTO stack_outputs VALUES (?, ?)", ("plain", json.dumps("visible")))
    conn.commit()
    conn.close()


def test_an_old_sqlite_state_is_migrated_on_first_unlock_and_kept_aside(tmp_path: Path) -> None:
    legacy = tmp_path / ".govcloud" / "state" / "dev.db"
    legacy.parent.mkdir(parents=True)
    write_old_state(legacy, PASSPHRASE)
    store = StateStore.for_stack(tmp_path, "dev")
    assert store.open().legacy_pending == legacy
    store.unlock(PASSPHRASE)
    resources = store.resources()
    assert [r.id for r in resources.values()] == ["id-0", "id-1", "id-2"]
    assert resources["urn:pulumi:dev::govcloud::t:T::r1"].outputs["pw"] == secret("pw-1")
    assert not legacy.exists() and legacy.with_name("dev.db.migrated").exists()
    assert_valid_deployment(store.deployment())
    again = StateStore.for_stack(tmp_path, "dev").open()
    assert again.legacy_pending is None and len(again.sealed_resources()) == 3
    assert [h.kind for h in again.history()] == ["migrate"]


def test_an_old_state_with_the_wrong_passphrase_is_not_migrated(tmp_path: Path) -> None:
    legacy = tmp_path / ".govcloud" / "state" / "dev.db"
    legacy.parent.mkdir(parents=True)
    write_old_state(legacy, PASSPHRASE)
    with pytest.raises(PassphraseError):
        StateStore.for_stack(tmp_path, "dev").unlock("wrong")
    assert legacy.exists() and StateStore.for_stack(tmp_path, "dev").open().legacy_pending == legacy
