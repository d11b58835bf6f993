"""Secrets at rest: AES-256-GCM under a key derived by scrypt from the stack passphrase."""
from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

from govcloud.engine.errors import PassphraseError
from govcloud.engine.properties import SECRET_SIG, SIG_KEY, is_secret, secret

PASSPHRASE_ENV = "GOVCLOUD_PASSPHRASE"
# A sealed value in state JSON: the secret signature plus ciphertext instead of "value".
CIPHERTEXT_KEY = "ciphertext"
_CHECK_PLAINTEXT = b"govcloud-passphrase-check"
# scrypt cost: ~50 ms on a laptop core; paid once per run.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**14, 8, 1


def resolve_passphrase(explicit: str | None, stack_default: str | None = None) -> str:
    """Explicit argument, then $GOVCLOUD_PASSPHRASE, then the stack's documented sandbox default."""
    for candidate in (explicit, os.environ.get(PASSPHRASE_ENV), stack_default):
        if candidate:
            return candidate
    raise PassphraseError(f"no passphrase for the stack's secrets: set {PASSPHRASE_ENV}")


def new_salt() -> bytes:
    return os.urandom(16)


@dataclass(frozen=True)
class Crypter:
    """Seals and opens secret property values; one per stack and run."""

    aead: AESGCM

    @classmethod
    def derive(cls, passphrase: str, salt: bytes) -> "Crypter":
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
        return self.encrypt(_CHECK_PLAINTEXT)

    def verify(self, token: str) -> None:
        if self.decrypt(token) != _CHECK_PLAINTEXT:
            raise PassphraseError("incorrect passphrase: cannot decrypt the stack's secrets")

    def seal(self, value: Any) -> Any:
        """Replace each secret wrapper by its ciphertext; everything else stays readable."""
        if is_secret(value):
            if CIPHERTEXT_KEY in value:
                return value  # already sealed (a recorded value carried over unopened)
            plaintext = json.dumps(value.get("value"), separators=(",", ":")).encode("utf-8")
            return {SIG_KEY: SECRET_SIG, CIPHERTEXT_KEY: self.encrypt(plaintext)}
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
