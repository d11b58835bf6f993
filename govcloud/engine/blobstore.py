"""Where stack state lives: a Pulumi DIY backend, addressed by URL.

The URL is read the way the Pulumi CLI reads it: `$PULUMI_BACKEND_URL`, else `backend.url`
in the project's `Pulumi.yaml`, else govcloud's default `file://<project>/.govcloud/state`.
Two schemes, with Pulumi's meaning:

- `file://DIR` — a folder (`~` is the home folder; a relative DIR is taken from the
  project folder, so every checkout of the project means the same place);
- `s3://BUCKET[/PREFIX]?endpoint=HOST:PORT&region=R&s3ForcePathStyle=true[&disableSSL=true]`
  — an S3-compatible bucket, such as the private cloud's object storage.

A store is a flat key space of small objects (keys use `/`). Every write is atomic: a
reader sees the old object or the new one, never a torn one. A key that cannot be read is
an error that names it, never "absent".
"""
from __future__ import annotations

import contextlib
import os
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import yaml

from govcloud.errors import GovcloudError

BACKEND_URL_ENV = "PULUMI_BACKEND_URL"
DEFAULT_STATE_DIR = Path(".govcloud") / "state"


class StateAccessError(GovcloudError):
    """The state backend cannot be read or written (exit 2: nothing was changed)."""

    def __init__(self, message: str, *, hint: str = "") -> None:
        super().__init__(message, rule="GC-STATE", hint=hint, exit_code=2)


class BlobStore(ABC):
    """A backend's objects; `url` is what users wrote, `where(key)` names one object."""

    url: str

    @abstractmethod
    def read(self, key: str) -> bytes | None:
        """The object's bytes, or None when there is no such object."""

    @abstractmethod
    def write(self, key: str, data: bytes) -> None:
        """Create or replace the object atomically."""

    @abstractmethod
    def delete(self, key: str) -> None:
        """Remove the object; one that is already gone is success."""

    @abstractmethod
    def keys(self, prefix: str) -> list[str]:
        """Every key under `prefix` (a folder: ends with '/'), sorted."""

    @abstractmethod
    def where(self, key: str) -> str:
        """The object's location as a user can look it up."""

    # Whether `append` works: a local file can grow by whole lines; an S3 object cannot.
    appendable = False
    # How long a journal write waits for other steps' writes to share its request: a
    # round trip to object storage costs far more than the wait.
    batch_window = 0.0

    def append(self, key: str, data: bytes) -> None:
        """Only for stores that are `appendable`; the others take one object per entry."""
        raise StateAccessError(f"{self.where(key)}: this backend stores whole objects only",
                               hint="write one object per journal entry (StateStore does so)")

    def delete_many(self, keys: list[str]) -> None:
        for key in keys:
            self.delete(key)


@dataclass
class FileBlobStore(BlobStore):
    root: Path
    url: str = ""

    def __post_init__(self) -> None:
        self.url = self.url or f"file://{self.root}"

    def _path(self, key: str) -> Path:
        return self.root.joinpath(*key.split("/"))

    def read(self, key: str) -> bytes | None:
        path = self._path(key)
        try:
            return path.read_bytes()
        except FileNotFoundError:
            return None
        except OSError as exc:
            raise StateAccessError(f"cannot read {path}: {exc.strerror or exc}",
                                   hint="check the file's permissions and the disk") from exc

    def write(self, key: str, data: bytes) -> None:
        path = self._path(key)
        tmp = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}.tmp")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(tmp, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except OSError as exc:
            with contextlib.suppress(OSError):
                tmp.unlink()
            raise StateAccessError(f"cannot write {path}: {exc.strerror or exc}",
                                   hint="check free disk space and that the folder is writable") from exc

    def delete(self, key: str) -> None:
        try:
            self._path(key).unlink()
        except FileNotFoundError:
            pass
        except OSError as exc:
            raise StateAccessError(f"cannot delete {self._path(key)}: {exc.strerror or exc}") from exc

    def keys(self, prefix: str) -> list[str]:
        base = self._path(prefix.rstrip("/"))
        keys: list[str] = []
        try:
            for dirpath, _dirs, files in os.walk(base, onerror=_raise):
                for name in files:
                    if name.startswith(".") and name.endswith(".tmp"):
                        continue  # a write in flight (or killed): not an object yet
                    rel = Path(dirpath, name).relative_to(self.root)
                    keys.append("/".join(rel.parts))
        except OSError as exc:
            raise StateAccessError(f"cannot list {base}: {exc.strerror or exc}",
                                   hint="check the folder's permissions") from exc
        return sorted(keys)

    def where(self, key: str) -> str:
        return str(self._path(key))

    appendable = True

    def append(self, key: str, data: bytes) -> None:
        """Add `data` at the end in one write: a killed process leaves it whole or absent
        (only a power cut can tear the last line, which readers then skip)."""
        path = self._path(key)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                written = os.write(fd, data)
            finally:
                os.close(fd)
            if written != len(data):
                raise OSError(28, "short write (is the disk full?)")
        except OSError as exc:
            raise StateAccessError(f"cannot write {path}: {exc.strerror or exc}",
                                   hint="check free disk space and that the folder is writable") from exc


