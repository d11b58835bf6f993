"""Every field of the SDK's RegisterResourceRequest, and what the embedded engine does with it.

A field is *implemented* (the engine honours it), *ignored* (it never changes what the
engine must do: capability flags the SDK always sets, debugging information) or
*unsupported*: set to anything but its default, it fails the run with the option's name,
rather than being dropped silently and the program believing it took effect.
tests/unit/test_engine_options.py checks that every field of the installed SDK is here.
"""
from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from pulumi.runtime.proto import resource_pb2

from govcloud.engine.errors import EngineError

_ELSEWHERE = "or run this stack with the Pulumi CLI (--engine pulumi)"


class Handling(str, Enum):
    IMPLEMENTED = "implemented"
    IGNORED = "ignored"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class FieldRule:
    """How one request field is handled; `option` is what a Python program calls it."""

    handling: Handling
    option: str = ""
    why: str = ""


def _implemented(option: str = "") -> FieldRule:
    return FieldRule(Handling.IMPLEMENTED, option)


def _ignored(why: str) -> FieldRule:
    return FieldRule(Handling.IGNORED, why=why)


def _unsupported(option: str, why: str) -> FieldRule:
    return FieldRule(Handling.UNSUPPORTED, option, why)


_CAPABILITY = "a capability flag of the SDK; the engine never answers with what it would allow"
_DEBUG_INFO = "where in the program the resource was declared: debugging information only"

RULES: dict[str, FieldRule] = {
    "type": _implemented(),
    "name": _implemented(),
    "parent": _implemented("parent"),
    "custom": _implemented(),
    "object": _implemented(),
    "protect": _implemented("protect"),
    "dependencies": _implemented("depends_on"),
    "propertyDependencies": _implemented(),
    "deleteBeforeReplace": _implemented("delete_before_replace"),
    "ignoreChanges": _implemented("ignore_changes"),
    "additionalSecretOutputs": _implemented("additional_secret_outputs"),
    "aliasURNs": _implemented("aliases"),
    "aliases": _implemented("aliases"),
    "replaceOnChanges": _implemented("replace_on_changes"),
    "retainOnDelete": _implemented("retain_on_delete"),
    "deleteBeforeReplaceDefined": _ignored("only says whether deleteBeforeReplace was given; "
                                           "its value is read from deleteBeforeReplace"),
    "acceptSecrets": _ignored(_CAPABILITY + " (it answers with secrets marked, as asked)"),
    "acceptResources": _ignored(_CAPABILITY + " (resource references)"),
    "supportsPartialValues": _ignored(_CAPABILITY + " (previews answer per property anyway)"),
    "supportsResultReporting": _ignored(_CAPABILITY + " (a failed step fails the run)"),
    "accepts_byte_string": _ignored(_CAPABILITY + " (byte strings)"),
    "aliasSpecs": _ignored("tells the Pulumi CLI that a Node.js SDK sends alias specs correctly; "
                           "the Python SDK always does"),
    "sourcePosition": _ignored(_DEBUG_INFO),
    "stackTrace": _ignored(_DEBUG_INFO),
    "parentStackTraceHandle": _ignored(_DEBUG_INFO),
    "snippetId": _ignored("identifies a Pulumi Cloud snippet for its own debugging"),
    "provider": _unsupported("provider", "the embedded engine runs dynamic providers only "
                                         "(pulumi.dynamic.Resource), not provider plugins"),
    "providers": _unsupported("providers", "the embedded engine runs no provider plugins"),
    "version": _unsupported("version", "it selects a provider plugin version; the embedded "
                                       "engine runs no provider plugins"),
    "pluginDownloadURL": _unsupported("plugin_download_url", "the embedded engine runs no provider plugins"),
    "pluginChecksums": _unsupported("plugin checksums", "the embedded engine runs no provider plugins"),
    "packageRef": _unsupported("parameterized packages", "the embedded engine runs no provider plugins"),
    "envVarMappings": _unsupported("env_var_mappings", "it remaps a provider plugin's environment"),
    "remote": _unsupported("remote", "multi-language components run in a plugin"),
    "importId": _unsupported("import_", "adopting an existing cloud resource is `govcloud import`'s job"),
    "customTimeouts": _unsupported("custom_timeouts", "dynamic provider calls are not timed out"),
    "deletedWith": _unsupported("deleted_with", "every resource is deleted by its own provider"),
    "replace_with": _unsupported("replace_with", "replacements are decided per resource"),
    "replacement_trigger": _unsupported("replacement_trigger", "replacements are decided by the diff"),
    "transforms": _unsupported("transforms", "transforms run in the Pulumi CLI's callback server"),
    "hooks": _unsupported("hooks", "resource hooks run in the Pulumi CLI's callback server"),
    "state_migrations": _unsupported("state_migrations", "state migrations run in the Pulumi CLI's "
                                                         "callback server"),
    "hideDiffs": _unsupported("hide_diffs", "the plan shows every changed property"),
}


def is_set(request: Any, field: Any) -> bool:
    """Whether `request` carries anything but the default of `field` (a FieldDescriptor)."""
    value = getattr(request, field.name)
    if field.is_repeated:  # lists and maps
        return len(value) > 0
    if field.message_type is not None:
        # The SDK sends some messages empty (e.g. hooks with no hook): that is the default.
        return bool(request.HasField(field.name)) and value.ByteSize() > 0
    return bool(value != field.default_value)


# A field newer than the table is refused too, rather than guessed at.
_NEWER = _unsupported("", "this version of govcloud does not know the option")
_CHECKED = tuple(
    (field, RULES.get(field.name, _NEWER))
    for field in resource_pb2.RegisterResourceRequest.DESCRIPTOR.fields
    if RULES.get(field.name, _NEWER).handling is Handling.UNSUPPORTED
)


def refuse_unsupported(request: Any, urn: str) -> None:
    """Fail on the first unsupported option the program set, naming it and the resource."""
    for field, rule in _CHECKED:
        if is_set(request, field):
            option = rule.option or field.name
            raise EngineError(
                f"{urn}: the engine does not support the Pulumi option '{field.name}'",
                hint=f"{rule.why}; remove {option} from the resource's options, {_ELSEWHERE}",
            )
