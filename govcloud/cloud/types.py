"""The catalogue of cloud resource types: token, Resource class, input properties, outputs.

The Pulumi program and the resource graph are built from this file, so it is the contract
between them and the providers; the providers read their own specs from here too, so the
catalogue cannot drift from what `check` and `diff` actually do.

Conventions every type shares:
- inputs and outputs are plain JSON-able dicts with snake_case keys;
- outputs repeat every (normalised) input under the same key, plus the computed outputs
  listed in `outputs`, so a `read` result has the same shape as a `create` result;
- `region` is a real region id (the sandbox: `cn-north-1` primary, `cn-northwest-1` DR);
- `tags` is a dict; `check` adds `managed-by: govcloud`; the graph adds the `gov:*` tags;
  tag changes are always in-place updates;
- a property with `replace=True` forces replacement when it changes; all others are
  updated in place;
- `natural_key` names the properties that identify the resource in the cloud (a bucket
  name, a role name…): a replacement that keeps them equal must delete first, and a create
  that finds such a resource already carrying our tags adopts it;
- `secret_outputs` are marked secret by the Resource class
  (`ResourceOptions(additional_secret_outputs=…)`), so Pulumi encrypts them in state.

Construct a resource as `Bucket("name", {...inputs...}, endpoint_url=..., opts=...)`.
"""
from __future__ import annotations

import importlib
from dataclasses import dataclass
from typing import Any

KINDS = ("str", "int", "bool", "list", "dict", "tags")


@dataclass(frozen=True)
class Prop:
    """One input property of a resource type."""

    name: str
    kind: str
    required: bool = False
    replace: bool = False
    default: Any = None
    doc: str = ""
    choices: tuple[str, ...] = ()
    secret: bool = False


@dataclass(frozen=True)
class ResourceType:
    """A resource type: its token, where its Resource class lives, its inputs and outputs."""

    token: str
    resource_class_path: str
    doc: str
    props: tuple[Prop, ...]
    outputs: tuple[str, ...]
    natural_key: tuple[str, ...] = ()
    secret_outputs: tuple[str, ...] = ()
    taggable: bool = True

    @property
    def resource_class(self) -> type:
        # Imported lazily: provider modules import this catalogue for their specs.
        module, _, name = self.resource_class_path.partition(":")
        cls: type = getattr(importlib.import_module(module), name)
        return cls

    @property
    def pulumi_type(self) -> str:
        """The type in Pulumi URNs: dynamic resources are `pulumi-python:dynamic/<module>:<name>`."""
        _, family, name = self.token.split(":")
        return f"pulumi-python:dynamic/govcloud/{family}:{name}"

    def prop(self, name: str) -> Prop:
        return next(p for p in self.props if p.name == name)

    @property
    def replace_props(self) -> tuple[str, ...]:
        return tuple(p.name for p in self.props if p.replace)


REGION = Prop("region", "str", required=True, replace=True, doc="real region id, e.g. cn-north-1")
TAGS = Prop("tags", "tags", default={}, doc="tags; managed-by=govcloud is added by check")
# The NAME of the resource pool (graph/pools.py), never its endpoint: the stack being run
# says where each pool is. Absent: the default (extranet) pool, so older states see no change.
POOL = Prop("pool", "str", replace=True, choices=("classified",),
            doc="resource pool by name (govcloud:pools of the stack); absent: the default pool")


def _props(*props: Prop, taggable: bool = True) -> tuple[Prop, ...]:
    common = (REGION, TAGS, POOL) if taggable else (REGION, POOL)
    return (*props, *common)


