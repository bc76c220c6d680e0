#!/usr/bin/env python3
"""Verify a certificate's verifiable credential offline (eddsa-jcs-2022, Ed25519).

    python verify_credential.py CERTIFICATE.json REGISTRY-KEY.json [STATUS-LIST.json]

CERTIFICATE.json: the credential downloaded from the registry (/api/certificates/{id}/credential/).
REGISTRY-KEY.json: the keys published at https://<registry>/.well-known/registry-key.json: every
key the registry has signed with, active or retired; the proof's verificationMethod names its key.
STATUS-LIST.json (optional): https://<registry>/status/1, to check revocation.
Needs only the `cryptography` package. Exit code 0: valid; 1: invalid or revoked.
"""

import base64
import gzip
import hashlib
import json
import sys

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"


def b58decode(text: str) -> bytes:
    number = 0
    for char in text:
        number = number * 58 + ALPHABET.index(char)
    raw = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + raw


def canonical(value) -> bytes:  # RFC 8785 for documents without floats or non-BMP keys
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def key_method(key_document: dict, method_id: str) -> dict | None:
    """The registry key a proof names: active or retired, a listed key verifies what it signed."""
    for method in key_document["verificationMethod"]:
        if method["id"] == method_id and method_id in key_document.get("assertionMethod", [method_id]):
            return method
    return None


def public_key(method: dict) -> Ed25519PublicKey:
    raw = b58decode(method["publicKeyMultibase"][1:])
    assert raw[:2] == b"\xed\x01", "not an Ed25519 Multikey"
    return Ed25519PublicKey.from_public_bytes(raw[2:])


def verify(credential: dict, key_document: dict) -> bool:
    document = dict(credential)
    proof = dict(document.pop("proof"))
    signature = b58decode(proof.pop("proofValue")[1:])
    assert proof["cryptosuite"] == "eddsa-jcs-2022"
    method = key_method(key_document, proof["verificationMethod"])
    if method is None:  # main() says so; a key the registry does not list proves nothing
        return False
    config = {"@context": document["@context"], **proof}
    digest = hashlib.sha256(canonical(config)).digest() + hashlib.sha256(canonical(document)).digest()
    try:
        public_key(method).verify(signature, digest)
        return True
    except InvalidSignature:
        return False


def revoked(credential: dict, status_list: dict) -> bool:
    index = int(credential["credentialStatus"]["statusListIndex"])
    encoded = status_list["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


def main(argv: list[str]) -> int:
    credential, key_document = (json.load(open(path, encoding="utf-8")) for path in argv[1:3])
    if key_method(key_document, credential.get("proof", {}).get("verificationMethod", "")) is None:
        print("INVALID: signed with a key the registry does not list")
        return 1
    if not verify(credential, key_document):
        print("INVALID: the signature does not match the content")
        return 1
    if len(argv) > 3:
        status_list = json.load(open(argv[3], encoding="utf-8"))
        if not verify(status_list, key_document):
            print("INVALID: the status list's signature does not match")
            return 1
        if revoked(credential, status_list):
            print("REVOKED")
            return 1
    achievement = credential["credentialSubject"]["achievement"]
    state = key_method(key_document, credential["proof"]["verificationMethod"]).get("state", "active")
    print(f"VALID: {achievement['humanCode']} {achievement['name']} (signed with a {state} key)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
