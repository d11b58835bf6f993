"""DNS providers: Route53 hosted zones and record sets."""
from __future__ import annotations

import uuid
from typing import Any

from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource, delete_if_there, retried
from govcloud.cloud.types import RECORD, ZONE


def _domain(name: str) -> str:
    """A DNS name as the cloud reports it: lower case, no trailing dot."""
    return name.lower().rstrip(".")


def _fqdn(name: str) -> str:
    return _domain(name) + "."


def _zone_id(raw: str) -> str:
    return raw.rsplit("/", 1)[-1]


class ZoneProvider(CloudProvider):
    rtype = ZONE

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "name": _domain(props["name"])}

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        name = _domain(props["name"])
        if "." not in name:
            return [("name", f"must be a domain such as foshan.gov.cn, got {name!r}")]
        return []

    def _tags(self, route53: Any, zone_id: str) -> dict[str, str]:
        found = route53.list_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id)
        return tagging.from_aws(found["ResourceTagSet"].get("Tags"))

    def find_existing(self, props: dict[str, Any]) -> str | None:
        return self._lookup(props, untagged_is_ours=False)

    def find_interrupted(self, props: dict[str, Any]) -> str | None:
        # A create killed before change_tags_for_resource leaves the zone untagged; its
        # caller reference, which starts with our idempotency key, still says it is ours.
        return self._lookup(props, untagged_is_ours=True)

    def _caller_prefix(self, props: dict[str, Any]) -> str:
        return tagging.idempotency_key(self.rtype.token, props, self.rtype.replace_props) + ":"

    def _lookup(self, props: dict[str, Any], *, untagged_is_ours: bool) -> str | None:
        # Route53 allows several zones of one name: adopt only the one carrying our tags.
        route53 = self.client("route53", props["region"])
        zones = route53.list_hosted_zones_by_name(DNSName=_fqdn(props["name"]))["HostedZones"]
        for zone in zones:
            if zone["Name"] == _fqdn(props["name"]):
                zone_id = _zone_id(zone["Id"])
                tags = self._tags(route53, zone_id)
                if tagging.is_ours(tags, props["tags"]):
                    return zone_id
                if (untagged_is_ours and not tags
                        and str(zone.get("CallerReference", "")).startswith(self._caller_prefix(props))):
                    return zone_id
        return None

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        route53 = self.client("route53", props["region"])
        args: dict[str, Any] = {
            # Unique per request (Route53 wants that), prefixed so a half-made zone can be found.
            "Name": props["name"], "CallerReference": self._caller_prefix(props) + str(uuid.uuid4()),
            "HostedZoneConfig": {"Comment": props["comment"], "PrivateZone": bool(props.get("vpc_id"))},
        }
        if props.get("vpc_id"):
            args["VPC"] = {"VPCRegion": props["region"], "VPCId": props["vpc_id"]}
        created = route53.create_hosted_zone(**args)
        zone_id = _zone_id(created["HostedZone"]["Id"])
        if retried(created):
            # Route53 answers a repeated caller reference with HostedZoneAlreadyExists (which
            # the base adopts); a cloud that makes a second zone instead (the sandbox does) has
            # a twin of the same reference to drop.
            for zone in route53.list_hosted_zones_by_name(DNSName=_fqdn(props["name"]))["HostedZones"]:
                if zone.get("CallerReference") == args["CallerReference"] and _zone_id(zone["Id"]) != zone_id:
                    delete_if_there(route53.delete_hosted_zone, Id=zone["Id"])
        route53.change_tags_for_resource(ResourceType="hostedzone", ResourceId=zone_id,
                                         AddTags=tagging.to_aws(props["tags"]))
        servers = created.get("DelegationSet", {}).get("NameServers", [])
        return zone_id, {"zone_id": zone_id, "name_servers": servers}

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        route53 = self.client("route53", props["region"])
        found = route53.get_hosted_zone(Id=id_)
        zone = found["HostedZone"]
        vpcs = found.get("VPCs", [])
        result = {
            "name": zone["Name"].rstrip("."), "comment": zone.get("Config", {}).get("Comment", ""),
            "force_destroy": props.get("force_destroy", False), "region": props["region"],
            "tags": self._tags(route53, id_), "zone_id": id_,
            "name_servers": found.get("DelegationSet", {}).get("NameServers", []),
        }
        if vpcs:
            result["vpc_id"] = vpcs[0]["VPCId"]
        return result

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        route53 = self.client("route53", news["region"])
        if olds.get("comment") != news["comment"]:
            route53.update_hosted_zone_comment(Id=id_, Comment=news["comment"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set or to_remove:
            change: dict[str, Any] = {"ResourceType": "hostedzone", "ResourceId": id_}
            if to_set:
                change["AddTags"] = tagging.to_aws(to_set)
            if to_remove:
                change["RemoveTagKeys"] = to_remove
            route53.change_tags_for_resource(**change)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        route53 = self.client("route53", props["region"])
        if props.get("force_destroy"):
            apex = _fqdn(props["name"])
            doomed = [
                {"Action": "DELETE", "ResourceRecordSet": record}
                for page in route53.get_paginator("list_resource_record_sets").paginate(HostedZoneId=id_)
                for record in page["ResourceRecordSets"]
                if not (record["Name"] == apex and record["Type"] in ("SOA", "NS"))
            ]
            if doomed:
                route53.change_resource_record_sets(HostedZoneId=id_, ChangeBatch={"Changes": doomed})
        route53.delete_hosted_zone(Id=id_)


def _record_set(props: dict[str, Any]) -> dict[str, Any]:
    record: dict[str, Any] = {"Name": _fqdn(props["name"]), "Type": props["type"]}
    if props.get("alias"):
        record["AliasTarget"] = {"DNSName": props["alias"]["dns_name"],
                                 "HostedZoneId": props["alias"]["zone_id"],
                                 "EvaluateTargetHealth": False}
    else:
        record["TTL"] = props["ttl"]
        record["ResourceRecords"] = [{"Value": v} for v in props["values"]]
    return record


class RecordProvider(CloudProvider):
    rtype = RECORD

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "name": _domain(props["name"])}

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        alias = props.get("alias")
        if alias is not None and not {"dns_name", "zone_id"} <= alias.keys():
            return [("alias", "needs dns_name and zone_id")]
        if alias is None and not props["values"]:
            return [("values", "a record needs values or an alias")]
        return []

    def _change(self, action: str, props: dict[str, Any], record: dict[str, Any]) -> None:
        self.client("route53", props["region"]).change_resource_record_sets(
            HostedZoneId=props["zone_id"],
            ChangeBatch={"Changes": [{"Action": action, "ResourceRecordSet": record}]})

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        # UPSERT: a re-run after a crash overwrites its own half-done record.
        self._change("UPSERT", props, _record_set(props))
        return f"{props['zone_id']}|{props['name']}|{props['type']}", {"fqdn": props["name"]}

    def _current(self, props: dict[str, Any]) -> dict[str, Any] | None:
        route53 = self.client("route53", props["region"])
        found = route53.list_resource_record_sets(
            HostedZoneId=props["zone_id"], StartRecordName=_fqdn(props["name"]),
            StartRecordType=props["type"], MaxItems="1")["ResourceRecordSets"]
        if found and found[0]["Name"] == _fqdn(props["name"]) and found[0]["Type"] == props["type"]:
            return dict(found[0])
        return None

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        zone_id, name, type_ = id_.split("|")
        record = self._current({**props, "zone_id": zone_id, "name": name, "type": type_})
        if record is None:
            return None
        result: dict[str, Any] = {
            "zone_id": zone_id, "name": name, "type": type_, "region": props["region"],
            "ttl": record.get("TTL", props.get("ttl", 300)),
            "values": [r["Value"] for r in record.get("ResourceRecords", [])], "fqdn": name,
        }
        if record.get("AliasTarget"):
            result["alias"] = {"dns_name": record["AliasTarget"]["DNSName"],
                               "zone_id": record["AliasTarget"]["HostedZoneId"]}
        return result

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        self._change("UPSERT", news, _record_set(news))
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        zone_id, name, type_ = id_.split("|")
        where = {**props, "zone_id": zone_id, "name": name, "type": type_}
        record = self._current(where)
        if record is not None:  # DELETE must repeat the record exactly as it is now
            self._change("DELETE", where, record)


class Zone(CloudResource, module="govcloud/dns", name="Zone"):
    rtype = ZONE
    provider_class = ZoneProvider
    zone_id: Output[str]
    name_servers: Output[list[str]]


class Record(CloudResource, module="govcloud/dns", name="Record"):
    rtype = RECORD
    provider_class = RecordProvider
    fqdn: Output[str]


