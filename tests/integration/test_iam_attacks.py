"""A small city applied on a sandbox of its own, then attacked with IAM enforcement on.

Two departments (gzw, nyncj), each with an OA tenant, a sub-site and one system with a
database, are applied by `govcloud apply` while nothing is enforced. Then the sandbox
enforces IAM and every attack of the tenant-isolation review is played as the department's
own role (or its system's instance role): each is refused, and a positive control shows the
same session can do what it is there for. The sandbox evaluates resource ARNs for S3, IAM,
SQS and Secrets Manager and no conditions; what it cannot evaluate is proven on the
documents themselves (tests/unit/test_iam_documents.py).
"""
from __future__ import annotations

import base64
import functools
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from botocore.exceptions import ClientError

from govcloud.cloud import sandbox
from govcloud.cloud.compute import SECRET_LINE
from tests.integration.test_apply_support import PRODUCTS, REGIONS, Project, attach_sandbox, make_project, pages
from tests.integration.test_iam_support import Principal, create_admin, denied, let_admin_assume, set_auth

pytestmark = pytest.mark.integration

DEPARTMENTS = ("gzw", "nyncj")
SYSTEMS = {"gzw": "state-assets", "nyncj": "agri-traceability"}
PUBLIC_READ = {"Version": "2012-10-17", "Statement": [{
    "Effect": "Allow", "Principal": "*", "Action": "s3:GetObject", "Resource": "arn:aws-cn:s3:::{bucket}/*"}]}


@dataclass(frozen=True)
class City:
    project: Project
    endpoint: str
    outputs: dict[str, Any]
    admin: Principal
    roles: dict[str, Principal]       # department code → its role's session
    machines: dict[str, Principal]    # department code → its system's instance-role session

    def department(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.outputs["departments"][code]
        return found

    def system(self, code: str) -> dict[str, Any]:
        found: dict[str, Any] = self.department(code)["systems"][SYSTEMS[code]]["resources"]
        return found

    def secret(self, code: str) -> str:
        return str(self.outputs["databaseAdminSecrets"][f"{code}/systems/{SYSTEMS[code]}"])

    def instances(self, code: str) -> list[str]:
        ours = [{"Name": "tag:gov:department", "Values": [code]},
                {"Name": "tag:gov:stack", "Values": [self.project.stack]}]
        return [i["InstanceId"] for r in pages(self.admin.client("ec2"), "describe_instances", "Reservations",
                                                Filters=ours) for i in r["Instances"]]


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory, isolated_aws_env: None) -> Iterator[City]:
    state_dir = tmp_path_factory.mktemp("iam-sandbox") / ".govcloud"
    sandbox.up(state_dir, PRODUCTS)
    try:
        project = make_project(tmp_path_factory.mktemp("iam-city"), departments=DEPARTMENTS)
        endpoint = attach_sandbox(project, state_dir)
        result = project.cli_json("apply", "--stack", project.stack, "--yes")
        assert result["status"] == "ok", result["error"]
        outputs = result["outputs"]
        admin, admin_arn = create_admin(endpoint)
        iam = admin.client("iam")
        arns: dict[str, tuple[str, str]] = {}
        for code in DEPARTMENTS:
            role = outputs["departments"][code]["resources"]["role"]
            machine = outputs["departments"][code]["systems"][SYSTEMS[code]]["resources"]["instance-role"]
            for arn in (role, machine):
                let_admin_assume(iam, arn.rsplit("/", 1)[1], admin_arn)
            arns[code] = (role, machine)
        set_auth(endpoint, "0")
        yield City(project, endpoint, outputs, admin,
                   {code: admin.assume(role, code) for code, (role, _) in arns.items()},
                   {code: admin.assume(machine, f"{code}-db") for code, (_, machine) in arns.items()})
    finally:
        sandbox.down(state_dir)  # the process goes, and with it the enforcement


