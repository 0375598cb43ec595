"""A self-signed certificate for `snowdesk emulator --tls`: clients that insist on https (pysnc
refuses `http://`) connect, and trust it by its path (`SERVICENOW_CA_BUNDLE`, `verify=`)."""

from __future__ import annotations

import ipaddress
import ssl
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

CERT_FILE = "emulator-cert.pem"
KEY_FILE = "emulator-key.pem"
VALID_DAYS = 825  # the longest lifetime TLS clients accept for a server certificate
DEFAULT_HOSTS = ("localhost", "127.0.0.1", "::1")


def ensure_certificate(directory: Path, hosts: Iterable[str] = ()) -> tuple[Path, Path]:
    """The certificate and key in `directory`, made once and kept so a trusted path stays
    valid across restarts; made anew when missing, expiring or not naming every host."""
    names = tuple(dict.fromkeys((*DEFAULT_HOSTS, *(host for host in hosts if host))))
    cert_path, key_path = directory / CERT_FILE, directory / KEY_FILE
    if cert_path.exists() and key_path.exists() and _still_good(cert_path, names):
        return cert_path, key_path
    directory.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    key_path.chmod(0o600)
    cert_path.write_bytes(_certificate(key, names).public_bytes(serialization.Encoding.PEM))
    return cert_path, key_path


def server_context(cert_path: Path, key_path: Path) -> ssl.SSLContext:
    """The server side of TLS for aiohttp."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert_path, key_path)
    return context


def _certificate(key: ec.EllipticCurvePrivateKey, names: tuple[str, ...]) -> x509.Certificate:
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Snowdesk ServiceNow emulator")])
    now = datetime.now(UTC)
    public = key.public_key()
    # Self-signed and its own trust anchor: a CA that may sign only itself.
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(public)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=VALID_DAYS))
        .add_extension(x509.SubjectAlternativeName([_general_name(n) for n in names]), False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public), critical=False)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(public), critical=False)
        .sign(key, hashes.SHA256())
    )


def _general_name(name: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(name))
    except ValueError:
        return x509.DNSName(name)


def _still_good(cert_path: Path, names: tuple[str, ...]) -> bool:
    try:
        cert = x509.load_pem_x509_certificate(cert_path.read_bytes())
        alternatives = cert.extensions.get_extension_for_class(x509.SubjectAlternativeName).value
    except (ValueError, x509.ExtensionNotFound):
        return False
    present = {str(value) for value in alternatives.get_values_for_type(x509.DNSName)}
    present |= {str(value) for value in alternatives.get_values_for_type(x509.IPAddress)}
    expiring = cert.not_valid_after_utc - datetime.now(UTC) < timedelta(days=30)
    return not expiring and all(_present(name, present) for name in names)


def _is_ip(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True


def _present(name: str, present: set[str]) -> bool:
    return (str(ipaddress.ip_address(name)) if _is_ip(name) else name) in present
