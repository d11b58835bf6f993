"""The base of every govcloud dynamic provider and Resource class.

A subclass declares its `rtype` (from `types.py`) and implements five hooks:
`_create(props) -> (id, computed outputs)`, `_read(id, props) -> outputs | None`,
`_update(id, olds, news) -> computed outputs`, `_delete(id, props)` and, where a crashed
create could have left a resource behind, `find_existing(props) -> id | None` (plus
`find_interrupted` where a create takes several calls and a kill between them leaves a
resource that find_existing rightly refuses to adopt).
The base turns them into Pulumi's check/diff/create/read/update/delete with the shared
rules: adopt on re-run, already-gone is success on delete, gone is `id=""` on read, and a
create the SDK retried that the cloud answers "already exists" adopts what our own earlier
attempt made (`landed_earlier`). Where the cloud refuses to create a name twice
(`create_refuses_existing`), the create itself is the look-up: find_existing runs only when
the cloud says the name is taken.
"""
from __future__ import annotations

import functools
from abc import ABCMeta, abstractmethod
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, TypeVar

import pulumi
from botocore.exceptions import ClientError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from govcloud.cloud import clients
from govcloud.cloud.check import normalise, user_inputs
from govcloud.cloud.diff import diff_properties, secret_digest
from govcloud.cloud.types import ResourceType
from govcloud.errors import GovcloudError
from govcloud.sdkcompat import reset_pickler

T = TypeVar("T")

_GONE_CODES = frozenset({
    "NoSuchBucket", "NoSuchEntity", "NoSuchHostedZone", "NotFoundException",
    "ResourceNotFoundException", "AWS.SimpleQueueService.NonExistentQueue",
    "QueueDoesNotExist", "LoadBalancerNotFound", "ListenerNotFound", "RuleNotFound",
    "TargetGroupNotFound", "404", "NoSuchKey",
})


# "What you ask to create is there already", by API: IAM, KMS, S3, EC2 (a subnet's range,
# a rule of a group), Secrets Manager, CloudWatch Logs, Route53 (same caller reference),
# ELBv2 (a rule's priority too), SQS.
_ALREADY_THERE_CODES = frozenset({
    "EntityAlreadyExists", "AlreadyExistsException", "BucketAlreadyOwnedByYou",
    "InvalidGroup.Duplicate", "InvalidKeyPair.Duplicate", "InvalidPermission.Duplicate",
    "InvalidSubnet.Conflict", "ResourceExistsException", "ResourceAlreadyExistsException",
    "HostedZoneAlreadyExists", "DuplicateLoadBalancerName", "DuplicateTargetGroupName",
    "DuplicateListener", "PriorityInUse", "QueueAlreadyExists",
})


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def retried(response: Mapping[str, Any]) -> bool:
    """Did the SDK send this call more than once? (An answer or a ClientError's `response`.)
    An earlier attempt may have been done by the cloud with its answer lost on the way."""
    return int(response.get("ResponseMetadata", {}).get("RetryAttempts", 0)) > 0


def is_already_there(error: ClientError) -> bool:
    """Does this error say that what the call would create exists already?"""
    return error_code(error) in _ALREADY_THERE_CODES


def is_gone(error: ClientError) -> bool:
    """Does this error say the resource does not exist (any more)?"""
    code = error_code(error)
    return code in _GONE_CODES or code.endswith("NotFound")  # `.NotFound` included


def delete_if_there(call: Callable[..., Any], **kwargs: Any) -> None:
    """Make a delete call; a resource already gone (say, by a retried attempt that landed) is success."""
    try:
        call(**kwargs)
    except ClientError as e:
        if not is_gone(e):
            raise


class CloudError(GovcloudError):
    """A cloud call failed; names the resource type and the cloud's own message."""

    def __init__(self, token: str, name: str, action: str, error: Exception) -> None:
        detail = str(error)
        super().__init__(f"{token} '{name}': {action} failed: {detail}",
                         rule="GC-CLOUD", exit_code=1)


