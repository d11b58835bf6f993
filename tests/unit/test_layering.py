"""Lower layers never import higher ones: every import of every govcloud module, read with ast.

Bottom up; a package may import its own tier and the tiers below it, never above. Imports
inside functions and under TYPE_CHECKING count too: a lazy import is still a dependency.
"""
from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "govcloud"

TIERS: tuple[tuple[str, ...], ...] = (
    ("errors", "model", "sdkcompat"),  # sdkcompat: Pulumi SDK workarounds for cloud/ and engine/
    ("schema", "load", "scaffold"),
    ("policy", "consolidation"),       # side by side: neither imports the other (below)
    ("graph",),
    ("cloud",),
    ("engine",),
    ("program",),
    ("operations", "workflow", "report"),
    ("api",),
    ("cli",),
)
# Same tier, and still not allowed: (importer, imported).
APART = {("policy", "consolidation"), ("consolidation", "policy")}
# Exceptions kept on purpose, each with its reason: (importing module, imported module).
_VERSION = "reads govcloud.__version__; Python imports the package root before any of its modules anyway"
ALLOWED: dict[tuple[str, str], str] = {
    ("govcloud.cli.app", "govcloud"): _VERSION,
    ("govcloud.load.cache", "govcloud"): _VERSION,            # the version is part of a cache key
    ("govcloud.policy.formats.sarif", "govcloud"): _VERSION,  # SARIF names the tool's version
}
# The package's own entry points sit above every layer.
ENTRY = {"govcloud", "govcloud.__main__"}

TIER = {name: level for level, names in enumerate(TIERS) for name in names}


def _module(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                target = ".".join([*base, node.module] if node.module else base)
            else:
                target = node.module or ""
            # `from govcloud import cloud`, `from . import diff`: the names may be modules
            found.update(f"{target}.{alias.name}" for alias in node.names)
            if target != "govcloud":
                found.add(target)
    return {name for name in found if name == "govcloud" or name.startswith("govcloud.")}


def _layer(module: str) -> str:
    return module.split(".")[1]


def _modules() -> list[tuple[Path, str]]:
    return sorted((p, _module(p)) for p in PACKAGE.rglob("*.py"))


def test_every_package_has_a_tier() -> None:
    untiered = {_layer(m) for _, m in _modules() if m not in ENTRY} - set(TIER)
    assert not untiered, f"place these in TIERS: {sorted(untiered)}"


def test_no_module_imports_a_higher_layer() -> None:
    wrong = []
    for path, module in _modules():
        if module in ENTRY:
            continue
        mine = _layer(module)
        for target in sorted(_imports(path, module)):
            if (module, target) in ALLOWED:
                continue
            if target == "govcloud":
                wrong.append(f"{module} imports the package root (import its modules)")
                continue
            theirs = _layer(target)
            if theirs == mine:
                continue
            if TIER[theirs] > TIER[mine] or (mine, theirs) in APART:
                wrong.append(f"{module} imports {target} ({mine} may not import {theirs})")
    assert not wrong, "\n".join(wrong)


def test_the_test_reads_relative_imports_and_lazy_ones(tmp_path: Path) -> None:
    # the reader itself: a lazy import of a higher layer and a relative one are both seen
    source = "from . import diff\n\ndef f():\n    from govcloud.cli import app\n"
    (tmp_path / "x.py").write_text(source, encoding="utf-8")
    found = _imports(tmp_path / "x.py", "govcloud.cloud.x")
    assert {"govcloud.cloud.diff", "govcloud.cli"} <= found
    assert {_layer(name) for name in found} == {"cloud", "cli"}