def _haystack(city: City) -> str:
    """Everything a tenant, an auditor or a log could see of the city, apart from secret values."""
    admin, seen = city.admin, []
    for region in REGIONS:
        ec2 = admin.client("ec2", region)
        for reservation in pages(ec2, "describe_instances", "Reservations"):
            for instance in reservation["Instances"]:
                data = ec2.describe_instance_attribute(InstanceId=instance["InstanceId"], Attribute="userData")
                seen.append(base64.b64decode(data.get("UserData", {}).get("Value", "")).decode())
                seen.append(json.dumps(instance, default=str))
        for operation, key in (("describe_tags", "Tags"), ("describe_security_groups", "SecurityGroups"),
                               ("describe_volumes", "Volumes"), ("describe_subnets", "Subnets")):
            seen.append(json.dumps(pages(ec2, operation, key), default=str))
        kms = admin.client("kms", region)
        for key in pages(kms, "list_keys", "Keys"):
            seen.append(json.dumps(kms.describe_key(KeyId=key["KeyId"]), default=str))
            seen.append(json.dumps(kms.list_resource_tags(KeyId=key["KeyId"]), default=str))
        logs = admin.client("logs", region)
        for group in pages(logs, "describe_log_groups", "logGroups"):
            seen.append(json.dumps([group, logs.list_tags_log_group(logGroupName=group["logGroupName"])], default=str))
        sqs = admin.client("sqs", region)
        for url in pages(sqs, "list_queues", "QueueUrls"):
            seen.append(json.dumps([sqs.list_queue_tags(QueueUrl=url), sqs.get_queue_attributes(
                QueueUrl=url, AttributeNames=["All"])], default=str))
        acm = admin.client("acm", region)
        for cert in pages(acm, "list_certificates", "CertificateSummaryList"):
            seen.append(json.dumps(acm.list_tags_for_certificate(CertificateArn=cert["CertificateArn"]), default=str))
        seen.append(json.dumps(pages(admin.client("secretsmanager", region), "list_secrets", "SecretList"),
                               default=str))
    s3 = admin.client("s3")
    for bucket in pages(s3, "list_buckets", "Buckets"):
        seen.append(json.dumps([s3.get_bucket_tagging(Bucket=bucket["Name"]), s3.get_bucket_policy(
            Bucket=bucket["Name"])], default=str))
    iam = admin.client("iam")
    for role in pages(iam, "list_roles", "Roles"):
        seen.append(json.dumps([role, iam.list_role_tags(RoleName=role["RoleName"])], default=str))
        for name in iam.list_role_policies(RoleName=role["RoleName"])["PolicyNames"]:
            seen.append(json.dumps(iam.get_role_policy(RoleName=role["RoleName"], PolicyName=name), default=str))
    for policy in pages(iam, "list_policies", "Policies", Scope="Local"):
        seen.append(json.dumps([policy, iam.get_policy_version(
            PolicyArn=policy["Arn"], VersionId=policy["DefaultVersionId"])], default=str))
    seen.append(json.dumps(pages(iam, "list_instance_profiles", "InstanceProfiles"), default=str))
    project = city.project
    seen.append(project.cli("state", "export", "--stack", project.stack).stdout)
    seen.extend(project.outputs)
    seen.extend(f.read_text(errors="replace") for f in (project.root / ".govcloud").rglob("*")
                if f.is_file() and f.name != "sandbox.json")
    return "\n".join(seen)


def test_no_generated_secret_is_in_user_data_tags_descriptions_outputs_or_state(city: City) -> None:
    values = {code: city.admin.client("secretsmanager").get_secret_value(SecretId=city.secret(code))["SecretString"]
              for code in DEPARTMENTS}
    assert all(len(v) >= 16 for v in values.values()) and len(set(values.values())) == len(values)
    haystack = _haystack(city)
    for code, value in values.items():
        # Searched where the secret's reference lives: its ARN is in the user data, its value nowhere.
        assert f"{SECRET_LINE}{city.secret(code)}" in haystack
        assert value not in haystack, code


def test_reading_another_departments_user_data_is_denied(city: City) -> None:
    ec2 = city.roles["gzw"].client("ec2")
    for instance in (*city.instances("nyncj"), *city.instances("gzw")):
        denied(functools.partial(ec2.describe_instance_attribute, InstanceId=instance, Attribute="userData"))
    denied(lambda: city.machines["gzw"].client("ec2").describe_instance_attribute(
        InstanceId=city.instances("nyncj")[0], Attribute="userData"))
    # Positive control: the machines of gzw's system read their database password where it lives.
    own = city.machines["gzw"].client("secretsmanager").get_secret_value(SecretId=city.secret("gzw"))
    assert own["SecretString"] == city.admin.client("secretsmanager").get_secret_value(
        SecretId=city.secret("gzw"))["SecretString"]


