"""The cloud's naming rules: each accepts what the service accepts and refuses, with a
reason, what it refuses (the sandbox accepts nearly everything, so these are the only guard)."""
from __future__ import annotations

import pytest

from govcloud.errors import GovcloudError
from govcloud.graph.names import Names, checked, fit
from govcloud.schema import cloudnames

ACCEPTED = [
    ("bucket", "foshan-sandbox-slj-river-monitoring"),
    ("bucket", "a.b-c"),
    ("bucket", "abc"),
    ("bucket", "a" * 63),
    ("security-group-name", "foshan-sandbox/slj/systems/river/security-group"),
    ("security-group-description", "system river-monitoring of department slj"),
    ("iam-role-name", "foshan-sandbox-slj"),
    ("iam-policy-name", "p" * 128),
    ("iam-description", "workloads of department slj: café"),
    ("dns-name", "slj.foshan.gov.cn"),
    ("dns-name", ".".join(["a" * 63] * 3) + "." + "a" * 61),
    ("certificate-name", "www." + "a" * 53 + ".gov.cn"),
    ("certificate-subject", "佛山市政务CA"),
    ("elb-name", "foshan-sandbox-city-site"),
    ("queue-name", "foshan-sandbox-slj--mailbox"),
    ("log-group", "/govcloud/foshan-sandbox/slj/systems/river-monitoring"),
    ("kms-alias", "alias/govcloud/foshan-sandbox/slj/key"),
    ("kms-description", "佛山市水利局 data at rest"),
    ("zone-comment", "佛山市 government sites"),
    ("tag-key", "gov:department"),
    ("tag-value", "河道水情监测系统"),
    ("tag-value", ""),
    ("secret-name", "govcloud/foshan-sandbox/slj/river-monitoring/db-admin"),
    ("secret-description", "database admin password of system river-monitoring of department slj"),
]

REFUSED = [
    ("bucket", "ab", "is shorter than 3 characters"),
    ("bucket", "a" * 64, "is 64 characters; the limit is 63"),
    ("bucket", "Foshan", "may hold only lowercase letters, digits, dots and hyphens"),
    ("bucket", "foshan-", "must start and end with a letter or digit"),
    ("bucket", "-foshan", "must start and end with a letter or digit"),
    ("bucket", "a..b", "must not contain two adjacent dots"),
    ("bucket", "192.168.5.4", "must not be formatted as an IP address"),
    ("bucket", "xn--foshan", "must not start with 'xn--'"),
    ("bucket", "sthree-foshan", "must not start with 'sthree-'"),
    ("bucket", "amzn-s3-demo-foshan", "must not start with 'amzn-s3-demo-'"),
    ("bucket", "foshan-s3alias", "must not end with '-s3alias'"),
    ("bucket", "foshan--ol-s3", "must not end with '--ol-s3'"),
    ("bucket", "foshan.mrap", "must not end with '.mrap'"),
    ("bucket", "foshan--x-s3", "must not end with '--x-s3'"),
    ("bucket", "foshan\n", "may hold only lowercase letters, digits, dots and hyphens"),
    ("security-group-name", "sg-foshan", "must not start with 'sg-'"),
    ("security-group-name", "x" * 256, "is 256 characters; the limit is 255"),
    ("security-group-name", "", "is empty"),
    ("security-group-description", "河道水情监测系统 (市水利局)",
     "may hold only ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"),
    ("security-group-description", "d" * 256, "is 256 characters; the limit is 255"),
    ("iam-role-name", "r" * 65, "is 65 characters; the limit is 64"),
    ("iam-role-name", "foshan/slj", "may hold only ASCII letters, digits and _+=,.@-"),
    ("iam-policy-name", "p" * 129, "is 129 characters; the limit is 128"),
    ("iam-description", "市水利局 workloads", "may hold only Latin-1 characters (no Chinese)"),
    ("iam-description", "d" * 1001, "is 1001 characters; the limit is 1000"),
    ("dns-name", "a" * 64 + ".gov.cn", "has a label of 64 characters; the limit is 63"),
    ("dns-name", ".".join(["a" * 63] * 4), "is 255 characters; the limit is 253"),
    ("dns-name", "slj-.foshan.gov.cn", "has an invalid label 'slj-' (letters, digits and inner hyphens only)"),
    ("dns-name", "slj..gov.cn", "has an invalid label '' (letters, digits and inner hyphens only)"),
    ("certificate-name", "www." + "a" * 54 + ".gov.cn",
     "is 65 characters; a certificate's common name holds at most 64"),
    ("certificate-subject", "佛" * 65, "is 65 characters; the limit is 64"),
    ("elb-name", "e" * 33, "is 33 characters; the limit is 32"),
    ("elb-name", "-site", "may hold only letters, digits and inner hyphens"),
    ("elb-name", "site-", "may hold only letters, digits and inner hyphens"),
    ("elb-name", "site_a", "may hold only letters, digits and inner hyphens"),
    ("elb-name", "internal-site", "must not start with 'internal-'"),
    ("queue-name", "q" * 81, "is 81 characters; the limit is 80"),
    ("queue-name", "a.b", "may hold only ASCII letters, digits, _ and -"),
    ("log-group", "/govcloud/河", "may hold only ASCII letters, digits and ._-/#"),
    ("kms-alias", "alias/aws/s3", "must not start with 'alias/aws/'"),
    ("kms-alias", "govcloud/key", "may hold only 'alias/' and ASCII letters, digits, /_-"),
    ("kms-description", "d" * 8193, "is 8193 characters; the limit is 8192"),
    ("zone-comment", "c" * 257, "is 257 characters; the limit is 256"),
    ("tag-key", "aws:department", "must not start with 'aws:'"),
    ("tag-key", "k" * 129, "is 129 characters; the limit is 128"),
    ("tag-value", "户籍（一）", "may hold only letters, digits, spaces and _.:/=+-@"),
    ("tag-value", "v" * 257, "is 257 characters; the limit is 256"),
    ("secret-name", "slj/db admin", "may hold only ASCII letters, digits and /_+=.@-"),
    ("secret-name", "slj/db-secret", "must not end with a hyphen and six characters"),
    ("secret-name", "s" * 513, "is 513 characters; the limit is 512"),
    ("secret-description", "d" * 2049, "is 2049 characters; the limit is 2048"),
]


