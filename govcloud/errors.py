"""The one exception type the CLI turns into `file:line:col: ID message` lines."""
from __future__ import annotations

from govcloud.model.location import Location


class GovcloudError(Exception):
    """A known failure with a location, a rule id, a hint and an exit code.

    Exit code 2 is bad input or usage; 1 is a failed operation.
    """

    def __init__(
        self,
        message: str,
        *,
        rule: str = "GC-ERROR",
        location: Location | None = None,
        hint: str = "",
        exit_code: int = 2,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.rule = rule
        self.location = location
        self.hint = hint
        self.exit_code = exit_code

    def line(self) -> str:
        where = f"{self.location}: " if self.location else ""
        return f"{where}{self.rule} {self.message}"
