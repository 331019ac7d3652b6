"""Seal a saved Terraform plan to the run that made it, and open it only there (`make plan`, `make apply`).

    python -m ops.plan_seal seal <plan file> <sealed file> --stack <stack>   prints `sha256=<hex>` of the sealed file
    python -m ops.plan_seal open <sealed file> <plan file> --stack <stack> [--sha256 <hex>]

Why: a saved plan embeds the prior state (the azure stack's holds the Entra client passwords), so it leaves the
runner only sealed; and what the reviewers approved must be what is applied. AES-256-GCM (Python's `cryptography`,
a maintained library, `AESGCM`) gives both: secrecy, and a tag that fails unless the file, and the context it was
sealed for, are exactly the ones opened. The context is the associated data: repository, workflow run, stack and
commit (`GITHUB_REPOSITORY`, `GITHUB_RUN_ID`, `GITHUB_SHA`; outside Actions `local`, `local` and `git rev-parse
HEAD`). A plan sealed in another run, for another stack or at another commit does not open; nor does a changed
byte. The plan job publishes the sealed file's SHA-256 (a job output), and the apply job refuses any other file
(`--sha256`, from `PLAN_SHA256`): an artifact replaced between the jobs is refused before anything is decrypted.

File layout (bytes): `MAGIC` | salt (16) | nonce (12) | ciphertext with its 16-byte tag. The key is derived from
`PLAN_PASSPHRASE` with scrypt (n = 2**17, r = 8, p = 1: 128 MiB, RFC 7914; the parameters OWASP recommends), the
salt and nonce are random per file, and MAGIC, salt and nonce are part of the associated data too.

Errors: one line on stderr, exit 2 (a refusal) or 1 (an unreadable file); never the passphrase or plan bytes.
"""

from __future__ import annotations

import argparse
import hashlib
import hmac
import json
import os
import subprocess
import sys
from pathlib import Path

MAGIC = b"mlplatform-sealed-plan/v1\n"
SALT_BYTES = 16
NONCE_BYTES = 12
SCRYPT = {"n": 2**17, "r": 8, "p": 1}
"""scrypt cost: 128 * n * r bytes = 128 MiB of memory, about 0.3 s on one core."""


class Refused(Exception):
    """The sealed file is not the one this run may apply (exit 2)."""


def context(stack: str, environ: dict[str, str] | None = None) -> dict[str, str]:
    """What a sealed plan is bound to: `{"commit", "repository", "run", "stack"}` (strings)."""
    env = os.environ if environ is None else environ
    commit = env.get("GITHUB_SHA") or _git_head()
    return {
        "commit": commit,
        "repository": env.get("GITHUB_REPOSITORY") or "local",
        "run": env.get("GITHUB_RUN_ID") or "local",
        "stack": stack,
    }


def _git_head() -> str:
    result = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=False)
    return result.stdout.strip() if result.returncode == 0 else "unknown"


def _associated_data(header: bytes, bound_to: dict[str, str]) -> bytes:
    return header + json.dumps(bound_to, sort_keys=True, separators=(",", ":")).encode()


def _key(passphrase: str, salt: bytes) -> bytes:
    from cryptography.hazmat.primitives.kdf.scrypt import Scrypt

    return Scrypt(salt=salt, length=32, **SCRYPT).derive(passphrase.encode())


def seal(plan: bytes, passphrase: str, bound_to: dict[str, str]) -> bytes:
    """The sealed form of `plan` (bytes of a saved plan file) for `bound_to` (`context()`)."""
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    salt, nonce = os.urandom(SALT_BYTES), os.urandom(NONCE_BYTES)
    header = MAGIC + salt + nonce
    return header + AESGCM(_key(passphrase, salt)).encrypt(nonce, plan, _associated_data(header, bound_to))


def open_sealed(sealed: bytes, passphrase: str, bound_to: dict[str, str], sha256: str | None = None) -> bytes:
    """The plan in `sealed`, or `Refused`: another SHA-256 than the published one, not a sealed plan, or sealed
    for another context (or with another passphrase), or altered."""
    if sha256 is not None and not hmac.compare_digest(hashlib.sha256(sealed).hexdigest(), sha256.strip().lower()):
        raise Refused("its SHA-256 is not the one the plan job published (PLAN_SHA256): this is not the reviewed plan")
    header_length = len(MAGIC) + SALT_BYTES + NONCE_BYTES
    if not sealed.startswith(MAGIC) or len(sealed) < header_length + 16:
        raise Refused("it is not a sealed plan of this version (make plan seals one)")
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    header = sealed[:header_length]
    salt, nonce = header[len(MAGIC) : len(MAGIC) + SALT_BYTES], header[len(MAGIC) + SALT_BYTES :]
    try:
        return AESGCM(_key(passphrase, salt)).decrypt(nonce, sealed[header_length:], _associated_data(header, bound_to))
    except InvalidTag:
        described = ", ".join(f"{k} {v}" for k, v in bound_to.items())
        raise Refused(
            f"it was not sealed for this run ({described}) with this PLAN_PASSPHRASE, or it was altered"
        ) from None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops.plan_seal", description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=["seal", "open"])
    parser.add_argument("source", type=Path)
    parser.add_argument("target", type=Path)
    parser.add_argument("--stack", required=True)
    parser.add_argument("--sha256", default=None, help="open: refuse a sealed file with another SHA-256")
    args = parser.parse_args(argv)
    passphrase = os.environ.get("PLAN_PASSPHRASE", "")
    if not passphrase:
        print("error: PLAN_PASSPHRASE is not set (docs/ci-cd.md: One-time set-up)", file=sys.stderr)
        return 2
    bound_to = context(args.stack)
    try:
        data = args.source.read_bytes()
    except OSError as error:
        print(f"error: cannot read {args.source}: {error.strerror}", file=sys.stderr)
        return 1
    old_umask = os.umask(0o077)
    try:
        if args.action == "seal":
            sealed = seal(data, passphrase, bound_to)
            args.target.write_bytes(sealed)
            print(f"sha256={hashlib.sha256(sealed).hexdigest()}")
            return 0
        try:
            plan = open_sealed(data, passphrase, bound_to, args.sha256)
        except Refused as refusal:
            print(f"error: refusing {args.source} for {args.stack}: {refusal}", file=sys.stderr)
            return 2
        args.target.write_bytes(plan)
        return 0
    finally:
        os.umask(old_umask)


if __name__ == "__main__":
    sys.exit(main())
