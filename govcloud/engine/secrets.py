"""Secrets at rest, in Pulumi's passphrase format, so a Pulumi CLI can open the same state.

Pulumi's `passphrase` secrets provider: a 32-byte key from PBKDF2-HMAC-SHA256 (1,000,000
iterations) over the passphrase and an 8-byte salt; each value sealed with AES-256-GCM as
`v1:<base64 nonce>:<base64 ciphertext>`. The provider's state in a deployment is
`{"salt": "v1:<base64 salt>:" + seal("pulumi")}`, which is also how a wrong passphrase is
told apart from a damaged value. tests/unit/test_engine_secrets.py checks this against the
known-answer vector of Pulumi's own passphrase tests.

`LegacyCrypter` opens the scrypt-based values of govcloud's first state format, for the
one-time migration of old state files (engine/legacy.py).
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govcloud.engine.errors import PassphraseError
from govcloud.engine.properties import SECRET_SIG, SIG_KEY, is_secret, secret

PASSPHRASE_ENV = "GOVCLOUD_PASSPHRASE"
PULUMI_PASSPHRASE_ENV = "PULUMI_CONFIG_PASSPHRASE"
PROVIDER_TYPE = "passphrase"
# A sealed value in state JSON: the secret signature plus ciphertext instead of "value".
CIPHERTEXT_KEY = "ciphertext"
_CHECK_PLAINTEXT = b"pulumi"
_PBKDF2_ITERATIONS = 1_000_000
_SALT_BYTES = 8


def resolve_passphrase(explicit: str | None, stack_default: str | None = None) -> str:
    """Explicit argument, $GOVCLOUD_PASSPHRASE, $PULUMI_CONFIG_PASSPHRASE, the sandbox default."""
    for candidate in (explicit, os.environ.get(PASSPHRASE_ENV), os.environ.get(PULUMI_PASSPHRASE_ENV),
                      stack_default):
        if candidate:
            return candidate
    raise PassphraseError(f"no passphrase for the stack's secrets: set {PASSPHRASE_ENV}")


# (passphrase, salt) → key: members of a split stack share both, so a family pays it once.
_KEYS: dict[tuple[str, bytes], bytes] = {}
_KEYS_KEPT = 64


def _derive(passphrase: str, salt: bytes) -> bytes:
    # Deliberately slow (about 0.3 s); cached so each salt is paid once per process.
    key = _KEYS.get((passphrase, salt))
    if key is None:
        key = hashlib.pbkdf2_hmac("sha256", passphrase.encode("utf-8"), salt, _PBKDF2_ITERATIONS, 32)
        if len(_KEYS) >= _KEYS_KEPT:
            _KEYS.pop(next(iter(_KEYS)))
        _KEYS[(passphrase, salt)] = key
    return key


def derived_keys() -> tuple[tuple[str, bytes, bytes], ...]:
    """(passphrase, salt, key) of every key this process derived, for its worker processes."""
    return tuple((passphrase, salt, key) for (passphrase, salt), key in _KEYS.items())


def adopt_keys(keys: tuple[tuple[str, bytes, bytes], ...]) -> None:
    """Keys the parent process derived; a wrong one fails the passphrase check like a wrong passphrase."""
    for passphrase, salt, key in keys:
        _KEYS.setdefault((passphrase, salt), key)


class _Sealer(ABC):
    """seal/open over a concrete encrypt/decrypt: the property-tree walk both formats share."""

    @abstractmethod
    def encrypt(self, plaintext: bytes) -> str:
        """One value's ciphertext in the format's own encoding."""

    @abstractmethod
    def decrypt(self, token: str) -> bytes:
        """The plaintext of `encrypt`'s output; PassphraseError when the key is wrong."""

    def seal(self, value: Any) -> Any:
        """Replace each secret wrapper by its ciphertext; everything else stays readable."""
        if is_secret(value):
            if CIPHERTEXT_KEY in value:
                return value  # already sealed (a recorded value carried over unopened)
            plaintext = json.dumps(value.get("value"), separators=(",", ":"), ensure_ascii=False)
            return {SIG_KEY: SECRET_SIG, CIPHERTEXT_KEY: self.encrypt(plaintext.encode("utf-8"))}
        if isinstance(value, dict):
            return {k: self.seal(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.seal(v) for v in value]
        return value

    def open(self, value: Any) -> Any:
        """Inverse of seal: sealed values come back as secret wrappers."""
        if isinstance(value, dict):
            if value.get(SIG_KEY) == SECRET_SIG and CIPHERTEXT_KEY in value:
                return secret(json.loads(self.decrypt(value[CIPHERTEXT_KEY])))
            return {k: self.open(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.open(v) for v in value]
        return value


@dataclass(frozen=True)
class Crypter(_Sealer):
    """Pulumi's passphrase crypter for one stack (one salt)."""

    aead: AESGCM
    salt: bytes

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> Crypter:
        return cls(AESGCM(_derive(passphrase, salt)), salt)

    @classmethod
    def new(cls, passphrase: str) -> Crypter:
        return cls.derive(passphrase, os.urandom(_SALT_BYTES))

    @classmethod
    def from_provider_state(cls, passphrase: str, state: Any, where: str) -> Crypter:
        """The crypter of a deployment's `secrets_providers.state`; checks the passphrase."""
        salt_text = state.get("salt") if isinstance(state, dict) else None
        parts = salt_text.split(":", 2) if isinstance(salt_text, str) else []
        if len(parts) != 3 or parts[0] != "v1":
            raise PassphraseError(f"{where}: the passphrase secrets provider has no valid salt")
        try:
            salt = base64.b64decode(parts[1], validate=True)
        except ValueError:
            raise PassphraseError(f"{where}: the passphrase salt is not base64") from None
        crypter = cls.derive(passphrase, salt)
        if crypter.decrypt(parts[2]) != _CHECK_PLAINTEXT:
            raise PassphraseError("incorrect passphrase: cannot decrypt the stack's secrets")
        return crypter

    def provider_state(self) -> dict[str, str]:
        """`secrets_providers.state` of a deployment sealed by this crypter."""
        salt = base64.b64encode(self.salt).decode("ascii")
        return {"salt": f"v1:{salt}:{self.encrypt(_CHECK_PLAINTEXT)}"}

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        sealed = self.aead.encrypt(nonce, plaintext, None)
        return f"v1:{base64.b64encode(nonce).decode('ascii')}:{base64.b64encode(sealed).decode('ascii')}"

    def decrypt(self, token: str) -> bytes:
        parts = token.split(":")
        if len(parts) != 3 or parts[0] != "v1":
            raise PassphraseError("a secret in the state is damaged (not a v1 ciphertext)")
        try:
            return self.aead.decrypt(base64.b64decode(parts[1]), base64.b64decode(parts[2]), None)
        except (InvalidTag, ValueError):
            raise PassphraseError("incorrect passphrase: cannot decrypt the stack's secrets") from None


# scrypt cost of the first state format.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1
_LEGACY_CHECK = b"govcloud-passphrase-check"


@dataclass(frozen=True)
class LegacyCrypter(_Sealer):
    """Opens values sealed by govcloud 0.1's SQLite state (scrypt key, base64(nonce+ct))."""

    aead: AESGCM

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> LegacyCrypter:
        kdf = Scrypt(salt=salt, length=32, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P)
        return cls(AESGCM(kdf.derive(passphrase.encode("utf-8"))))

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(12)
        return base64.b64encode(nonce + self.aead.encrypt(nonce, plaintext, None)).decode("ascii")

    def decrypt(self, token: str) -> bytes:
        raw = base64.b64decode(token)
        try:
            return self.aead.decrypt(raw[:12], raw[12:], None)
        except InvalidTag:
            raise PassphraseError("incorrect passphrase: cannot decrypt the stack's secrets") from None

    def check_token(self) -> str:
        return self.encrypt(_LEGACY_CHECK)

    def verify(self, token: str) -> None:
        if self.decrypt(token) != _LEGACY_CHECK:
            raise PassphraseError("incorrect passphrase: cannot decrypt the stack's secrets")