def test_the_admin_secret_is_readable_only_by_its_systems_machines(city: City) -> None:
    secret = city.secret("gzw")
    denied(lambda: city.roles["gzw"].client("secretsmanager").get_secret_value(SecretId=secret))
    denied(lambda: city.roles["nyncj"].client("secretsmanager").get_secret_value(SecretId=secret))
    denied(lambda: city.machines["nyncj"].client("secretsmanager").get_secret_value(SecretId=secret))
    machines = city.machines["gzw"].client("secretsmanager")
    denied(lambda: machines.put_secret_value(SecretId=secret, SecretString="chosen-by-an-attacker"))
    denied(lambda: machines.delete_secret(SecretId=secret, ForceDeleteWithoutRecovery=True))
    # Positive control: each system's machines read their own.
    assert city.machines["nyncj"].client("secretsmanager").get_secret_value(SecretId=city.secret("nyncj"))


def test_a_department_cannot_hijack_the_portal_or_another_site(city: City) -> None:
    elb = city.roles["gzw"].client("elbv2")
    listener = city.outputs["city"]["site/https"]
    others_rule = city.department("nyncj")["site"]["rule"]
    own_rule = city.department("gzw")["site"]["rule"]
    hijack = [{"Field": "host-header", "HostHeaderConfig": {"Values": ["www.foshan.gov.cn"]}}]
    denied(lambda: elb.modify_rule(RuleArn=others_rule, Conditions=hijack))
    denied(lambda: elb.modify_rule(RuleArn=own_rule, Conditions=hijack))
    denied(lambda: elb.delete_rule(RuleArn=others_rule))
    denied(lambda: elb.create_rule(ListenerArn=listener, Priority=999, Conditions=hijack, Actions=[
        {"Type": "fixed-response", "FixedResponseConfig": {"StatusCode": "200"}}]))
    denied(lambda: elb.modify_listener(ListenerArn=listener, Port=8443))
    # The shared listener serves the platform's public certificate, which names every sub-site.
    served = city.admin.client("elbv2").describe_listeners(ListenerArns=[listener])["Listeners"][0]
    certificate = served["Certificates"][0]["CertificateArn"]
    described = city.admin.client("acm").describe_certificate(CertificateArn=certificate)["Certificate"]
    assert described["Type"] == "AMAZON_ISSUED" and "*.foshan.gov.cn" in described["SubjectAlternativeNames"]
    denied(lambda: elb.modify_listener(ListenerArn=listener, Certificates=[{"CertificateArn": certificate}]))
    # Positive control: the department publishes its own site's content.
    content = city.department("gzw")["site"]["content"]
    city.roles["gzw"].client("s3").put_object(Bucket=content, Key="index.html", Body=b"<h1>gzw</h1>")
    denied(lambda: city.roles["gzw"].client("s3").put_object(
        Bucket=city.department("nyncj")["site"]["content"], Key="index.html", Body=b"defaced"))


