"""Signed evidence: ``keys init`` and ``verify`` (audit log, or an export directory).

``verify`` exit codes: 0 only when the hashes are consistent *and* the signatures verify with
a key the verifier trusts (config ``signing`` or ``--public-key``); 1 when anything is wrong,
including evidence that is hash-consistent but unsigned (or signed by a key nobody pinned),
since that cannot rule out a consistent rewrite; 2 for usage errors.
"""

from __future__ import annotations

from pathlib import Path
from typing import Optional

import typer

from auditor.cli.context import AppContext
from auditor.errors import EXIT_FINDINGS, EXIT_OK, UsageError
from auditor.textsafe import terminal_safe

DEFAULT_KEY_PATH = "auditor-signing.key"


def signer(app: AppContext):  # type: ignore[no-untyped-def]
    """The configured signer or None; a configured but unusable key is an error (before any write)."""
    from auditor.signing import configured_signer

    return configured_signer(app.config)


def sign_log_head(app: AppContext, key) -> None:  # type: ignore[no-untyped-def]
    """Sign the audit log head after an approval, acceptance or revocation."""
    if key is None:
        app.info("note: no signing key configured (signing.private_key or $AUDITOR_SIGNING_KEY); "
                 "the audit log entry is unsigned")
        return
    from auditor.drift.auditlog import sign_head

    entry = sign_head(app.engine(), key)
    if entry is not None:
        app.info(f"audit log head seq {entry.details['signed_seq']} signed with {key.fingerprint}")


def keys_init(
    ctx: typer.Context,
    path: Optional[Path] = typer.Option(None, "--path", help="Private key file (default: signing.private_key, "
                                        f"$AUDITOR_SIGNING_KEY, else ./{DEFAULT_KEY_PATH}); the public key goes beside "
                                        "it as FILE.pub."),
) -> int:
    """Create the Ed25519 key pair that signs approvals and export manifests (private key 0600)."""
    app: AppContext = ctx.obj
    from auditor import signing

    target = path or signing.key_paths(app.config).private or Path(DEFAULT_KEY_PATH)
    if target.parent and not target.parent.exists():
        from auditor.privatefiles import private_dir

        private_dir(target.parent)
    priv, pub, fp = signing.generate(target)
    app.info(f"wrote private key {priv} (0600) and public key {pub}")
    app.info(f"fingerprint {fp}")
    if signing.key_paths(app.config).private is None:
        app.info(f"to sign evidence, set in the config:  signing: {{private_key: {priv}}}")
    typer.echo(fp)
    return EXIT_OK


def verify_cmd(
    ctx: typer.Context,
    directory: Optional[Path] = typer.Argument(None, help="An export directory: verify its signed manifest. "
                                               "Without it: verify the audit log (hash chain and signed head)."),
    public_key: Optional[Path] = typer.Option(None, "--public-key", help="Trusted public key (PEM or base64); "
                                              "default: the key configured under signing."),
) -> int:
    """Verify the audit log (no argument) or an export directory: hashes and Ed25519 signatures."""
    app: AppContext = ctx.obj
    from auditor import signing

    trusted = signing.load_public(public_key) if public_key is not None else signing.trusted_public(app.config)
    if directory is not None:
        if not directory.exists():
            raise UsageError(f"{directory} does not exist (give an export directory or its manifest.json)")
        from auditor.exports.manifest import check_manifest

        m = check_manifest(directory, trusted)
        what, problems, checked, signed_by = f"export {directory}", m.problems, m.key_checked, m.signed_by
        head = ""
    else:
        from auditor.drift.auditlog import verify_log
        from auditor.store.integrity import quick_check

        from auditor.terraform.baseline import verify_declarations

        engine = app.engine()
        damaged = [f"database file: {p}" for p in quick_check(engine)[:20]]  # SQLite PRAGMA quick_check
        if damaged:
            for p in damaged:
                typer.echo(f"FAIL: {terminal_safe(p)}", err=True)
            typer.echo(f"database: {len(damaged)} problem(s)", err=True)
            return EXIT_FINDINGS
        v = verify_log(engine, trusted)
        what, problems, checked = "audit log", v.problems + verify_declarations(engine), v.key_checked
        signed_by = signing.fingerprint(trusted) if trusted is not None and v.signed_seq else None
        head = f"; signed head seq {v.signed_seq} {v.signed_hash}" if v.signed_seq else ""
    for p in problems:
        typer.echo(f"FAIL: {terminal_safe(str(p))}", err=True)  # problems quote stored, hostile strings
    if problems:
        typer.echo(f"{what}: {len(problems)} problem(s)", err=True)
        return EXIT_FINDINGS
    if checked:
        if not app.quiet:  # plain echo: one line, never re-wrapped by the console
            typer.echo(f"{what}: intact and signed by {signed_by}{head}", err=True)
        return EXIT_OK
    if signed_by:
        typer.echo(f"{what}: UNVERIFIED: hashes consistent and signed by {signed_by}, but that key is not trusted "
                   "here; pass --public-key FILE (or configure signing) to check it is yours", err=True)
    else:
        typer.echo(f"{what}: UNSIGNED: hashes are consistent, but without a signature anyone who can write it could "
                   "have rewritten it consistently (configure signing: auditor keys init)", err=True)
    return EXIT_FINDINGS


def register(app: typer.Typer) -> None:
    keys = typer.Typer(help="Signing keys for evidence (approvals and export manifests).", no_args_is_help=True)
    keys.command("init")(keys_init)
    app.add_typer(keys, name="keys")
    app.command("verify")(verify_cmd)
