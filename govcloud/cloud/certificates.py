"""Certificate providers: the city CA (local) and ACM certificates it signs.

The CA's private key is a secret output (Pulumi encrypts it in state). A leaf's private
key is generated, handed to ACM with the certificate and forgotten: it is in no output.
"""
from __future__ import annotations

import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID
from pulumi import Output

from govcloud.cloud import tags as tagging
from govcloud.cloud.provider import CloudProvider, CloudResource
from govcloud.cloud.types import CERTIFICATE, CITY_CA


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


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
        cert, key_pem = make_leaf(props["ca_certificate_pem"], props["ca_private_key_pem"],
                                  props["domain_name"], props["subject_alternative_names"],
                                  props["validity_days"])
        imported = acm.import_certificate(
            Certificate=_pem(cert).encode(), PrivateKey=key_pem.encode(),
            CertificateChain=props["ca_certificate_pem"].encode(),
            Tags=tagging.to_aws({**props["tags"], tagging.KEY_TAG: self._key(props)}))
        certificate_arn = str(imported["CertificateArn"])
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
