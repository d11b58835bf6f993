"""Certificate providers: the city's 政务 CA (local), certificates it signs, public certificates.

Two CAs, two jobs. The 政务 CA issues identity and signing certificates for officials and
systems and TLS certificates for internal endpoints (`Certificate`, imported into ACM);
browsers do not trust it, so it never serves a public website. The public sites (the
portal and every department's sub-site) get `PublicCertificate`s from the cloud's
publicly trusted CA (ACM RequestCertificate, DNS validation in the city's hosted zone).

The CA's private key is a secret output (Pulumi encrypts it in state). A leaf's private
key is generated, handed to ACM with the certificate and forgotten: it is in no output.
"""
from __future__ import annotations

import datetime
import time
from collections.abc import Iterator
from typing import Any

from botocore.exceptions import ClientError
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource, delete_if_there, is_gone, retried
from govcloud.cloud.types import CERTIFICATE, CITY_CA, PUBLIC_CERTIFICATE
from govcloud.errors import GovcloudError


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC)


def _pem(cert: x509.Certificate) -> str:
    return cert.public_bytes(serialization.Encoding.PEM).decode()


def _key_pem(key: ec.EllipticCurvePrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def make_ca(common_name: str, organization: str, days: int) -> tuple[str, str]:
    """(certificate PEM, private key PEM) of a self-signed CA."""
    key = ec.generate_private_key(ec.SECP256R1())
    attributes = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organization:
        attributes.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organization))
    name = x509.Name(attributes)
    now = _now()
    cert = (
        x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(x509.KeyUsage(
            digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
            key_encipherment=False, data_encipherment=False, key_agreement=False,
            encipher_only=False, decipher_only=False), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return _pem(cert), _key_pem(key)


def make_leaf(ca_cert_pem: str, ca_key_pem: str, domain: str, sans: list[str],
              days: int) -> tuple[x509.Certificate, str]:
    """A server certificate for `domain` signed by the CA, and its private key PEM."""
    ca_cert = x509.load_pem_x509_certificate(ca_cert_pem.encode())
    ca_key = serialization.load_pem_private_key(ca_key_pem.encode(), password=None)
    if not isinstance(ca_key, ec.EllipticCurvePrivateKey):
        raise ValueError("the city CA key must be an EC key")
    key = ec.generate_private_key(ec.SECP256R1())
    names = [domain, *[s for s in sans if s != domain]]
    now = _now()
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, domain)]))
        .issuer_name(ca_cert.subject).public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=days))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                       critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    return cert, _key_pem(key)


class CityCAProvider(CloudProvider):
    rtype = CITY_CA

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if not 1 <= props["validity_days"] <= 36500:
            return [("validity_days", "must be 1..36500")]
        return []

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        cert_pem, key_pem = make_ca(props["common_name"], props["organization"], props["validity_days"])
        cert = x509.load_pem_x509_certificate(cert_pem.encode())
        return format(cert.serial_number, "x"), {
            "certificate_pem": cert_pem, "private_key_pem": key_pem,
            "not_after": cert.not_valid_after_utc.isoformat(),
        }

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        return dict(props)  # lives only in state: nothing in the cloud can drift

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        return None


