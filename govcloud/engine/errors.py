"""Engine failures: one-line messages the CLI prints as they are."""
from __future__ import annotations

from govcloud.errors import GovcloudError


class EngineError(GovcloudError):
    """A failed operation (exit code 1) with a stable rule id."""

    def __init__(self, message: str, *, rule: str = "GC-ENGINE", hint: str = "") -> None:
        super().__init__(message, rule=rule, hint=hint, exit_code=1)


class LockedError(EngineError):
    def __init__(self, message: str) -> None:
        super().__init__(message, rule="GC-ENGINE-LOCK",
                         hint="wait for it to finish (--lock-wait SECONDS); if its holder is gone, "
                              "`govcloud state unlock --stack STACK`")


class PassphraseError(EngineError):
    def __init__(self, message: str) -> None:
        super().__init__(message, rule="GC-ENGINE-SECRETS", hint="set GOVCLOUD_PASSPHRASE")


class ProtectedError(EngineError):
    def __init__(self, message: str) -> None:
        super().__init__(
            message,
            rule="GC-ENGINE-PROTECT",
            hint="set protect=False, run apply, then delete or replace",
        )
