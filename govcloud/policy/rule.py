"""A rule of a policy pack, as written by a reviewer (nothing bound or compiled yet)."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from govcloud.model import Department, Finding, Location, Severity, System

DECLARATIVE = "declarative"
BUILTIN = "builtin"
RESOURCES = ("system", "department", "city")


@dataclass(frozen=True)
class Citation:
    """An exact quotation of a document (`source` is an id of policies/data/sources.yaml)."""

    source: str
    clause: str
    quote: str
    title: str = ""     # the document's short title, filled in from the sources when known

    def text(self) -> str:
        return f"{self.title or self.source} {self.clause}：“{self.quote}”"


@dataclass(frozen=True)
class Rule:
    """One catalogue entry: metadata every finding carries, and how it is evaluated.

    A declarative rule selects objects (`resource` + `select`/`exempt` schemas) and
    `require`s a JSON Schema of each; a built-in rule names a registered `check` and
    passes it `params`.
    """

    id: str
    severity: Severity
    title: str
    basis: str
    hint: str = ""
    rationale: str = ""
    pack: str = ""
    location: Location | None = None
    kind: str = DECLARATIVE
    resource: str = "system"
    select: dict[str, Any] = field(default_factory=dict, compare=False)
    exempt: dict[str, Any] = field(default_factory=dict, compare=False)
    require: Any = field(default=True, compare=False)
    each: Any = field(default=None, compare=False)
    message: str = ""
    messages: dict[str, str] = field(default_factory=dict, compare=False)
    check: str | None = None
    params: dict[str, Any] = field(default_factory=dict, compare=False)
    examples: dict[str, str] = field(default_factory=dict, compare=False)
    help_uri: str | None = None
    citations: tuple[Citation, ...] = field(default=(), compare=False)
    policy: str = ""    # what the city decides on its own, where no document says it
    title_zh: str = ""  # the title in Chinese (`titleZh`), shown beside the English one

    @property
    def titles(self) -> str:
        """The English title, and the Chinese one after it when the pack gives one."""
        return f"{self.title} {self.title_zh}" if self.title_zh else self.title

    def finding(
        self,
        message: str,
        location: Location | None,
        department: Department | str | None = None,
        system: System | str | None = None,
        hint: str | None = None,
    ) -> Finding:
        """A finding of this rule with its severity, basis and hint filled in."""
        dept = department.code if isinstance(department, Department) else department
        sys_name = system.name if isinstance(system, System) else system
        return Finding(self.id, self.severity, message, location, dept, sys_name,
                       basis=self.basis, hint=self.hint if hint is None else hint)

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {
            "id": self.id, "severity": self.severity.value, "title": self.title, "titleZh": self.title_zh,
            "basis": self.basis,
            "hint": self.hint, "rationale": self.rationale, "pack": self.pack, "kind": self.kind,
            "citations": [{"source": c.source, "clause": c.clause, "quote": c.quote} for c in self.citations],
            "policy": self.policy,
        }
        if self.kind == BUILTIN:
            out |= {"check": self.check, "params": self.params}
        else:
            out |= {"resource": self.resource}
        return out
