"""A self-signed TLS certificate for the one-machine trial (a server uses the organisation's)."""

from __future__ import annotations

import datetime as dt
import ipaddress
from pathlib import Path

VALID_DAYS = 90


def write_self_signed_certificate(
    certificate: Path, key: Path, hostnames: tuple[str, ...] = ("localhost",)
) -> None:
    """An EC P-256 certificate for `hostnames` and 127.0.0.1, signing itself (so a client can
    trust exactly this file, e.g. `curl --cacert`)."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    private_key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Lägesbild trial"),
            x509.NameAttribute(NameOID.COMMON_NAME, hostnames[0]),
        ]
    )
    now = dt.datetime.now(tz=dt.UTC)
    alternative_names = [x509.DNSName(host) for host in hostnames] + [
        x509.IPAddress(ipaddress.ip_address("127.0.0.1"))
    ]
    built = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(private_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName(alternative_names), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=False,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .sign(private_key, hashes.SHA256())
    )
    certificate.parent.mkdir(parents=True, exist_ok=True)
    key.write_bytes(
        private_key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key.chmod(0o600)
    certificate.write_bytes(built.public_bytes(serialization.Encoding.PEM))