def _raise(exc: OSError) -> None:
    if not isinstance(exc, FileNotFoundError):
        raise exc


@dataclass
class S3BlobStore(BlobStore):
    bucket: str
    prefix: str = ""
    endpoint: str | None = None
    region: str | None = None
    path_style: bool = False
    url: str = ""
    _client: Any = field(default=None, init=False, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, init=False, repr=False)
    batch_window: float = 0.003

    def _s3(self) -> Any:
        if self._client is None:
            with self._lock:
                if self._client is None:
                    import boto3
                    from botocore.config import Config

                    config = Config(
                        retries={"mode": "standard", "max_attempts": 5},
                        max_pool_connections=32, connect_timeout=5, read_timeout=30,
                        s3={"addressing_style": "path" if self.path_style else "auto"},
                        # Small JSON objects: a checksum per request costs CPU and buys
                        # nothing over TLS/TCP's own, which S3-compatible stores vary on.
                        request_checksum_calculation="when_required",
                        response_checksum_validation="when_required",
                        parameter_validation=False,
                    )
                    from govcloud.cloud import clients

                    self._client = boto3.session.Session(**clients.session_arguments()).client(
                        "s3", region_name=self.region, endpoint_url=self.endpoint, config=config)
        return self._client

    def _key(self, key: str) -> str:
        return f"{self.prefix}{key}"

    def _fail(self, action: str, key: str, exc: Exception) -> StateAccessError:
        return StateAccessError(
            f"cannot {action} {self.where(key)}: {_describe(exc)}",
            hint="check the backend URL, the endpoint and the credentials (AWS_* variables or profile)")

    def read(self, key: str) -> bytes | None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            reply = self._s3().get_object(Bucket=self.bucket, Key=self._key(key))
            data: bytes = reply["Body"].read()
            return data
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                return None
            raise self._fail("read", key, exc) from exc
        except BotoCoreError as exc:
            raise self._fail("read", key, exc) from exc

    def write(self, key: str, data: bytes) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3().put_object(Bucket=self.bucket, Key=self._key(key), Body=data,
                                  ContentType="application/json")
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("write", key, exc) from exc

    def delete(self, key: str) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            self._s3().delete_object(Bucket=self.bucket, Key=self._key(key))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("delete", key, exc) from exc

    def keys(self, prefix: str) -> list[str]:
        from botocore.exceptions import BotoCoreError, ClientError

        keys: list[str] = []
        try:
            pages = self._s3().get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self._key(prefix))
            for page in pages:
                keys.extend(item["Key"][len(self.prefix):] for item in page.get("Contents", ()))
        except (BotoCoreError, ClientError) as exc:
            raise self._fail("list", prefix, exc) from exc
        return sorted(keys)

    def where(self, key: str) -> str:
        return f"s3://{self.bucket}/{self._key(key)}"

    def delete_many(self, keys: list[str]) -> None:
        from botocore.exceptions import BotoCoreError, ClientError

        for start in range(0, len(keys), 1000):  # the API's limit per call
            chunk = keys[start:start + 1000]
            try:
                reply = self._s3().delete_objects(
                    Bucket=self.bucket, Delete={"Objects": [{"Key": self._key(k)} for k in chunk], "Quiet": True})
            except (BotoCoreError, ClientError) as exc:
                raise self._fail("delete", chunk[0], exc) from exc
            if reply.get("Errors"):
                error = reply["Errors"][0]
                raise StateAccessError(f"cannot delete s3://{self.bucket}/{error.get('Key')}: {error.get('Message')}")


