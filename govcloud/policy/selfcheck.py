"""A pack's rules prove themselves when the pack is read: each rule's `fail` example must
fire it and its `pass` example must not.

A rule whose `require` names a misspelt property matches every department and so checks
nothing; its failing example is what shows it. Judging the shipped packs' examples takes
about a second, so the verdicts are kept in the user's cache folder (`cache_dir()`, outside
the project's `.govcloud/cache/`, which `check --no-cache` leaves alone), named by the SHA-256
of the policy folder's files, the code that judges them and the day they are judged as of
(`examples.EXAMPLES_DAY`, fixed: an example's dates are written relative to it): an unchanged
folder is judged once.
"""
from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable
from datetime import date
from pathlib import Path

from govcloud.load.cache import code_digest, read_checked, write_atomic
from govcloud.model import Finding
from govcloud.policy.inputs import problem
from govcloud.policy.rule import Rule

WHICH = ("fail", "pass")


def cache_dir() -> Path:
    """Where verdicts are kept: $GOVCLOUD_CACHE_DIR, else the user's cache folder (XDG)."""
    explicit = os.environ.get("GOVCLOUD_CACHE_DIR")
    if explicit:
        return Path(explicit) / "examples"
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "govcloud" / "examples"


def _cache_file(files: Iterable[str], today: date) -> Path | None:
    h = hashlib.sha256(code_digest("policy", "load", "schema", "model").encode() + today.isoformat().encode())
    for path in files:
        try:
            h.update(os.path.basename(path).encode() + b"\0" + Path(path).read_bytes() + b"\0")
        except OSError:
            return None
    return cache_dir() / h.hexdigest()


def _fired(policies: object, rule: Rule, which: str, today: date, work: str) -> bool | None:
    from govcloud.load import load
    from govcloud.policy.examples import example
    from govcloud.policy.packs import PolicySet
    from govcloud.policy.runner import run
    from govcloud.policy.waivers import load_waivers

    assert isinstance(policies, PolicySet)
    ex = example(rule, which)
    import tempfile  # only when examples are judged (not when their verdicts are kept)

    folder = tempfile.mkdtemp(prefix=f"{rule.id}-{which}-", dir=work)
    for name, text in ex.blueprints.items():
        target = os.path.join(folder, "blueprints", name)
        os.makedirs(os.path.dirname(target), exist_ok=True)
        with open(target, "w", encoding="utf-8") as fh:
            fh.write(text)
    waivers_file = None
    if ex.waivers is not None:
        waivers_file = os.path.join(folder, "waivers.yaml")
        with open(waivers_file, "w", encoding="utf-8") as fh:
            fh.write(ex.waivers)
    loaded = load([os.path.join(folder, "blueprints")])
    result = run(loaded, policies, load_waivers(waivers_file, policies), today)
    if any(f.rule == "GC-POLICY" for f in result.findings):
        return None  # the rule does not bind (e.g. an unsafe pattern): the check reports that itself
    return any(f.rule == rule.id and not f.waived for f in result.findings)


def _behaves(policies: object, rule: Rule, which: str, today: date, work: str) -> bool:
    try:
        fired = _fired(policies, rule, which, today, work)
        return fired is None or fired is (which == "fail")
    except Exception:  # noqa: BLE001 - an example that cannot even be built does not behave
        return False


def _verdicts(policies: object, rules: Iterable[Rule], today: date) -> dict[str, list[str]]:
    """Rule id → the examples that do not behave ('fail' that does not fire, 'pass' that does)."""
    from dataclasses import replace

    from govcloud.policy.packs import PolicySet

    assert isinstance(policies, PolicySet)

    def alone(rule: Rule) -> PolicySet:
        return replace(policies, rules=(rule,))

    import tempfile

    wrong: dict[str, list[str]] = {}
    with tempfile.TemporaryDirectory(prefix="govcloud-examples-") as work:
        for rule in rules:
            for which in WHICH:
                if which not in rule.examples:
                    continue
                # The rule alone first (binding every rule for every example is most of the cost);
                # a rule that needs others (a waiver of another rule) is judged with them all.
                if _behaves(alone(rule), rule, which, today, work) or _behaves(policies, rule, which, today, work):
                    continue
                wrong.setdefault(rule.id, []).append(which)
    return wrong


def example_problems(policies: object, files: Iterable[str], today: date | None = None) -> list[Finding]:
    """GC-POLICY problems at each rule whose examples contradict it (see the module's doc).

    Examples are judged as of `EXAMPLES_DAY` (not the calendar's day, nor a check's --today):
    the dates they hold are written relative to it."""
    from govcloud.policy.examples import EXAMPLES_DAY
    from govcloud.policy.packs import PolicySet

    assert isinstance(policies, PolicySet)
    day = today or EXAMPLES_DAY
    rules = [r for r in policies.rules if r.examples]
    cache = _cache_file(files, day)
    payload = read_checked(cache) if cache is not None else None
    wrong: dict[str, list[str]] | None = None
    if payload is not None:
        try:
            wrong = {str(k): [str(x) for x in v] for k, v in json.loads(payload).items()}
        except (ValueError, AttributeError, TypeError):
            wrong = None
    if wrong is None:
        wrong = _verdicts(policies, rules, day)
        if cache is not None:
            write_atomic(cache, json.dumps(wrong, sort_keys=True).encode())
    out = []
    for rule in rules:
        for which in wrong.get(rule.id, ()):
            if which == "fail":
                message = f"{rule.id}: its failing example does not make the rule fire"
                hint = ("a misspelt property in select/require makes a rule check nothing: compare them with "
                        "`govcloud schema --kind Department`; else fix the example (or the policy data it needs)")
            else:
                message = f"{rule.id}: its passing example makes the rule fire"
                hint = ("the rule is stricter than meant, or the passing example is not compliant (after a change "
                        "of the rule's params or the policy data, update the example)")
            out.append(problem(message, rule.location, hint + " (the examples are under the rule's `examples:`)"))
    return out
