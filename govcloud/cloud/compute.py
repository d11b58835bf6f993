"""Compute providers: instances launched from approved images, EBS volumes."""
from __future__ import annotations

from typing import Any

from botocore.exceptions import ClientError
from pulumi import Output

from govcloud.cloud import ec2 as conventions
from govcloud.cloud.clients import arn
from govcloud.cloud.provider import CloudProvider, CloudResource, delete_if_there, retried
from govcloud.cloud.types import INSTANCE, VOLUME
from govcloud.errors import GovcloudError

_LIVE_STATES = ["pending", "running", "stopping", "stopped"]
# Waiters poll at once and then every two seconds: a fast cloud is never slept on.
_WAIT = {"Delay": 2, "MaxAttempts": 150}
# The line a database image's first-boot script reads the ARN of its admin password's secret
# from; it fetches the value with the instance profile's credentials. No value is in user data.
SECRET_LINE = "GOVCLOUD_ADMIN_SECRET_ARN="


def boot_user_data(props: dict[str, Any]) -> str:
    """The user data an instance boots with: the user's, plus where its admin secret lives."""
    user_data = str(props["user_data"])
    if props.get("admin_secret_arn"):
        user_data = f"{user_data}\n{SECRET_LINE}{props['admin_secret_arn']}\n".lstrip("\n")
    return user_data


def resolve_image(ec2: Any, product: str, region: str) -> dict[str, Any]:
    """The newest AMI named after an approved product id (the sandbox seeds them)."""
    images = ec2.describe_images(Filters=[{"Name": "name", "Values": [product]}])["Images"]
    if not images:
        raise GovcloudError(
            f"image '{product}' is not registered in {region}",
            rule="GC-CLOUD", exit_code=1,
            hint="register the approved images (the sandbox seeds them on `govcloud sandbox up`)")
    newest: dict[str, Any] = max(images, key=lambda i: str(i.get("CreationDate", "")))
    return newest