def test_a_department_cannot_switch_off_its_obligations(city: City) -> None:
    s3, logs = city.roles["gzw"].client("s3"), city.roles["gzw"].client("logs")
    bucket, documents = city.system("gzw")["bucket"], city.department("gzw")["oa"]["documents"]
    denied(lambda: s3.delete_bucket_replication(Bucket=bucket))
    denied(lambda: s3.put_bucket_policy(Bucket=documents, Policy=json.dumps(PUBLIC_READ).replace(
        "{bucket}", documents)))
    denied(lambda: s3.delete_public_access_block(Bucket=documents))
    denied(lambda: s3.delete_bucket_policy(Bucket=documents))
    denied(lambda: s3.put_bucket_acl(Bucket=documents, ACL="public-read"))
    denied(lambda: s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Suspended"}))
    denied(lambda: s3.delete_bucket_encryption(Bucket=bucket))
    denied(lambda: s3.create_bucket(Bucket=f"{bucket}-shadow",
                                    CreateBucketConfiguration={"LocationConstraint": sandbox.PRIMARY_REGION}))
    log_group = city.system("gzw")["audit-log"]
    denied(lambda: logs.delete_log_group(logGroupName=log_group))
    denied(lambda: logs.put_retention_policy(logGroupName=log_group, retentionInDays=1))
    denied(lambda: logs.delete_retention_policy(logGroupName=log_group))
    # Everything the data-centre team put there is still there.
    admin = city.admin.client("s3")
    assert admin.get_bucket_replication(Bucket=bucket)["ReplicationConfiguration"]["Rules"]
    assert all(admin.get_public_access_block(Bucket=documents)["PublicAccessBlockConfiguration"].values())
    groups = city.admin.client("logs").describe_log_groups(logGroupNamePrefix=log_group)["logGroups"]
    assert groups[0]["retentionInDays"] >= 180
    # Positive control: the department files and reads its own documents.
    s3.put_object(Bucket=documents, Key="2026/notice.pdf", Body=b"%PDF gzw")
    assert s3.get_object(Bucket=documents, Key="2026/notice.pdf")["Body"].read() == b"%PDF gzw"
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=documents)["Contents"]] == ["2026/notice.pdf"]


def test_a_department_reaches_no_other_departments_data(city: City) -> None:
    gzw, s3 = city.roles["gzw"], city.roles["gzw"].client("s3")
    others = city.department("nyncj")["oa"]["documents"]
    city.roles["nyncj"].client("s3").put_object(Bucket=others, Key="secret.pdf", Body=b"nyncj")
    denied(lambda: s3.get_object(Bucket=others, Key="secret.pdf"))
    denied(lambda: s3.list_objects_v2(Bucket=others))
    denied(lambda: s3.put_object(Bucket=city.system("nyncj")["bucket"], Key="x", Body=b"x"))
    sqs = gzw.client("sqs")
    denied(lambda: sqs.send_message(QueueUrl=city.department("nyncj")["oa"]["mailbox"], MessageBody="x"))
    # Positive control: its own mailbox on the document exchange works.
    assert sqs.send_message(QueueUrl=city.department("gzw")["oa"]["mailbox"], MessageBody="公文")["MessageId"]
    # And credentials nobody issued are refused outright.
    forged = Principal(city.endpoint, {"AccessKeyId": "AKIAFORGED", "SecretAccessKey": "x"})
    with pytest.raises(ClientError) as refused:
        forged.client("s3").list_objects_v2(Bucket=city.department("gzw")["oa"]["documents"])
    assert refused.value.response["Error"]["Code"] == "InvalidAccessKeyId"


def test_platform_keys_dr_role_and_zone_are_out_of_reach(city: City) -> None:
    gzw = city.roles["gzw"]
    own_key = city.department("gzw")["resources"]["key"]
    denied(lambda: gzw.client("kms").schedule_key_deletion(KeyId=own_key, PendingWindowInDays=7))
    denied(lambda: gzw.client("kms").disable_key(KeyId=city.outputs["city"]["key"]))
    replication = city.outputs["city"]["replication-role"].rsplit("/", 1)[1]
    iam = gzw.client("iam")
    denied(lambda: iam.update_assume_role_policy(RoleName=replication, PolicyDocument="{}"))
    own_role = city.department("gzw")["resources"]["role"].rsplit("/", 1)[1]
    denied(lambda: iam.put_role_policy(RoleName=own_role, PolicyName="escalate", PolicyDocument=json.dumps({
        "Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": "*", "Resource": "*"}]})))
    denied(lambda: gzw.client("sts").assume_role(RoleArn=city.outputs["city"]["replication-role"],
                                                  RoleSessionName="escalation"))
    denied(lambda: gzw.client("route53").change_resource_record_sets(
        HostedZoneId=city.outputs["city"]["site/zone"], ChangeBatch={"Changes": [{"Action": "UPSERT",
            "ResourceRecordSet": {"Name": "www.foshan.gov.cn", "Type": "A", "TTL": 60,
                                  "ResourceRecords": [{"Value": "203.0.113.9"}]}}]}))
    # Positive control: the same session still reads its own system's bucket.
    assert "KeyCount" in gzw.client("s3").list_objects_v2(Bucket=city.system("gzw")["bucket"])