class CloudProvider(ResourceProvider, metaclass=ABCMeta):
    rtype: ClassVar[ResourceType]
    # The instance holds only an endpoint string: no need to encrypt it in state.
    serialize_as_secret_always = False
    # True where `_create`'s first call is refused with "already exists" when the name is taken
    # (IAM, CloudWatch Logs) and nothing was made before it: then a create does not look
    # first; find_existing runs on that refusal and adopts or names the collision as before.
    # False where a create of a taken name succeeds (SQS, SNS) or never collides (EC2
    # instances, KMS keys). `refuses_existing` may decide per resource (S3 by region).
    create_refuses_existing: ClassVar[bool] = False

    def __init__(self, endpoint_url: str | None = None) -> None:
        super().__init__()
        self.endpoint_url = endpoint_url

    def __getstate__(self) -> dict[str, Any]:
        # Endpoints come from the stack's current config, never from state: a moved API
        # endpoint (or a restarted sandbox) must need no state surgery.
        return {k: v for k, v in self.__dict__.items() if k != "endpoint_url"}

    def __setstate__(self, state: dict[str, Any]) -> None:
        # States written before endpoints left them still pickle one: it is ignored.
        self.__dict__.update({k: v for k, v in state.items() if k != "endpoint_url"})
        self.endpoint_url = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # The engine's recovery calls these hooks directly: they too run in the props' pool.
        for hook in ("find_existing", "find_interrupted"):
            if hook in cls.__dict__:
                setattr(cls, hook, _in_props_pool(cls.__dict__[hook]))

    def client(self, service: str, region: str) -> Any:
        """A client of the current call's pool (its props' `pool`), else of the stack's endpoint."""
        name = clients.current_pool()
        if name is not None:
            pool = clients.pool(name)
            return clients.client(service, region, pool.endpoint, pool.profile)
        return clients.client(service, region, clients.endpoint_for(self.endpoint_url))

    def remembered(self, region: str, question: tuple[str, ...], ask: Callable[[], T]) -> T:
        """`ask()`, remembered for a minute per endpoint (or pool), region and question."""
        name = clients.current_pool()
        where = ("pool", name) if name is not None else ("endpoint", clients.endpoint_for(self.endpoint_url))
        return clients.remembered((*where, region, *question), ask)

    def account(self, region: str) -> str:
        name = clients.current_pool()
        if name is not None:
            pool = clients.pool(name)
            return clients.account_id(region, pool.endpoint, pool.profile)
        return clients.account_id(region, clients.endpoint_for(self.endpoint_url))

    # -- hooks ---------------------------------------------------------------------------
    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        """Type-specific failures after the generic checks passed; reads `props`, never changes them."""
        return []

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        """Valid inputs in the form the cloud reports them (sorted lists, lower-case names…),
        so that a read-back compares equal: a new dict, `props` is left as it is."""
        return props

    def find_existing(self, props: dict[str, Any]) -> str | None:
        """The id of a resource a previous (crashed) create of these props left behind."""
        return None

    def refuses_existing(self, props: dict[str, Any]) -> bool:
        """Is a create of these props refused when its name is taken? (`create_refuses_existing`)"""
        return self.create_refuses_existing

    def find_interrupted(self, props: dict[str, Any]) -> str | None:
        """Like find_existing, for the engine's journal, which knows a create of exactly these
        props was under way: also finds what it left half-made (e.g. not yet tagged or named).
        The engine reads the resource back and updates it to the props."""
        return self.find_existing(props)

    @abstractmethod
    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        """Create the resource in the cloud; its id and outputs."""

    @abstractmethod
    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        """The resource's current outputs, or None when it is gone."""

    @abstractmethod
    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        """Change the resource in place; its new outputs."""

    @abstractmethod
    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        """Delete the resource; one that is already gone is success."""

    # -- Pulumi's interface ----------------------------------------------------------------
    def _label(self, props: Mapping[str, Any]) -> str:
        for key in ("name", "alias", "domain_name", "common_name"):
            if props.get(key):
                return str(props[key])
        return "?"

    def _public(self, outputs: dict[str, Any]) -> dict[str, Any]:
        """Outputs with secret inputs replaced by their digest: state never holds them."""
        for prop in self.rtype.props:
            value = outputs.get(prop.name)
            if prop.secret and isinstance(value, str) and not value.startswith("sha256:"):
                outputs[prop.name] = secret_digest(value)
        return outputs

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        props, failures = normalise(self.rtype, news)
        if not failures:
            failures = self.validate(props)
        if not failures:
            props = self.canonical(props)
        return CheckResult(props, [CheckFailure(p, r) for p, r in failures])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        return diff_properties(self.rtype, olds, news).to_result()

    def create(self, props: dict[str, Any]) -> CreateResult:
        props = user_inputs(props)
        with clients.in_pool(props.get("pool")):
            return self._create_here(props)

    def _create_here(self, props: dict[str, Any]) -> CreateResult:
        try:
            found = None if self.refuses_existing(props) else self.find_existing(props)
            if found is not None:
                return self._adopt(found, props)
            try:
                id_, computed = self._create(props)
            except ClientError as e:
                found = self.landed_earlier(e, props)
                if found is None:
                    raise
                return self._adopt(found, props)
        except ClientError as e:
            raise CloudError(self.rtype.token, self._label(props), "create", e) from e
        return CreateResult(id_, self._public({**props, **computed}))

    def _adopt(self, found: str, props: dict[str, Any]) -> CreateResult:
        """Take `found` as the resource of these props: read it, then update it to them."""
        current = self._read(found, props) or props
        computed = self._update(found, current, props)
        outputs = {k: current[k] for k in self.rtype.outputs if k in current}
        return CreateResult(found, self._public({**props, **outputs, **computed}))

    def landed_earlier(self, error: ClientError, props: dict[str, Any]) -> str | None:
        """The resource a create's own earlier attempt made, when `error` is the cloud's
        "already exists" to a call the SDK retried; None: `error` stands.

        A call can be done by the cloud while its answer is lost (a gateway timeout, a reset
        connection); the SDK then sends it again and the cloud says "already exists". That
        is safe to adopt because find_interrupted takes only what it can tell is ours (this
        stack's tags, the create's key tag or caller reference); anything else is still a
        collision (None, or find_existing's error naming it). An "already exists" to a call
        sent once is a collision and stays an error, unless the create did not look first
        (`refuses_existing`): then find_existing decides, as it would have before.
        """
        if not is_already_there(error):
            return None
        if retried(error.response):
            return self.find_interrupted(props)
        # A create that did not look first: what is there is adopted only if it is ours.
        return self.find_existing(props) if self.refuses_existing(props) else None

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        props = user_inputs(props)
        with clients.in_pool(props.get("pool")):
            return self._read_here(id_, props)

    def _read_here(self, id_: str, props: dict[str, Any]) -> ReadResult:
        try:
            current = self._read(id_, props)
        except ClientError as e:
            if is_gone(e):
                current = None
            else:
                raise CloudError(self.rtype.token, self._label(props), "read", e) from e
        if current is None:
            return ReadResult("", {})  # the servicer needs a dict; an empty id means gone
        current = self._public(current)
        if props.get("pool"):
            current["pool"] = props["pool"]  # where it was read is no property of the cloud's
        inputs = {p.name: current[p.name] for p in self.rtype.props if p.name in current}
        return ReadResult(id_, current, inputs)

    def update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        olds, news = user_inputs(olds), user_inputs(news)
        try:
            # A new pool replaces the resource: an update stays in the pool it was made in.
            with clients.in_pool(olds.get("pool")):
                computed = self._update(id_, olds, news)
        except ClientError as e:
            raise CloudError(self.rtype.token, self._label(news), "update", e) from e
        old_outputs = {k: olds[k] for k in self.rtype.outputs if k in olds}
        return UpdateResult(self._public({**news, **old_outputs, **computed}))

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        props = user_inputs(props)
        try:
            with clients.in_pool(props.get("pool")):
                self._delete(id_, props)
        except ClientError as e:
            if not is_gone(e):
                raise CloudError(self.rtype.token, self._label(props), "delete", e) from e


