"""The resource monitor the SDK talks to, in-process instead of over gRPC.

`sdk.start_run(monitor=<object>)` hands the SDK any object with the monitor's method names
(the contract `set_mocks` relies on); tests/unit/test_pulumi_contract.py checks that this
class implements every RPC of the SDK's ResourceMonitor service.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from google.protobuf import empty_pb2
from pulumi.runtime.proto import engine_pb2, resource_pb2

from govcloud.engine.errors import EngineError
from govcloud.engine.options import refuse_unsupported
from govcloud.engine.properties import Props, from_struct, to_struct
from govcloud.engine.results import EngineEvent
from govcloud.engine.stackrefs import STACK_REFERENCE_TYPE, read_outputs, unknown_outputs
from govcloud.engine.steps import Registration, StepRunner
from govcloud.engine.urns import STACK_TYPE, AliasResolver, Goal, decode_aliases
from govcloud.engine.urns import make_urn as make_urn

_F = resource_pb2
# Secrets, and alias specs (the engine resolves aliases itself). The options the engine
# refuses are advertised too, so that the SDK sends them and the monitor can name them
# instead of the SDK failing with "update the Pulumi CLI". Resource references stay off:
# without them the SDK sends a resource as its id, which providers want.
SUPPORTED_FEATURES = (
    _F.RESOURCE_MONITOR_FEATURE_SECRETS, _F.RESOURCE_MONITOR_FEATURE_ALIAS_SPECS,
    _F.RESOURCE_MONITOR_FEATURE_DELETED_WITH, _F.RESOURCE_MONITOR_FEATURE_REPLACE_WITH,
    _F.RESOURCE_MONITOR_FEATURE_REPLACEMENT_TRIGGER, _F.RESOURCE_MONITOR_FEATURE_TRANSFORMS,
    _F.RESOURCE_MONITOR_FEATURE_INVOKE_TRANSFORMS, _F.RESOURCE_MONITOR_FEATURE_RESOURCE_HOOKS,
    _F.RESOURCE_MONITOR_FEATURE_ERROR_HOOKS, _F.RESOURCE_MONITOR_FEATURE_STATE_MIGRATIONS,
)
_LEGACY_FEATURES = frozenset({"secrets", "aliasSpecs", "deletedWith", "replaceWith", "transforms",
                              "invokeTransforms", "resourceHooks", "errorHooks"})


class _FeatureResponse:
    def __init__(self, has_support: bool) -> None:
        self.hasSupport = has_support


class Monitor:
    """Duck-types the SDK's ResourceMonitor stub; blocking calls on executor threads."""

    def __init__(self, project: str, stack: str, runner: StepRunner) -> None:
        self.project = project
        self.stack = stack
        self.runner = runner
        self.stack_urn = make_urn(stack, project, "", STACK_TYPE, f"{project}-{stack}")
        self.aliases = AliasResolver(project, stack)
        self.stack_outputs: Props = {}
        self.component_outputs: dict[str, Props] = {}
        # URNs of the StackReferences read: reads, not resources of this stack's state.
        self.stack_references: set[str] = set()
        self._lock = threading.Lock()

    # -- features ---------------------------------------------------------------------
    def SupportsFeature(self, request: Any) -> _FeatureResponse:
        return _FeatureResponse(request.id in _LEGACY_FEATURES)

    def GetDeploymentInfo(self, request: Any) -> resource_pb2.DeploymentInfo:
        return resource_pb2.DeploymentInfo(supportedFeatures=list(SUPPORTED_FEATURES))

    # -- resources --------------------------------------------------------------------
    def RegisterResource(self, request: Any) -> resource_pb2.RegisterResourceResponse:
        urn = make_urn(self.stack, self.project, request.parent, request.type, request.name)
        refuse_unsupported(request, urn)
        goal = Goal(request.name, request.type, request.parent,
                    decode_aliases(request.aliases, request.aliasURNs))
        # The parent registered (and was matched) before its children: its rename is known.
        former = self.aliases.former_urns(goal, self.runner.renamed)
        deps = set(request.dependencies)
        for prop_deps in request.propertyDependencies.values():
            deps.update(prop_deps.urns)
        with self._lock:
            deps -= self.stack_references  # another stack's outputs: a value, not a dependency here
        reg = Registration(
            urn=urn,
            type=request.type,
            parent=request.parent,
            custom=bool(request.custom),
            inputs=from_struct(request.object),
            dependencies=tuple(sorted(deps)),
            protect=bool(request.protect),
            retain_on_delete=bool(request.retainOnDelete),
            delete_before_replace=bool(request.deleteBeforeReplace),
            ignore_changes=tuple(request.ignoreChanges),
            replace_on_changes=tuple(request.replaceOnChanges),
            additional_secret_outputs=frozenset(request.additionalSecretOutputs),
            aliases=former,
        )
        id_, outputs = self.runner.register(reg)
        return resource_pb2.RegisterResourceResponse(urn=urn, id=id_, object=to_struct(outputs))

    def RegisterResourceOutputs(self, request: Any) -> empty_pb2.Empty:
        outputs = from_struct(request.outputs)
        with self._lock:
            if request.urn == self.stack_urn:
                self.stack_outputs = outputs
            else:
                self.component_outputs[request.urn] = outputs
        return empty_pb2.Empty()

    def ReadResource(self, request: Any) -> Any:
        if request.type == STACK_REFERENCE_TYPE:
            return self._read_stack_reference(request)
        raise EngineError(f"reading existing resources ({request.type} {request.name}) needs the Pulumi CLI")

    def _read_stack_reference(self, request: Any) -> resource_pb2.ReadResourceResponse:
        """Another stack's outputs from this stack's backend, as Pulumi's engine reads them."""
        urn = make_urn(self.stack, self.project, request.parent, request.type, request.name)
        found = read_outputs(self.runner.store, request.id, preview=self.runner.preview)
        properties = found.properties() if found is not None else unknown_outputs(request.id)
        with self._lock:
            self.stack_references.add(urn)
        return resource_pb2.ReadResourceResponse(urn=urn, properties=to_struct(properties))

    def ExistsResource(self, request: Any) -> resource_pb2.ExistsResourceResponse:
        exists = any(r.id == request.id and r.type == request.type for r in self.runner.old.values())
        return resource_pb2.ExistsResourceResponse(exists=exists)

    def Invoke(self, request: Any) -> Any:
        raise EngineError(f"function {request.tok} is not available in the embedded engine")

    def Call(self, request: Any) -> Any:
        raise EngineError(f"method {request.tok} is not available in the embedded engine")

    def RegisterStackTransform(self, request: Any) -> Any:
        raise EngineError("stack transforms need the Pulumi CLI")

    def RegisterStackInvokeTransform(self, request: Any) -> Any:
        raise EngineError("invoke transforms need the Pulumi CLI")

    def RegisterPackage(self, request: Any) -> Any:
        raise EngineError(f"package {request.name} needs the Pulumi CLI")

    def RegisterResourceHook(self, request: Any) -> Any:
        raise EngineError("resource hooks need the Pulumi CLI")

    def RegisterErrorHook(self, request: Any) -> Any:
        raise EngineError("error hooks need the Pulumi CLI")

    def SignalAndWaitForShutdown(self, request: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()


class EngineLog:
    """Duck-types the SDK's Engine stub: program warnings and errors become events."""

    def __init__(self, emit: Callable[[EngineEvent], None]) -> None:
        self.emit = emit
        self.messages: list[str] = []
        self._lock = threading.Lock()

    def Log(self, request: Any) -> empty_pb2.Empty:
        if request.severity in (engine_pb2.WARNING, engine_pb2.ERROR):
            label = "warning" if request.severity == engine_pb2.WARNING else "error"
            message = f"{label}: {request.message}"
            with self._lock:
                self.messages.append(message)
            self.emit(EngineEvent("warning", request.urn, message=message))
        return empty_pb2.Empty()

    def RequirePulumiVersion(self, request: Any) -> empty_pb2.Empty:
        return empty_pb2.Empty()
