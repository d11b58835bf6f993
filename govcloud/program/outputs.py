"""Stack and component outputs: endpoints and a summary per department.

No secret value is an output: the databases' admin passwords live only in the cloud's
secret store, and `databaseAdminSecrets` names where (system → secret ARN).
"""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import pulumi

from govcloud.graph import Component, Graph, Node, tokens
from govcloud.graph import city as platform

# What a node contributes to a summary: an output of the resource, or ("input", key).
_SUMMARY: dict[str, str | tuple[str, str]] = {
    tokens.VPC: "vpc_id",
    tokens.SUBNET: "subnet_id",
    tokens.SECURITY_GROUP: "group_id",
    tokens.INSTANCE: "private_ip",
    tokens.VOLUME: "volume_id",
    tokens.BUCKET: ("input", "name"),
    tokens.KEY: "arn",
    tokens.ROLE: "arn",
    tokens.POLICY: "arn",
    tokens.INSTANCE_PROFILE: "arn",
    tokens.SECRET: "arn",
    tokens.QUEUE: "url",
    tokens.ZONE: "zone_id",
    tokens.RECORD: ("input", "name"),
    tokens.CITY_CA: "not_after",
    tokens.CERTIFICATE: "arn",
    tokens.PUBLIC_CERTIFICATE: "arn",
    tokens.LOAD_BALANCER: "dns_name",
    tokens.TARGET_GROUP: "arn",
    tokens.LISTENER: "arn",
    tokens.LISTENER_RULE: "arn",
    tokens.LOG_GROUP: ("input", "name"),
}


def _value(node: Node, resources: Mapping[str, pulumi.CustomResource]) -> Any:
    how = _SUMMARY[node.type]
    if isinstance(how, tuple):
        return node.inputs[how[1]]
    return getattr(resources[node.name], how)


def component_outputs(
    graph: Graph, component: Component, resources: Mapping[str, pulumi.CustomResource]
) -> dict[str, Any]:
    """`{node name relative to the component: its main output}` for the component's own nodes."""
    prefix = f"{component.name}/"
    return {
        node.name.removeprefix(prefix): _value(node, resources)
        for node in graph.in_component(component.name)
    }


def _system(graph: Graph, component: Component, resources: Mapping[str, pulumi.CustomResource]) -> dict[str, Any]:
    subnet = graph.node(f"{component.name}/subnet")
    return {
        "cidr": subnet.inputs["cidr"],
        "mlps": int(subnet.tags["gov:mlps"]),
        "resources": component_outputs(graph, component, resources),
    }


def _departments(graph: Graph, resources: Mapping[str, pulumi.CustomResource]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for c in graph.components:
        if c.kind == "Department":
            found[c.name] = {"resources": component_outputs(graph, c, resources), "systems": {}}
    for c in graph.components:
        if c.department is None or c.kind == "Department":
            continue
        summary = found[c.department]
        if c.kind == "System":
            assert c.system is not None
            summary["systems"][c.system] = _system(graph, c, resources)
        else:
            summary["oa" if c.kind == "OATenant" else "site"] = component_outputs(graph, c, resources)
    return found


def _admin_secrets(graph: Graph, resources: Mapping[str, Any]) -> dict[str, Any]:
    """`{system component: ARN of its database admin secret}`."""
    return {node.component: resources[node.name].arn for node in graph.of_type(tokens.SECRET)}


def stack_outputs(graph: Graph, resources: Mapping[str, pulumi.CustomResource]) -> dict[str, Any]:
    return {**city_outputs(graph, resources), **department_outputs(graph, resources)}


def city_outputs(graph: Graph, resources: Mapping[str, Any]) -> dict[str, Any]:
    """Endpoints, networks and the City's resources: the platform's part of the outputs."""
    city_component = graph.component(platform.COMPONENT)
    domain = graph.node(platform.ZONE).inputs["name"]
    sites = {
        c.department: f"https://{graph.node(f'{c.name}/record').inputs['name']}"
        for c in graph.components if c.kind == "SiteTenant"
    }
    outputs: dict[str, Any] = {
        "endpoints": {
            "portal": f"https://www.{domain}",
            "siteLoadBalancer": resources[platform.LOAD_BALANCER].dns_name,
            "nameServers": resources[platform.ZONE].name_servers,
            "documentExchange": resources[platform.DOCUMENT_EXCHANGE].url,
            "sites": sites,
        },
        "networks": {
            network: {"sharedZone": graph.node(node).inputs["cidr"],
                      "vpcId": resources[node].vpc_id}
            for network, node in platform.NETWORK_NODES.items()
        },
        "city": component_outputs(graph, city_component, resources),
    }
    return outputs


def department_outputs(graph: Graph, resources: Mapping[str, Any]) -> dict[str, Any]:
    """A summary per department of `graph`, and where its databases' admin secrets are."""
    outputs: dict[str, Any] = {"departments": _departments(graph, resources)}
    admin_secrets = _admin_secrets(graph, resources)
    if admin_secrets:
        outputs["databaseAdminSecrets"] = admin_secrets
    return outputs