VPC = ResourceType(
    "govcloud:network:Vpc", "govcloud.cloud.network:Vpc",
    "A VPC for one of the city's networks (extranet, intranet, internet zone).",
    _props(
        Prop("name", "str", required=True, doc="logical name; Name tag and idempotency key"),
        Prop("cidr", "str", required=True, replace=True, doc="IPv4 CIDR, e.g. 10.16.0.0/12"),
        # In place: replacing a VPC would replace every subnet and machine in it, and the
        # cloud associates (and disassociates) an Amazon-provided /56 on a live VPC.
        Prop("ipv6", "bool", default=False,
             doc="dual-stack: an Amazon-provided IPv6 /56 (output ipv6_cidr); in place"),
    ),
    outputs=("vpc_id", "arn", "ipv6_cidr"),
)
SUBNET = ResourceType(
    "govcloud:network:Subnet", "govcloud.cloud.network:Subnet",
    "A subnet of a VPC.",
    _props(
        Prop("name", "str", required=True, doc="logical name; Name tag and idempotency key"),
        Prop("vpc_id", "str", required=True, replace=True),
        Prop("cidr", "str", required=True, replace=True),
        Prop("availability_zone", "str", replace=True,
             doc="e.g. cn-north-1a; default: the region's first zone"),
        Prop("vpc_ipv6_cidr", "str",
             doc="the VPC's IPv6 /56 (Vpc.ipv6_cidr): with ipv6_slot makes the subnet dual-stack; in place"),
        Prop("ipv6_slot", "int", doc="which /64 of vpc_ipv6_cidr (0-255, the graph's slot); in place"),
        Prop("assign_ipv6_on_creation", "bool", default=False,
             doc="machines launched here get an IPv6 address; needs the subnet dual-stack"),
    ),
    outputs=("subnet_id", "arn", "availability_zone", "ipv6_cidr"),
    natural_key=("vpc_id", "cidr"),
)
SECURITY_GROUP = ResourceType(
    "govcloud:network:SecurityGroup", "govcloud.cloud.network:SecurityGroup",
    "A security group; ingress rules are replaced in place.",
    _props(
        Prop("name", "str", required=True, replace=True, doc="group name, unique in the VPC"),
        Prop("vpc_id", "str", required=True, replace=True),
        Prop("description", "str", replace=True, default="managed by govcloud"),
        Prop("ingress", "list", default=[],
             doc="[{protocol: tcp|udp|icmp|-1, from_port, to_port, cidr}]"),
    ),
    outputs=("group_id", "arn"),
    natural_key=("vpc_id", "name"),
)
INSTANCE = ResourceType(
    "govcloud:compute:Instance", "govcloud.cloud.compute:Instance",
    "A virtual machine launched from an approved image.",
    _props(
        Prop("name", "str", required=True, doc="logical name; Name tag and idempotency key"),
        Prop("image", "str", required=True, replace=True,
             doc="approved product id (e.g. kylin-v10-server), resolved by AMI name"),
        Prop("instance_type", "str", default="t3.medium",
             doc="in place: the instance is stopped, changed and started"),
        Prop("subnet_id", "str", required=True, replace=True),
        Prop("security_group_ids", "list", default=[]),
        Prop("root_volume_gib", "int", replace=True, default=40),
        Prop("user_data", "str", replace=True, default=""),
        Prop("admin_secret_arn", "str", replace=True,
             doc="ARN of the secret holding the database admin password; the first-boot script "
                 "reads it with the instance profile's credentials (the value is never in user data)"),
        Prop("iam_instance_profile_arn", "str",
             doc="the system's instance profile (in place: associate or replace the association)"),
    ),
    outputs=("instance_id", "arn", "image_id", "private_ip", "availability_zone"),
)
VOLUME = ResourceType(
    "govcloud:compute:Volume", "govcloud.cloud.compute:Volume",
    "An EBS volume, optionally encrypted with a KMS key and attached to an instance.",
    _props(
        Prop("name", "str", required=True, doc="logical name; Name tag and idempotency key"),
        Prop("availability_zone", "str", required=True, replace=True),
        Prop("size_gib", "int", required=True, doc="in place (grow only)"),
        Prop("volume_type", "str", default="gp3", choices=("gp2", "gp3", "io1", "io2", "st1", "sc1", "standard")),
        Prop("encrypted", "bool", replace=True, default=False),
        Prop("kms_key_id", "str", replace=True, doc="key ARN; implies encrypted"),
        Prop("instance_id", "str", doc="attach to this instance (in place: detach/attach)"),
        Prop("device", "str", default="/dev/sdf"),
    ),
    outputs=("volume_id", "arn"),
)
BUCKET = ResourceType(
    "govcloud:storage:Bucket", "govcloud.cloud.storage:Bucket",
    "An S3 bucket with versioning, KMS encryption and off-site replication.",
    _props(
        Prop("name", "str", required=True, replace=True, doc="bucket name (global)"),
        Prop("versioning", "bool", default=False, doc="replication needs it on"),
        Prop("kms_key_arn", "str", doc="server-side encryption with this KMS key"),
        Prop("replication", "dict",
             doc="{role_arn, destination_bucket_arn}: replicate to the DR-region bucket"),
        Prop("force_destroy", "bool", default=False, doc="delete objects on delete"),
        Prop("block_public_access", "bool", default=False,
             doc="all four public-access-block settings on, object ACLs disabled (bucket owner "
                 "enforced); the graph turns it on for every bucket"),
        Prop("secure_transport_only", "bool", default=False,
             doc="the bucket policy (storage.baseline_policy) denies requests without TLS and "
                 "from outside the account; the graph turns it on for every bucket"),
    ),
    outputs=("bucket", "arn"),
    natural_key=("name",),
)
KEY = ResourceType(
    "govcloud:keys:Key", "govcloud.cloud.keys:Key",
    "A KMS key with its alias; deletion schedules the key for deletion.",
    _props(
        Prop("alias", "str", required=True, doc="alias/<name>; idempotency key; in place"),
        Prop("description", "str", default=""),
        Prop("rotation", "bool", default=True),
        Prop("deletion_window_days", "int", default=7),
        Prop("log_group_prefix", "str",
             doc="log groups whose names start with this are encrypted with the key: the key policy "
                 "lets CloudWatch Logs of the key's account and region use it for them (in place)"),
    ),
    outputs=("key_id", "arn", "alias_arn"),
    natural_key=("alias",),
)
ROLE = ResourceType(
    "govcloud:identity:Role", "govcloud.cloud.identity:Role",
    "An IAM role with inline and managed policies (the graph writes them: graph/iam.py).",
    _props(
        Prop("name", "str", required=True, replace=True),
        Prop("assume_role_policy", "dict", required=True),
        Prop("description", "str", default=""),
        Prop("inline_policies", "dict", default={}, doc="{policy name: policy document}"),
        Prop("managed_policy_arns", "list", default=[]),
    ),
    outputs=("role_name", "arn", "role_id"),
    natural_key=("name",),
)
INSTANCE_PROFILE = ResourceType(
    "govcloud:identity:InstanceProfile", "govcloud.cloud.identity:InstanceProfile",
    "An IAM instance profile holding one role: how a system's machines get its credentials.",
    _props(
        Prop("name", "str", required=True, replace=True),
        Prop("role_name", "str", required=True, doc="in place: the old role is removed, the new one added"),
    ),
    outputs=("arn", "profile_id"),
    natural_key=("name",),
)
SECRET = ResourceType(
    "govcloud:secrets:Secret", "govcloud.cloud.secretstore:Secret",
    "A generated secret (e.g. a database admin password) in the cloud's secret store, encrypted "
    "with a KMS key. The value is generated by the provider on first create, written only to "
    "the secret store and never returned: state and outputs keep the ARN alone. A re-run finds "
    "the secret again by its name (also one scheduled for deletion), so no value is ever lost.",
    _props(
        Prop("name", "str", required=True, replace=True,
             doc="deterministic name, e.g. govcloud/<stack>/<department>/<system>/db-admin"),
        Prop("kms_key_id", "str", doc="key ARN that encrypts the value (in place)"),
        Prop("description", "str", default="", doc="never the value"),
        Prop("length", "int", replace=True, default=32, doc="characters of the generated value"),
        Prop("recovery_window_days", "int", default=7,
             doc="a deleted secret can be restored (and is adopted by a re-run) for this long"),
        Prop("readers", "list", default=[],
             doc="role ARNs (patterns) that alone may read the value: the secret's resource "
                 "policy denies GetSecretValue to every other principal, whatever it is granted"),
    ),
    outputs=("arn",),
    natural_key=("name",),
)
POLICY = ResourceType(
    "govcloud:identity:Policy", "govcloud.cloud.identity:Policy",
    "A customer-managed IAM policy; a document change adds a new default version.",
    _props(
        Prop("name", "str", required=True, replace=True),
        Prop("document", "dict", required=True),
        Prop("description", "str", replace=True, default=""),
    ),
    outputs=("arn", "policy_id", "default_version"),
    natural_key=("name",),
)
QUEUE = ResourceType(
    "govcloud:messaging:Queue", "govcloud.cloud.messaging:Queue",
    "An SQS queue: a department's mailbox on the document exchange.",
    _props(
        Prop("name", "str", required=True, replace=True, doc="queue name; .fifo for FIFO"),
        Prop("message_retention_seconds", "int", default=1209600),
        Prop("visibility_timeout", "int", default=30),
        Prop("kms_key_id", "str"),
    ),
    outputs=("url", "arn"),
    natural_key=("name",),
)
ZONE = ResourceType(
    "govcloud:dns:Zone", "govcloud.cloud.dns:Zone",
    "A Route53 hosted zone (public, or private to a VPC).",
    _props(
        Prop("name", "str", required=True, replace=True, doc="domain, e.g. foshan.gov.cn"),
        Prop("vpc_id", "str", replace=True, doc="makes the zone private to this VPC"),
        Prop("comment", "str", default=""),
        Prop("force_destroy", "bool", default=False, doc="delete records on delete"),
    ),
    outputs=("zone_id", "name_servers"),
    natural_key=("name",),
)
RECORD = ResourceType(
    "govcloud:dns:Record", "govcloud.cloud.dns:Record",
    "A record set; Route53 records carry no tags.",
    _props(
        Prop("zone_id", "str", required=True, replace=True),
        Prop("name", "str", required=True, replace=True, doc="fully qualified name"),
        Prop("type", "str", required=True, replace=True,
             choices=("A", "AAAA", "CNAME", "TXT", "MX", "NS", "SRV", "CAA")),
        Prop("ttl", "int", default=300),
        Prop("values", "list", default=[]),
        Prop("alias", "dict", doc="{dns_name, zone_id}: alias to a load balancer"),
        taggable=False,
    ),
    outputs=("fqdn",),
    taggable=False,
)
CITY_CA = ResourceType(
    "govcloud:certificates:CityCA", "govcloud.cloud.certificates:CityCA",
    "The city's certificate authority (generated locally; no cloud call).",
    _props(
        Prop("common_name", "str", required=True, replace=True),
        Prop("organization", "str", replace=True, default=""),
        Prop("validity_days", "int", replace=True, default=3650),
        taggable=False,
    ),
    outputs=("certificate_pem", "private_key_pem", "not_after"),
    secret_outputs=("private_key_pem",),
    taggable=False,
)
CERTIFICATE = ResourceType(
    "govcloud:certificates:Certificate", "govcloud.cloud.certificates:Certificate",
    "An internal server or identity certificate signed by the city's 政务 CA and imported into "
    "ACM; the leaf key never leaves the provider. Browsers do not trust this CA: public sites "
    "use PublicCertificate.",
    _props(
        Prop("domain_name", "str", required=True, replace=True),
        Prop("subject_alternative_names", "list", replace=True, default=[]),
        Prop("validity_days", "int", replace=True, default=397),
        Prop("ca_certificate_pem", "str", required=True, replace=True),
        Prop("ca_private_key_pem", "str", required=True, replace=True, secret=True,
             doc="pass CityCA.private_key_pem (a secret output); never echoed in outputs"),
    ),
    outputs=("arn", "not_after", "serial", "certificate_pem"),
)
PUBLIC_CERTIFICATE = ResourceType(
    "govcloud:certificates:PublicCertificate", "govcloud.cloud.certificates:PublicCertificate",
    "A certificate from the cloud's publicly trusted CA (ACM RequestCertificate), validated by "
    "DNS: the provider writes the validation records into `validation_zone_id`.",
    _props(
        Prop("domain_name", "str", required=True, replace=True),
        Prop("subject_alternative_names", "list", replace=True, default=[]),
        Prop("validation_zone_id", "str", required=True, replace=True,
             doc="the public hosted zone the validation CNAMEs go into"),
        Prop("wait_seconds", "int", default=300, doc="how long create waits for the CA to issue it"),
    ),
    outputs=("arn", "status"),
)
LOAD_BALANCER = ResourceType(
    "govcloud:loadbalancing:LoadBalancer", "govcloud.cloud.loadbalancing:LoadBalancer",
    "An application load balancer (subnets in at least two zones).",
    _props(
        Prop("name", "str", required=True, replace=True, doc="≤32 chars, [a-zA-Z0-9-]"),
        Prop("subnet_ids", "list", required=True, doc="in two or more zones"),
        Prop("security_group_ids", "list", default=[]),
        Prop("internal", "bool", replace=True, default=False),
        Prop("ip_address_type", "str", default="ipv4", choices=("ipv4", "dualstack")),
    ),
    outputs=("arn", "dns_name", "canonical_hosted_zone_id"),
    natural_key=("name",),
)
TARGET_GROUP = ResourceType(
    "govcloud:loadbalancing:TargetGroup", "govcloud.cloud.loadbalancing:TargetGroup",
    "A target group of instances behind a load balancer.",
    _props(
        Prop("name", "str", required=True, replace=True),
        Prop("vpc_id", "str", required=True, replace=True),
        Prop("port", "int", replace=True, default=80),
        Prop("protocol", "str", replace=True, default="HTTP", choices=("HTTP", "HTTPS")),
        Prop("health_check_path", "str", default="/"),
    ),
    outputs=("arn",),
    natural_key=("name",),
)
LISTENER = ResourceType(
    "govcloud:loadbalancing:Listener", "govcloud.cloud.loadbalancing:Listener",
    "A listener; its default action answers 404 for unknown hosts.",
    _props(
        Prop("load_balancer_arn", "str", required=True, replace=True),
        Prop("port", "int", required=True),
        Prop("protocol", "str", default="HTTP", choices=("HTTP", "HTTPS")),
        Prop("certificate_arn", "str", doc="required for HTTPS"),
    ),
    outputs=("arn",),
    natural_key=("load_balancer_arn", "port"),
)
LISTENER_RULE = ResourceType(
    "govcloud:loadbalancing:ListenerRule", "govcloud.cloud.loadbalancing:ListenerRule",
    "A host-header rule: a department's sub-site on the site platform.",
    _props(
        Prop("listener_arn", "str", required=True, replace=True),
        Prop("priority", "int", required=True),
        Prop("hosts", "list", required=True, doc="host names, e.g. [gaj.foshan.gov.cn]"),
        Prop("target_group_arn", "str", doc="forward here; without it: fixed 503"),
    ),
    outputs=("arn",),
    natural_key=("listener_arn", "priority"),
)
LOG_GROUP = ResourceType(
    "govcloud:logs:LogGroup", "govcloud.cloud.logs:LogGroup",
    "A CloudWatch log group with retention (audit logs: ≥ 180 days).",
    _props(
        Prop("name", "str", required=True, replace=True),
        Prop("retention_days", "int", default=180),
        Prop("kms_key_arn", "str"),
    ),
    outputs=("arn",),
    natural_key=("name",),
)

CATALOGUE: dict[str, ResourceType] = {
    t.token: t
    for t in (
        VPC, SUBNET, SECURITY_GROUP, INSTANCE, VOLUME, BUCKET, KEY, ROLE, POLICY,
        INSTANCE_PROFILE, SECRET, QUEUE, ZONE, RECORD, CITY_CA, CERTIFICATE, PUBLIC_CERTIFICATE,
        LOAD_BALANCER, TARGET_GROUP, LISTENER, LISTENER_RULE, LOG_GROUP,
    )
}

__all__ = ["CATALOGUE", "KINDS", "Prop", "ResourceType"]
