"""Ed25519 signing of evidence: the audit log head and export manifests.

Why signatures and not only hashes: whoever can write the inventory database (or an export
directory) can recompute every SHA-256 and leave a consistent forgery. A signature needs the
private key, which lives in a 0600 file outside the database. Verifiers trust only a public
key they are given (config or ``--public-key``), never one stored beside the evidence.
"""

from __future__ import annotations

import base64
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from auditor.errors import UsageError
from auditor.privatefiles import create_private

ALGORITHM = "ed25519"
ENV_PRIVATE_KEY = "AUDITOR_SIGNING_KEY"


def _raw(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def fingerprint(public: Ed25519PublicKey) -> str:
    return "sha256:" + hashlib.sha256(_raw(public)).hexdigest()


def public_b64(public: Ed25519PublicKey) -> str:
    return base64.b64encode(_raw(public)).decode()


def public_pem(public: Ed25519PublicKey) -> bytes:
    return public.public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@dataclass(frozen=True)
class Signer:
    private: Ed25519PrivateKey

    @property
    def public(self) -> Ed25519PublicKey:
        return self.private.public_key()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public)

    def sign(self, message: bytes) -> str:
        return base64.b64encode(self.private.sign(message)).decode()


def verify(public: Ed25519PublicKey, message: bytes, signature_b64: object) -> bool:
    if not isinstance(signature_b64, str):
        return False
    try:
        public.verify(base64.b64decode(signature_b64, validate=True), message)
        return True
    except (InvalidSignature, ValueError):
        return False


def public_from_b64(text: object) -> Ed25519PublicKey | None:
    if not isinstance(text, str):
        return None
    try:
        return Ed25519PublicKey.from_public_bytes(base64.b64decode(text, validate=True))
    except ValueError:
        return None


def generate(private_path: Path) -> tuple[Path, Path, str]:
    """Write a new key pair: private PEM (PKCS#8) 0600, public PEM beside it (``.pub``)."""
    key = Ed25519PrivateKey.generate()
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                            serialization.NoEncryption())
    pub_path = public_path_for(private_path)
    if pub_path.exists() or pub_path.is_symlink():
        raise UsageError(f"public key {pub_path} already exists; refusing to overwrite it")
    create_private(private_path, pem, what="private key")
    create_private(pub_path, public_pem(key.public_key()), what="public key")
    return private_path, pub_path, fingerprint(key.public_key())


def public_path_for(private_path: Path) -> Path:
    return private_path.with_name(private_path.name + ".pub")


def load_signer(path: Path) -> Signer:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"signing key {path}: cannot read ({exc.strerror})") from None
    if os.stat(path).st_mode & 0o077:
        raise UsageError(f"signing key {path}: readable by group or others; chmod 600 it")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        raise UsageError(f"signing key {path}: not an unencrypted PEM private key") from None
    if not isinstance(key, Ed25519PrivateKey):
        raise UsageError(f"signing key {path}: not an Ed25519 key")
    return Signer(key)


def load_public(path: Path) -> Ed25519PublicKey:
    """A public key from PEM, or from the base64 text an export manifest carries."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"public key {path}: cannot read ({exc.strerror})") from None
    key: object
    try:
        key = serialization.load_pem_public_key(data)
    except (ValueError, TypeError):
        key = public_from_b64(data.strip().decode("ascii", "replace"))
    if not isinstance(key, Ed25519PublicKey):
        raise UsageError(f"public key {path}: not an Ed25519 public key (PEM or base64)")
    return key


@dataclass(frozen=True)
class KeyPaths:
    private: Path | None
    public: Path | None


def key_paths(config: Any) -> KeyPaths:
    """``$AUDITOR_SIGNING_KEY`` over ``signing.private_key``; the public key defaults to
    ``<private>.pub``. Relative paths are relative to the working directory, like ``export.out_dir``."""
    sig = config.signing
    env = os.environ.get(ENV_PRIVATE_KEY)
    priv = Path(os.path.expanduser(env or sig.private_key)) if (env or sig.private_key) else None
    pub = Path(os.path.expanduser(sig.public_key)) if sig.public_key else (public_path_for(priv) if priv else None)
    return KeyPaths(priv, pub)


def configured_signer(config: Any) -> Signer | None:
    """The configured signing key, or None when signing is not configured."""
    priv = key_paths(config).private
    return load_signer(priv) if priv is not None else None


def trusted_public(config: Any) -> Ed25519PublicKey | None:
    """The public key the verifier trusts: ``signing.public_key``, else the configured private
    key's ``.pub`` (or the private key itself when the ``.pub`` is absent)."""
    paths = key_paths(config)
    if paths.public is not None and (paths.public.exists() or paths.private is None):
        return load_public(paths.public)
    if paths.private is not None:
        return load_signer(paths.private).public
    return None
