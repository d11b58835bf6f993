"""The resource type tokens the graph uses, as the cloud catalogue (`govcloud.cloud.types`) names them.

The graph may not import the cloud layer, so the tokens are repeated here; a unit test
checks them, their taggability and every input the graph sets against the catalogue.
"""
from __future__ import annotations

VPC = "govcloud:network:Vpc"
SUBNET = "govcloud:network:Subnet"
SECURITY_GROUP = "govcloud:network:SecurityGroup"
INSTANCE = "govcloud:compute:Instance"
VOLUME = "govcloud:compute:Volume"
BUCKET = "govcloud:storage:Bucket"
KEY = "govcloud:keys:Key"
ROLE = "govcloud:identity:Role"
POLICY = "govcloud:identity:Policy"
INSTANCE_PROFILE = "govcloud:identity:InstanceProfile"
SECRET = "govcloud:secrets:Secret"
QUEUE = "govcloud:messaging:Queue"
ZONE = "govcloud:dns:Zone"
RECORD = "govcloud:dns:Record"
CITY_CA = "govcloud:certificates:CityCA"
CERTIFICATE = "govcloud:certificates:Certificate"
PUBLIC_CERTIFICATE = "govcloud:certificates:PublicCertificate"
LOAD_BALANCER = "govcloud:loadbalancing:LoadBalancer"
TARGET_GROUP = "govcloud:loadbalancing:TargetGroup"
LISTENER = "govcloud:loadbalancing:Listener"
LISTENER_RULE = "govcloud:loadbalancing:ListenerRule"
LOG_GROUP = "govcloud:logs:LogGroup"

# The cloud cannot tag these (Route53 record sets; the CA is generated locally).
UNTAGGABLE = frozenset({RECORD, CITY_CA})