@pytest.mark.parametrize("kind,value", ACCEPTED, ids=[f"{k}-{i}" for i, (k, _) in enumerate(ACCEPTED)])
def test_accepted(kind: str, value: str) -> None:
    assert cloudnames.problem(kind, value) is None


@pytest.mark.parametrize("kind,value,reason", REFUSED, ids=[f"{k}-{i}" for i, (k, _, _) in enumerate(REFUSED)])
def test_refused_with_its_reason(kind: str, value: str, reason: str) -> None:
    assert cloudnames.problem(kind, value) == reason
    with pytest.raises(ValueError, match="^" + kind):
        cloudnames.check(kind, value)


def test_every_kind_has_a_refused_case() -> None:
    assert {k for k, _, _ in REFUSED} == set(cloudnames.KINDS)


def test_as_tag_value_makes_any_title_a_valid_tag() -> None:
    assert cloudnames.as_tag_value("户籍（一）管理·系统") == "户籍 一 管理 系统"
    assert cloudnames.tag_value(cloudnames.as_tag_value("x" * 300 + "（")) is None


def test_the_graph_refuses_a_name_the_cloud_would_refuse() -> None:
    names = Names("sthree", "sandbox")
    with pytest.raises(GovcloudError) as caught:
        names.bucket("slj", "river")
    assert caught.value.rule == "GC-NAME" and caught.value.exit_code == 2
    assert "must not start with 'sthree-'" in caught.value.message
    assert checked("bucket", "foshan-x") == "foshan-x"


def test_fitted_names_stay_valid() -> None:
    names = Names("a" * 32, "b" * 40)
    long = names.bucket("c" * 16, "d" * 41)
    assert len(long) == 63 and cloudnames.bucket(long) is None
    assert cloudnames.elb_name(names.elb("city", "site")) is None
    assert cloudnames.iam_role_name(names.role("c" * 16)) is None
    assert fit("x" * 10, 63) == "x" * 10


def test_every_planned_name_of_the_example_city_is_valid_for_the_cloud() -> None:
    from pathlib import Path

    from govcloud.graph import Target, build_graph
    from govcloud.load import load

    root = Path(__file__).resolve().parents[2] / "blueprints"
    result = load([str(root / "city.yaml"), str(root / "departments")])
    assert result.ok and result.project is not None
    for stack in ("sandbox", "production"):
        graph = build_graph(result.project, Target.create(stack, {
            "city-dc-1": "cn-north-1", "city-dr-1": "cn-northwest-1",
            "city-intranet-1": "cn-north-1", "city-intranet-dr-1": "cn-northwest-1"}))
        refused = [(node.name, problem) for node in graph.nodes
                   for problem in cloudnames.property_problems(node.type, {**node.inputs, "tags": dict(node.tags)})]
        assert len(graph.nodes) > 1000 and refused == []


def test_property_problems_names_the_property() -> None:
    props = {"name": "sg-x", "description": "安全组", "tags": {"aws:x": "ok", "gov:title": "户籍（一）"}}
    assert cloudnames.property_problems("govcloud:network:SecurityGroup", props) == [
        ("name", "'sg-x' must not start with 'sg-'"),
        ("description", "'安全组' may hold only ASCII letters, digits, spaces and ._-:/()#,@[]+=&;{}!$*"),
        ("tags.aws:x", "'aws:x' must not start with 'aws:'"),
        ("tags.gov:title", "'户籍（一）' may hold only letters, digits, spaces and _.:/=+-@"),
    ]
    assert cloudnames.property_problems("govcloud:certificates:PublicCertificate",
                                        {"domain_name": "a.gov.cn", "subject_alternative_names": ["a_b.gov.cn"]}) == [
        ("subject_alternative_names",
         "'a_b.gov.cn' has an invalid label 'a_b' (letters, digits and inner hyphens only)")]


def test_a_wildcard_stands_for_the_first_label_of_a_certificate_name_only() -> None:
    from govcloud.schema.cloudnames import problem

    assert problem("certificate-name", "*.foshan.gov.cn") is None
    assert problem("certificate-name", "www.*.gov.cn") is not None
    assert problem("certificate-name", "*foshan.gov.cn") is not None
    assert problem("dns-name", "*.foshan.gov.cn") is not None