def _in_props_pool(hook: Callable[[Any, dict[str, Any]], str | None]) -> Callable[[Any, dict[str, Any]], str | None]:
    @functools.wraps(hook)
    def in_pool(self: Any, props: dict[str, Any]) -> str | None:
        with clients.in_pool(props.get("pool")):
            return hook(self, props)
    return in_pool


class CloudResource(pulumi.dynamic.Resource):
    """A govcloud resource: `Bucket("name", {...}, endpoint_url=..., opts=...)`."""

    rtype: ClassVar[ResourceType]
    provider_class: ClassVar[type[CloudProvider]]

    def __init__(
        self,
        resource_name: str,
        props: Mapping[str, Any],
        *,
        endpoint_url: str | None = None,
        opts: pulumi.ResourceOptions | None = None,
    ) -> None:
        # Declaring outputs as None makes them attributes of the resource (SDK convention).
        args: dict[str, Any] = {k: None for k in self.rtype.outputs}
        args.update(props)
        if self.rtype.secret_outputs:
            secret = pulumi.ResourceOptions(additional_secret_outputs=list(self.rtype.secret_outputs))
            opts = pulumi.ResourceOptions.merge(opts, secret)
        reset_pickler()  # the SDK's serializer nests one more pickler wrapper per resource
        super().__init__(self.provider_class(endpoint_url), resource_name, args, opts)