def _describe(exc: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    return str(exc)


@dataclass
class MemoryBlobStore(BlobStore):
    """A scratch store: a plan that refreshes first works on a copy of the state here."""

    objects: dict[str, bytes] = field(default_factory=dict)
    url: str = "memory://"

    def read(self, key: str) -> bytes | None:
        return self.objects.get(key)

    def write(self, key: str, data: bytes) -> None:
        self.objects[key] = bytes(data)

    def delete(self, key: str) -> None:
        self.objects.pop(key, None)

    def keys(self, prefix: str) -> list[str]:
        return sorted(k for k in self.objects if k.startswith(prefix))

    def where(self, key: str) -> str:
        return f"memory://{key}"

    appendable = True

    def append(self, key: str, data: bytes) -> None:
        self.objects[key] = self.objects.get(key, b"") + data


# -- choosing the backend -------------------------------------------------------------------
def configured_url(project_dir: str | Path) -> str | None:
    """The backend URL as the Pulumi CLI would find it; None means govcloud's default."""
    from_env = os.environ.get(BACKEND_URL_ENV, "").strip()
    if from_env:
        return from_env
    path = Path(project_dir) / "Pulumi.yaml"
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) if path.is_file() else None
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        raise StateAccessError(f"{path}: cannot read the project file: {exc}") from exc
    backend = data.get("backend") if isinstance(data, dict) else None
    url = backend.get("url") if isinstance(backend, dict) else None
    return str(url).strip() if url else None


def default_url(project_dir: str | Path) -> str:
    return f"file://{(Path(project_dir) / DEFAULT_STATE_DIR).resolve()}"


def open_store(url: str | None, project_dir: str | Path = ".") -> BlobStore:
    """The store a backend URL names (None: the default under the project folder)."""
    url = url or default_url(project_dir)
    if url.startswith("file://"):
        raw = url[len("file://"):]
        if not raw:
            raise StateAccessError(f"backend URL {url!r} names no folder",
                                   hint="write file://DIR, e.g. file://~/.pulumi-state")
        path = Path(raw).expanduser()
        if not path.is_absolute():
            path = Path(project_dir).resolve() / path
        return FileBlobStore(path, url=url)
    if url.startswith("s3://"):
        return _s3_store(url)
    scheme = url.split("://", 1)[0] if "://" in url else url
    raise StateAccessError(
        f"unsupported state backend {scheme!r} in {url!r}",
        hint="use file://DIR or s3://BUCKET?endpoint=HOST:PORT&region=R&s3ForcePathStyle=true")


_S3_PARAMS = {"endpoint", "region", "s3ForcePathStyle", "disableSSL", "profile", "awssdk"}


def _s3_store(url: str) -> S3BlobStore:
    parts = urlsplit(url)
    if not parts.netloc:
        raise StateAccessError(f"backend URL {url!r} names no bucket",
                               hint="write s3://BUCKET?endpoint=HOST:PORT&region=R")
    query = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
    unknown = sorted(set(query) - _S3_PARAMS)
    if unknown:
        raise StateAccessError(f"backend URL {url!r}: unknown parameter {unknown[0]!r}",
                               hint="known: " + ", ".join(sorted(_S3_PARAMS)))
    endpoint = query.get("endpoint") or None
    if endpoint and "://" not in endpoint:
        scheme = "http" if query.get("disableSSL", "").lower() == "true" else "https"
        endpoint = f"{scheme}://{endpoint}"
    prefix = parts.path.strip("/")
    return S3BlobStore(
        bucket=parts.netloc, prefix=f"{prefix}/" if prefix else "", endpoint=endpoint,
        region=query.get("region") or os.environ.get("AWS_REGION") or os.environ.get("AWS_DEFAULT_REGION"),
        path_style=query.get("s3ForcePathStyle", "").lower() == "true", url=url,
    )