class CertificateProvider(CloudProvider):
    rtype = CERTIFICATE

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        failures: list[tuple[str, str]] = []
        if not 1 <= props["validity_days"] <= 825:
            failures.append(("validity_days", "must be 1..825"))
        if "BEGIN CERTIFICATE" not in props["ca_certificate_pem"]:
            failures.append(("ca_certificate_pem", "must be a PEM certificate"))
        if "PRIVATE KEY" not in props["ca_private_key_pem"] and not props["ca_private_key_pem"].startswith("sha256:"):
            failures.append(("ca_private_key_pem", "must be a PEM private key"))
        return failures

    def _key(self, props: dict[str, Any]) -> str:
        return tagging.idempotency_key(self.rtype.token, {**props, "name": props["domain_name"]},
                                       self.rtype.replace_props)

    def find_existing(self, props: dict[str, Any]) -> str | None:
        # An import is not idempotent: a crashed create is found again by its key tag.
        return next(self._keyed(self.client("acm", props["region"]), props), None)

    def _keyed(self, acm: Any, props: dict[str, Any]) -> Iterator[str]:
        key = self._key(props)
        for page in acm.get_paginator("list_certificates").paginate():
            for summary in page["CertificateSummaryList"]:
                if summary.get("DomainName") != props["domain_name"]:
                    continue
                arn = str(summary["CertificateArn"])
                tags = tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
                if tags.get(tagging.KEY_TAG) == key:
                    yield arn

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        acm = self.client("acm", props["region"])
        cert, key_pem = make_leaf(props["ca_certificate_pem"], props["ca_private_key_pem"],
                                  props["domain_name"], props["subject_alternative_names"],
                                  props["validity_days"])
        imported = acm.import_certificate(
            Certificate=_pem(cert).encode(), PrivateKey=key_pem.encode(),
            CertificateChain=props["ca_certificate_pem"].encode(),
            Tags=tagging.to_aws({**props["tags"], tagging.KEY_TAG: self._key(props)}))
        certificate_arn = str(imported["CertificateArn"])
        if retried(imported):
            # Nor is it idempotent on a retry: an attempt whose answer was lost imported a twin.
            for twin in [arn for arn in self._keyed(acm, props) if arn != certificate_arn]:
                delete_if_there(acm.delete_certificate, CertificateArn=twin)
        return certificate_arn, {
            "arn": certificate_arn, "not_after": cert.not_valid_after_utc.isoformat(),
            "serial": format(cert.serial_number, "x"), "certificate_pem": _pem(cert),
        }

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        acm = self.client("acm", props["region"])
        described = acm.describe_certificate(CertificateArn=id_)["Certificate"]
        sans = [s for s in described.get("SubjectAlternativeNames", []) if s != described["DomainName"]]
        tags = tagging.visible(tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=id_).get("Tags")))
        pem = str(acm.get_certificate(CertificateArn=id_)["Certificate"])
        cert = x509.load_pem_x509_certificate(pem.encode())
        return {
            **props, "domain_name": described["DomainName"], "subject_alternative_names": sans,
            "tags": tags, "arn": id_, "certificate_pem": pem,
            "not_after": cert.not_valid_after_utc.isoformat(), "serial": format(cert.serial_number, "x"),
        }

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        acm = self.client("acm", news["region"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            acm.add_tags_to_certificate(CertificateArn=id_, Tags=tagging.to_aws(to_set))
        if to_remove:
            old = olds.get("tags", {})
            acm.remove_tags_from_certificate(
                CertificateArn=id_, Tags=[{"Key": k, "Value": old[k]} for k in to_remove])
        return {}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        self.client("acm", props["region"]).delete_certificate(CertificateArn=id_)


class CityCA(CloudResource, module="govcloud/certificates", name="CityCA"):
    rtype = CITY_CA
    provider_class = CityCAProvider
    certificate_pem: Output[str]
    private_key_pem: Output[str]
    not_after: Output[str]


class Certificate(CloudResource, module="govcloud/certificates", name="Certificate"):
    rtype = CERTIFICATE
    provider_class = CertificateProvider
    arn: Output[str]
    not_after: Output[str]
    serial: Output[str]
    certificate_pem: Output[str]


_ISSUED = "ISSUED"
# A request that can never be issued any more: waiting on it is pointless.
_DEAD = frozenset({"FAILED", "VALIDATION_TIMED_OUT", "REVOKED", "EXPIRED", "INACTIVE"})
_POLL_SECONDS = 2.0


class PublicCertificateProvider(CloudProvider):
    """A certificate from the cloud's public CA, validated through records in the city's zone."""

    rtype = PUBLIC_CERTIFICATE

    def validate(self, props: dict[str, Any]) -> list[tuple[str, str]]:
        if not 0 <= props["wait_seconds"] <= 3600:
            return [("wait_seconds", "must be 0..3600")]
        return []

    def _key(self, props: dict[str, Any]) -> str:
        return tagging.idempotency_key(self.rtype.token, {**props, "name": props["domain_name"]},
                                       self.rtype.replace_props)

    def find_existing(self, props: dict[str, Any]) -> str | None:
        acm = self.client("acm", props["region"])
        key = self._key(props)
        for page in acm.get_paginator("list_certificates").paginate():
            for summary in page["CertificateSummaryList"]:
                if summary.get("DomainName") != props["domain_name"]:
                    continue
                arn = str(summary["CertificateArn"])
                tags = tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=arn).get("Tags"))
                if tags.get(tagging.KEY_TAG) == key:
                    return arn
        return None

    def _create(self, props: dict[str, Any]) -> tuple[str, dict[str, Any]]:
        acm = self.client("acm", props["region"])
        args: dict[str, Any] = {
            "DomainName": props["domain_name"], "ValidationMethod": "DNS",
            # A retried request after a timeout must not ask the CA twice.
            "IdempotencyToken": self._key(props)[:32],
            "Tags": tagging.to_aws({**props["tags"], tagging.KEY_TAG: self._key(props)}),
        }
        sans = [s for s in props["subject_alternative_names"] if s != props["domain_name"]]
        if sans:
            args["SubjectAlternativeNames"] = [props["domain_name"], *sans]
        arn = str(acm.request_certificate(**args)["CertificateArn"])
        return arn, {"arn": arn, "status": self._validate_and_wait(acm, arn, props)}

    def _validation_records(self, acm: Any, arn: str, props: dict[str, Any]) -> list[dict[str, str]]:
        """The CNAMEs the CA asks for; it publishes them a moment after the request."""
        deadline = time.monotonic() + max(props["wait_seconds"], 30)
        while True:
            described = acm.describe_certificate(CertificateArn=arn)["Certificate"]
            options = described.get("DomainValidationOptions", [])
            records = [o["ResourceRecord"] for o in options if o.get("ResourceRecord")]
            if options and len(records) == len(options):
                return [dict(r) for r in records]
            if time.monotonic() >= deadline:
                raise GovcloudError(f"the CA published no validation records for {props['domain_name']}",
                                    rule="GC-CLOUD", exit_code=1, hint="run apply again")
            time.sleep(_POLL_SECONDS)

    def _change_records(self, props: dict[str, Any], action: str, records: list[dict[str, str]]) -> None:
        unique = {(r["Name"], r["Type"]): r for r in records}  # SANs of one domain share a record
        changes = [{"Action": action, "ResourceRecordSet": {
            "Name": r["Name"], "Type": r["Type"], "TTL": 300, "ResourceRecords": [{"Value": r["Value"]}]}}
            for r in unique.values()]
        if changes:
            self.client("route53", props["region"]).change_resource_record_sets(
                HostedZoneId=props["validation_zone_id"], ChangeBatch={"Changes": changes})

    def _validate_and_wait(self, acm: Any, arn: str, props: dict[str, Any]) -> str:
        """Publish the validation records and wait for the CA; a listener needs an issued certificate."""
        self._change_records(props, "UPSERT", self._validation_records(acm, arn, props))
        deadline = time.monotonic() + props["wait_seconds"]
        while True:
            status = str(acm.describe_certificate(CertificateArn=arn)["Certificate"]["Status"])
            if status == _ISSUED:
                return status
            if status in _DEAD or time.monotonic() >= deadline:
                raise GovcloudError(
                    f"the public CA has not issued the certificate for {props['domain_name']} ({status})",
                    rule="GC-CLOUD", exit_code=1,
                    hint="check that the city zone is delegated to the cloud's name servers, then run apply again")
            time.sleep(_POLL_SECONDS)

    def _read(self, id_: str, props: dict[str, Any]) -> dict[str, Any] | None:
        acm = self.client("acm", props["region"])
        described = acm.describe_certificate(CertificateArn=id_)["Certificate"]
        sans = [s for s in described.get("SubjectAlternativeNames", []) if s != described["DomainName"]]
        wanted = list(props.get("subject_alternative_names") or [])
        if sorted(sans) == sorted(wanted):
            sans = wanted  # the CA lists names in its own order: the same set is no drift
        tags = tagging.visible(tagging.from_aws(acm.list_tags_for_certificate(CertificateArn=id_).get("Tags")))
        return {**props, "domain_name": described["DomainName"], "subject_alternative_names": sans,
                "tags": tags, "arn": id_, "status": described["Status"]}

    def _update(self, id_: str, olds: dict[str, Any], news: dict[str, Any]) -> dict[str, Any]:
        acm = self.client("acm", news["region"])
        to_set, to_remove = tagging.changes(olds.get("tags", {}), news["tags"])
        if to_set:
            acm.add_tags_to_certificate(CertificateArn=id_, Tags=tagging.to_aws(to_set))
        if to_remove:
            old = olds.get("tags", {})
            acm.remove_tags_from_certificate(
                CertificateArn=id_, Tags=[{"Key": k, "Value": old[k]} for k in to_remove])
        status = str(acm.describe_certificate(CertificateArn=id_)["Certificate"]["Status"])
        if status != _ISSUED:  # adopted after a crash before issuance: finish the validation
            status = self._validate_and_wait(acm, id_, news)
        return {"arn": id_, "status": status}

    def _delete(self, id_: str, props: dict[str, Any]) -> None:
        acm = self.client("acm", props["region"])
        described = acm.describe_certificate(CertificateArn=id_)["Certificate"]
        records = [dict(o["ResourceRecord"]) for o in described.get("DomainValidationOptions", [])
                   if o.get("ResourceRecord")]
        acm.delete_certificate(CertificateArn=id_)
        # The zone can only go once the records the CA asked for are gone too.
        try:
            self._change_records(props, "DELETE", [r for r in records if self._has_record(props, r)])
        except ClientError as e:
            if not is_gone(e):
                raise

    def _has_record(self, props: dict[str, Any], record: dict[str, str]) -> bool:
        route53 = self.client("route53", props["region"])
        found = route53.list_resource_record_sets(
            HostedZoneId=props["validation_zone_id"], StartRecordName=record["Name"],
            StartRecordType=record["Type"], MaxItems="1")["ResourceRecordSets"]
        return bool(found) and found[0]["Name"] == record["Name"] and found[0]["Type"] == record["Type"]


class PublicCertificate(CloudResource, module="govcloud/certificates", name="PublicCertificate"):
    rtype = PUBLIC_CERTIFICATE
    provider_class = PublicCertificateProvider
    arn: Output[str]
    status: Output[str]
