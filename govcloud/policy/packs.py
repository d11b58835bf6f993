"""Reading a policy folder: packs (`policies/*.yaml`) and policy data (`policies/data/*.yaml`).

Every problem is a located GC-POLICY finding rather than an exception, so a reviewer sees
all mistakes of a pack at once.
"""
from __future__ import annotations

import difflib
import os
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from govcloud.errors import GovcloudError
from govcloud.load.discover import BLUEPRINT_SUFFIXES
from govcloud.model import Document, Finding, Severity
from govcloud.policy.checks import EVALUATE, checks
from govcloud.policy.inputs import package_schema, problem, read_documents, schema_problems
from govcloud.policy.rule import BUILTIN, DECLARATIVE, Citation, Rule
from govcloud.policy.template import TemplateError, namespaces_in, references

WAIVERS_FILE = "waivers.yaml"
DATA_DIR = "data"


@dataclass(frozen=True)
class PolicySet:
    """The rules of a policy folder, its data, and what is wrong with them."""

    directory: str
    rules: tuple[Rule, ...]
    data: Mapping[str, Any]
    problems: tuple[Finding, ...] = ()

    def rule(self, rule_id: str) -> Rule | None:
        return next((r for r in self.rules if r.id == rule_id), None)

    def by_check(self, name: str) -> Rule | None:
        return next((r for r in self.rules if r.check == name), None)

    @property
    def ids(self) -> frozenset[str]:
        return frozenset(r.id for r in self.rules)


def _files(directory: str, skip: tuple[str, ...] = ()) -> list[str]:
    if not os.path.isdir(directory):
        return []
    return [os.path.join(directory, f) for f in sorted(os.listdir(directory))
            if f.endswith(BLUEPRINT_SUFFIXES) and f not in skip and os.path.isfile(os.path.join(directory, f))]


def _rule(doc: Document, index: int, raw: dict[str, Any], pack: str) -> Rule:
    builtin = "check" in raw
    return Rule(
        id=raw["id"],
        severity=Severity(raw["severity"]),
        title=raw["title"],
        basis=raw.get("basis", ""),
        hint=raw.get("hint", ""),
        rationale=raw.get("rationale", ""),
        pack=pack,
        location=doc.location_of(("rules", index)),
        kind=BUILTIN if builtin else DECLARATIVE,
        resource=raw.get("resource", "system"),
        select=raw.get("select", {}),
        exempt=raw.get("exempt", {}),
        require=raw.get("require", True),
        each=raw.get("each"),
        message=raw.get("message", ""),
        messages=raw.get("messages", {}),
        check=raw.get("check"),
        params=raw.get("params", {}),
        examples=raw.get("examples", {}),
        help_uri=raw.get("helpUri"),
        citations=tuple(Citation(c["source"], c["clause"], c["quote"]) for c in raw.get("citations", ())),
        policy=raw.get("policy", ""),
        title_zh=raw.get("titleZh", ""),
    )


def _with_sources(rule: Rule, sources: Mapping[str, Any]) -> tuple[Rule, list[Finding]]:
    """The rule with its citations' document titles filled in and, when it has none of its own,
    its basis written out from its citations and policy; unknown sources are problems."""
    problems = []
    citations = []
    for c in rule.citations:
        source = sources.get(c.source)
        if source is None:
            problems.append(problem(f"{rule.id}: citation of unknown source '{c.source}'", rule.location,
                                    "sources are listed in policies/data/sources.yaml"))
        citations.append(replace(c, title=source["short"] if source else c.source))
    basis = rule.basis or "；".join([c.text() for c in citations] + ([rule.policy] if rule.policy else []))
    return replace(rule, citations=tuple(citations), basis=basis), problems


def subdocument(doc: Document, prefix: tuple[str | int, ...], data: Any) -> Document:
    """The part of `doc` under `prefix` as a document of its own, keeping its locations."""
    n = len(prefix)
    return Document(doc.file, doc.index, data,
                    {p[n:]: v for p, v in doc.values.items() if p[:n] == prefix},
                    {p[n:]: v for p, v in doc.keys.items() if p[:n] == prefix})


def _rule_problems(doc: Document, index: int, raw: dict[str, Any]) -> list[Finding]:
    """What the pack schema cannot see: unknown checks, bad params, malformed references."""
    here = ("rules", index)
    out = []
    if "check" in raw:
        check = checks.get(raw["check"])
        if check is None:
            close = difflib.get_close_matches(raw["check"], checks.names(), n=1)
            out.append(problem(f"unknown built-in check '{raw['check']}'", doc.location_of(here + ("check",)),
                               f"did you mean '{close[0]}'?" if close else "known: " + ", ".join(checks.names())))
        elif not namespaces_in(raw.get("params", {})):
            params = subdocument(doc, here + ("params",), raw.get("params", {}))
            for f in schema_problems(params, check.params):
                out.append(problem(f"params: {f.message}", f.location, f.hint))
        return out
    for key in ("select", "exempt", "require", "each"):
        try:
            namespaces_in(raw.get(key))
        except TemplateError as exc:
            out.append(problem(str(exc), doc.location_of(here + (key,))))
    texts: list[tuple[tuple[str, ...], str]] = [(("message",), raw.get("message", ""))]
    texts += [(("messages", k), v) for k, v in raw.get("messages", {}).items()]
    for path, text in texts:
        try:
            references(text)
        except TemplateError as exc:
            out.append(problem(str(exc), doc.location_of(here + path)))
    return out