class InstanceProvider(CloudProvider):
    rtype = INSTANCE

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "security_group_ids": sorted(props["security_group_ids"])}

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if props["root_volume_gib"] < 8:
            return [("root_volume_gib", f"must be at least 8, got {props['root_volume_gib']}")]
        return []

    def find_existing(self, props: dict[str, Any]) -> str | None:
        found = self._keyed(self.client("ec2", props["region"]), props)
        return found[0] if found else None

    def _keyed(self, ec2: Any, props: dict[str, Any]) -> list[str]:
        """The live instances an earlier create of these props launched."""
        # The subnet first: the sandbox evaluates filters in order, and a tag filter costs
        # a scan of every tag per instance (quadratic in a city-sized cloud).
        filters = [{"Name": "subnet-id", "Values": [props["subnet_id"]]},
                   *conventions.key_filter(self.rtype, props),
                   {"Name": "instance-state-name", "Values": _LIVE_STATES}]
        return [str(instance["InstanceId"]) for reservation in ec2.describe_instances(Filters=filters)["Reservations"]
                for instance in reservation["Instances"]]

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = props["region"]
        ec2 = self.client("ec2", region)
        image = self.remembered(region, ("image", props["image"]),
                                lambda: resolve_image(ec2, props["image"], region))
        tags = conventions.wanted_tags(self.rtype, props)
        extra: dict[str, Any] = {}
        if props.get("iam_instance_profile_arn"):
            extra["IamInstanceProfile"] = {"Arn": props["iam_instance_profile_arn"]}
        answer = ec2.run_instances(
            ImageId=image["ImageId"], InstanceType=props["instance_type"],
            SubnetId=props["subnet_id"], SecurityGroupIds=props["security_group_ids"],
            MinCount=1, MaxCount=1, UserData=boot_user_data(props), **extra,
            # A retried request after a timeout must not launch a second machine.
            ClientToken=tags["govcloud:key"],
            BlockDeviceMappings=[{
                "DeviceName": image.get("RootDeviceName", "/dev/sda1"),
                "Ebs": {"VolumeSize": props["root_volume_gib"], "DeleteOnTermination": True},
            }],
            TagSpecifications=[*conventions.tag_specifications("instance", tags),
                               *conventions.tag_specifications("volume", props["tags"])],
        )
        launched = answer["Instances"][0]
        instance_id = str(launched["InstanceId"])
        if retried(answer):
            # A cloud that ignores the token (the sandbox does) launched a twin for the attempt
            # whose answer was lost: it carries our key tag and nothing uses it yet.
            twins = [i for i in self._keyed(ec2, props) if i != instance_id]
            if twins:
                ec2.terminate_instances(InstanceIds=twins)
        ec2.get_waiter("instance_running").wait(InstanceIds=[instance_id], WaiterConfig=_WAIT)
        return instance_id, {
            "instance_id": instance_id, "image_id": image["ImageId"],
            "arn": arn("ec2", region, self.account(region), f"instance/{instance_id}"),
            "private_ip": launched.get("PrivateIpAddress", ""),
            "availability_zone": launched["Placement"]["AvailabilityZone"],
        }

    def _describe(self, ec2: Any, id_: str) -> dict[str, Any] | None:
        for reservation in ec2.describe_instances(InstanceIds=[id_])["Reservations"]:
            for instance in reservation["Instances"]:
                if instance["State"]["Name"] in _LIVE_STATES:
                    return dict(instance)
        return None

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        region = props["region"]
        ec2 = self.client("ec2", region)
        instance = self._describe(ec2, id_)
        if instance is None:
            return None
        images = ec2.describe_images(ImageIds=[instance["ImageId"]])["Images"]
        name, tags = conventions.name_and_tags(instance.get("Tags"))
        profile = instance.get("IamInstanceProfile", {}).get("Arn")
        return {
            **props,  # root size, user data and the secret's ARN are not read back
            "iam_instance_profile_arn": profile,
            "name": name, "image": images[0]["Name"] if images else props.get("image"),
            "instance_type": instance["InstanceType"], "subnet_id": instance.get("SubnetId"),
            "security_group_ids": sorted(g["GroupId"] for g in instance.get("SecurityGroups", [])),
            "tags": tags, "instance_id": id_, "image_id": instance["ImageId"],
            "arn": arn("ec2", region, self.account(region), f"instance/{id_}"),
            "private_ip": instance.get("PrivateIpAddress", ""),
            "availability_zone": instance["Placement"]["AvailabilityZone"],
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ec2 = self.client("ec2", news["region"])
        conventions.retag(ec2, id_, olds, news)
        if olds.get("instance_type") != news["instance_type"]:
            # The type of a running instance cannot change: stop, change, start.
            ec2.stop_instances(InstanceIds=[id_])
            ec2.get_waiter("instance_stopped").wait(InstanceIds=[id_], WaiterConfig=_WAIT)
            ec2.modify_instance_attribute(InstanceId=id_, InstanceType={"Value": news["instance_type"]})
            ec2.start_instances(InstanceIds=[id_])
            ec2.get_waiter("instance_running").wait(InstanceIds=[id_], WaiterConfig=_WAIT)
        if sorted(olds.get("security_group_ids", [])) != news["security_group_ids"] and news["security_group_ids"]:
            ec2.modify_instance_attribute(InstanceId=id_, Groups=news["security_group_ids"])
        if olds.get("iam_instance_profile_arn") != news.get("iam_instance_profile_arn"):
            self._set_profile(ec2, id_, news.get("iam_instance_profile_arn"))
        return {}

    def _set_profile(self, ec2: Any, id_: str, profile_arn: str | None) -> None:
        """Associate `profile_arn` with the running instance (replacing any), or none."""
        associations = [a for a in ec2.describe_iam_instance_profile_associations(
            Filters=[{"Name": "instance-id", "Values": [id_]}])["IamInstanceProfileAssociations"]
            if a.get("State") in ("associating", "associated")]
        if profile_arn and associations:
            ec2.replace_iam_instance_profile_association(
                IamInstanceProfile={"Arn": profile_arn}, AssociationId=associations[0]["AssociationId"])
        elif profile_arn:
            ec2.associate_iam_instance_profile(IamInstanceProfile={"Arn": profile_arn}, InstanceId=id_)
        else:
            for association in associations:
                ec2.disassociate_iam_instance_profile(AssociationId=association["AssociationId"])

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        ec2 = self.client("ec2", props["region"])
        if self._describe(ec2, id_) is None:
            return
        ec2.terminate_instances(InstanceIds=[id_])
        # Subnets and security groups can only go once their instances are gone.
        ec2.get_waiter("instance_terminated").wait(InstanceIds=[id_], WaiterConfig=_WAIT)


class VolumeProvider(CloudProvider):
    rtype = VOLUME

    def canonical(self, props: dict[str, Any]) -> dict[str, Any]:
        return {**props, "encrypted": True} if props.get("kms_key_id") else props

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if not 1 <= props["size_gib"] <= 16384:
            return [("size_gib", f"must be 1..16384, got {props['size_gib']}")]
        return []

    def find_existing(self, props: dict[str, Any]) -> str | None:
        found = self._keyed(self.client("ec2", props["region"]), props)
        return found[0] if found else None

    def _keyed(self, ec2: Any, props: dict[str, Any]) -> list[str]:
        """The live volumes an earlier create of these props made."""
        # Tags first, then the volumes they name: filtering volumes by tag costs the sandbox
        # a scan of every tag per volume (quadratic in a city-sized cloud).
        key = conventions.key_filter(self.rtype, props)[0]
        tagged = ec2.describe_tags(Filters=[
            {"Name": "resource-type", "Values": ["volume"]},
            {"Name": "key", "Values": [key["Name"].removeprefix("tag:")]},
            {"Name": "value", "Values": key["Values"]}])["Tags"]
        if not tagged:
            return []
        filters = [{"Name": "volume-id", "Values": sorted({t["ResourceId"] for t in tagged})},
                   {"Name": "status", "Values": ["creating", "available", "in-use"]}]
        return [str(v["VolumeId"]) for v in ec2.describe_volumes(Filters=filters)["Volumes"]]

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        region = props["region"]
        ec2 = self.client("ec2", region)
        tags = conventions.wanted_tags(self.rtype, props)
        args: dict[str, Any] = {
            "AvailabilityZone": props["availability_zone"], "Size": props["size_gib"],
            "VolumeType": props["volume_type"], "Encrypted": props["encrypted"],
            "ClientToken": tags["govcloud:key"],
            "TagSpecifications": conventions.tag_specifications("volume", tags),
        }
        if props.get("kms_key_id"):
            args["KmsKeyId"] = props["kms_key_id"]
        created = ec2.create_volume(**args)
        volume_id = str(created["VolumeId"])
        if retried(created):
            # As for an instance: a cloud that ignores the token made a twin, ours by its key tag.
            for twin in self._keyed(ec2, props):
                if twin != volume_id:
                    delete_if_there(ec2.delete_volume, VolumeId=twin)
        if created.get("State") != "available":  # a cloud that answers "creating": wait
            ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=_WAIT)
        if props.get("instance_id"):
            self._attach(ec2, volume_id, props)
        return volume_id, {"volume_id": volume_id,
                           "arn": arn("ec2", region, self.account(region), f"volume/{volume_id}")}

    def _attach(self, ec2: Any, volume_id: str, props: dict[str, Any]) -> None:
        try:
            ec2.attach_volume(VolumeId=volume_id, InstanceId=props["instance_id"], Device=props["device"])
        except ClientError as e:
            # A retried call whose first attempt landed is refused as the volume being in use:
            # by this instance, at this device.
            attached = [(a["InstanceId"], a["Device"]) for a in (self._describe(ec2, volume_id) or {}).get(
                "Attachments", []) if a.get("State") in ("attaching", "attached")]
            if not (retried(e.response) and attached == [(props["instance_id"], props["device"])]):
                raise
        ec2.get_waiter("volume_in_use").wait(VolumeIds=[volume_id], WaiterConfig=_WAIT)

    def _detach(self, ec2: Any, volume_id: str) -> None:
        volume = self._describe(ec2, volume_id) or {}
        for attachment in volume.get("Attachments", []):
            # The API allows omitting the instance; some clouds (and the sandbox) need it.
            ec2.detach_volume(VolumeId=volume_id, InstanceId=attachment["InstanceId"],
                              Device=attachment["Device"])
        ec2.get_waiter("volume_available").wait(VolumeIds=[volume_id], WaiterConfig=_WAIT)

    def _describe(self, ec2: Any, id_: str) -> dict[str, Any] | None:
        volumes = ec2.describe_volumes(VolumeIds=[id_])["Volumes"]
        live = [v for v in volumes if v["State"] not in ("deleting", "deleted")]
        return dict(live[0]) if live else None

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        region = props["region"]
        volume = self._describe(self.client("ec2", region), id_)
        if volume is None:
            return None
        name, tags = conventions.name_and_tags(volume.get("Tags"))
        attached = [a for a in volume.get("Attachments", []) if a.get("State") in ("attaching", "attached")]
        return {
            "name": name, "availability_zone": volume["AvailabilityZone"],
            "size_gib": volume["Size"], "volume_type": volume["VolumeType"],
            "encrypted": volume["Encrypted"],
            # Without a key of ours the cloud's default key is used: not drift.
            "kms_key_id": volume.get("KmsKeyId") if props.get("kms_key_id") else None,
            "instance_id": attached[0]["InstanceId"] if attached else None,
            "device": attached[0]["Device"] if attached else props.get("device", "/dev/sdf"),
            "region": region, "tags": tags, "volume_id": id_,
            "arn": arn("ec2", region, self.account(region), f"volume/{id_}"),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        ec2 = self.client("ec2", news["region"])
        conventions.retag(ec2, id_, olds, news)
        if olds.get("size_gib") != news["size_gib"] or olds.get("volume_type") != news["volume_type"]:
            if news["size_gib"] < olds.get("size_gib", 0):
                raise GovcloudError(
                    f"volume '{news['name']}' cannot shrink from {olds['size_gib']} to "
                    f"{news['size_gib']} GiB", rule="GC-CLOUD", exit_code=1)
            ec2.modify_volume(VolumeId=id_, Size=news["size_gib"], VolumeType=news["volume_type"])
        old_at = (olds.get("instance_id"), olds.get("device"))
        new_at = (news.get("instance_id"), news.get("device"))
        if old_at != new_at:
            if olds.get("instance_id"):
                self._detach(ec2, id_)
            if news.get("instance_id"):
                self._attach(ec2, id_, news)
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        ec2 = self.client("ec2", props["region"])
        volume = self._describe(ec2, id_)
        if volume is None:
            return
        if any(a.get("State") in ("attaching", "attached") for a in volume.get("Attachments", [])):
            self._detach(ec2, id_)
        ec2.delete_volume(VolumeId=id_)


class Instance(CloudResource, module="govcloud/compute", name="Instance"):
    rtype = INSTANCE
    provider_class = InstanceProvider
    instance_id: Output[str]
    arn: Output[str]
    image_id: Output[str]
    private_ip: Output[str]
    availability_zone: Output[str]


class Volume(CloudResource, module="govcloud/compute", name="Volume"):
    rtype = VOLUME
    provider_class = VolumeProvider
    volume_id: Output[str]
    arn: Output[str]