def _read_pack(path: str) -> tuple[list[Rule], list[Finding]]:
    documents, problems = read_documents(path)
    rules: list[Rule] = []
    for doc in documents:
        data = doc.data
        if isinstance(data, dict) and data.get("kind") not in (None, "PolicyPack"):
            problems.append(problem(f"a policy folder holds PolicyPack documents, not {data.get('kind')!r}",
                                    doc.location_of(("kind",)),
                                    "move other YAML out of the policy folder (data goes in policies/data/)"))
            continue
        found = schema_problems(doc, package_schema("pack"))
        if found:
            problems.extend(found)
            continue
        name = data["metadata"]["name"]
        for i, raw in enumerate(data["rules"]):
            rule_problems = _rule_problems(doc, i, raw)
            problems.extend(rule_problems)
            if not rule_problems:
                rules.append(_rule(doc, i, raw, name))
    return rules, problems


def _read_data(directory: str) -> tuple[dict[str, Any], list[Finding]]:
    data: dict[str, Any] = {}
    problems: list[Finding] = []
    shapes = package_schema("data")["$defs"]
    for path in _files(os.path.join(directory, DATA_DIR)):
        stem = os.path.splitext(os.path.basename(path))[0]
        documents, found = read_documents(path)
        problems.extend(found)
        if not documents:
            continue
        doc = documents[0]
        if stem in shapes:
            errors = schema_problems(doc, shapes[stem])
            problems.extend(errors)
            if errors:
                continue
        data[stem] = doc.data
    return data, problems


_cache: dict[tuple[Any, ...], PolicySet] = {}


def _fingerprint(folder: str) -> tuple[Any, ...]:
    """What a policy folder's content depends on: its files, their sizes and change times."""
    files = _files(folder) + _files(os.path.join(folder, DATA_DIR))
    stats = [(f, os.stat(f)) for f in files]
    return (folder, os.path.abspath(folder), tuple((f, s.st_mtime_ns, s.st_size) for f, s in stats))


def load_policies(directory: str | os.PathLike[str]) -> PolicySet:
    """Every pack and data file of a policy folder; problems are GC-POLICY findings.

    The result is immutable, so a folder that has not changed is read once per process
    (a report runs the check as well; a test suite checks hundreds of small cities).
    """
    folder = os.fspath(directory)
    if not os.path.isdir(folder):
        raise GovcloudError(f"no policy folder at {folder}", rule="GC-USAGE",
                            hint="give --policies DIR (a folder of policy packs, like the project's policies/)")
    key = _fingerprint(folder)
    if key not in _cache:
        if len(_cache) > 32:
            _cache.clear()
        _cache[key] = _load(folder)
    return _cache[key]


def _load(folder: str) -> PolicySet:
    rules: list[Rule] = []
    problems: list[Finding] = []
    for path in _files(folder, skip=(WAIVERS_FILE, "waivers.yml")):
        found_rules, found = _read_pack(path)
        rules.extend(found_rules)
        problems.extend(found)
    seen: dict[str, Rule] = {}
    unique: list[Rule] = []
    for rule in rules:
        first = seen.get(rule.id)
        if first is not None:
            problems.append(problem(f"rule id {rule.id} is already defined at {first.location}", rule.location,
                                    "rule ids are unique across the packs of a folder"))
            continue
        seen[rule.id] = rule
        unique.append(rule)
    if not unique and not problems:
        problems.append(problem(f"no policy pack in {folder}", None,
                                "a pack is a YAML file with kind: PolicyPack (see policies/README.md)"))
    data, data_problems = _read_data(folder)
    problems.extend(data_problems)
    sources = {s["id"]: s for s in (data.get("sources") or {}).get("sources", ())}
    finished = []
    for rule in unique:
        done, found = _with_sources(rule, sources)
        finished.append(done)
        problems.extend(found)
    policies = PolicySet(folder, tuple(sorted(finished, key=lambda r: r.id)), data)
    if not problems:  # each rule's examples must show it working (see selfcheck)
        from govcloud.policy.selfcheck import example_problems

        files = _files(folder, skip=(WAIVERS_FILE, "waivers.yml")) + _files(os.path.join(folder, DATA_DIR))
        problems.extend(example_problems(policies, files))
    problems.sort(key=Finding.sort_key)
    return replace(policies, problems=tuple(problems))


def evaluated(policies: PolicySet) -> tuple[Rule, ...]:
    """The rules that run during evaluation: declarative ones and built-ins of that stage."""
    out = []
    for rule in policies.rules:
        if rule.kind == DECLARATIVE:
            out.append(rule)
        else:
            check = checks.get(rule.check or "")
            if check is not None and check.stage == EVALUATE:
                out.append(rule)
    return tuple(out)
