"""Ed25519 signatures over certificates as W3C Verifiable Credentials 2.0, with the
Data Integrity cryptosuite eddsa-jcs-2022: JCS (RFC 8785) canonical JSON, SHA-256, Ed25519.
A third party verifies offline with the public key published at /.well-known/registry-key.json
(see scripts/verify_credential.py)."""

import base64
import datetime
import hashlib
import json
import re
from functools import lru_cache
from json.encoder import encode_basestring

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

from registry.holes import cut, fill, hole  # noqa: F401  (hole: issuance builds its templates with signing.hole)

CONTEXT = [
    "https://www.w3.org/ns/credentials/v2",
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
]
MULTIKEY_ED25519_PREFIX = b"\xed\x01"


B58_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_B58_WIDE = 58**10


def b58encode(data: bytes) -> str:
    """base58btc, as base58.b58encode but ~4x faster on signatures: it divides the big
    integer by 58**10 (9 big divisions for 64 bytes) and the pieces with machine ints.
    Signing is the ceiling of issuance, so this matters (tests compare it with base58)."""
    number = int.from_bytes(data, "big")
    out = []
    while number:
        number, piece = divmod(number, _B58_WIDE)
        for _ in range(10):
            piece, digit = divmod(piece, 58)
            out.append(B58_ALPHABET[digit])
    text = "".join(reversed(out)).lstrip("1")
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + text


def canonical(document: dict) -> str:
    """RFC 8785 for the documents we build (ASCII keys, strings, integers, lists, objects): in
    that domain it equals sorted, separator-free json.dumps, which is ~3x faster than a general
    JCS implementation (tests/certification/test_signing.py checks the equality)."""
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@lru_cache(maxsize=8)
def _private_key(seed_b64: str) -> Ed25519PrivateKey:
    seed = base64.b64decode(seed_b64)
    if len(seed) != 32:
        raise ValueError("SIGNING_KEY must be base64 of 32 bytes (an Ed25519 seed)")
    return Ed25519PrivateKey.from_private_bytes(seed)


def private_key() -> Ed25519PrivateKey:
    """The active key: the one in SIGNING_KEY now. Keys used before live on as public keys only
    (SigningKey rows), so a rotation needs no old private key."""
    return _private_key(settings.SIGNING_KEY)


def public_key_raw() -> bytes:
    return private_key().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)


def public_key_multibase(raw: bytes | None = None) -> str:
    return "z" + b58encode(MULTIKEY_ED25519_PREFIX + (raw or public_key_raw()))


def did_key_method(multibase: str) -> str:
    """A key's stable id: did:key, derived from the public key alone, so it does not change
    when the registry's domain does (the proof signs this id)."""
    return f"did:key:{multibase}#{multibase}"


def active_key():
    """The SigningKey row of the key in SIGNING_KEY, registered on first use; registering a new
    key retires the others (they still verify what they signed). One indexed query per call."""
    from .models import SigningKey

    multibase = public_key_multibase()
    key = SigningKey.objects.filter(public_key_multibase=multibase).first()
    if key is None or key.state != SigningKey.State.ACTIVE:
        key = SigningKey.activate(multibase, did_key_method(multibase))
    return key


def verification_method() -> str:
    """The id new proofs carry: the active key's, fixed when the key was first used."""
    return active_key().method_id


def known_keys() -> list:
    """Every key the registry has signed with, the active one first."""
    from .models import SigningKey

    active = active_key()
    return [active, *SigningKey.objects.exclude(pk=active.pk).order_by("-created_at", "-pk")]


def key_document() -> dict:
    """The controller document published at the well-known URL: every key ever used, each
    with its state (active signs new certificates; retired ones still verify old ones)."""
    document_id = f"{settings.PUBLIC_BASE_URL}/.well-known/registry-key.json"
    methods = []
    for key in known_keys():
        raw = base58.b58decode(key.public_key_multibase[1:])[len(MULTIKEY_ED25519_PREFIX) :]
        methods.append(
            {
                "id": key.method_id,
                "type": "Multikey",
                "controller": document_id,
                "publicKeyMultibase": key.public_key_multibase,
                "publicKeyJwk": {
                    "kty": "OKP",
                    "crv": "Ed25519",
                    "x": base64.urlsafe_b64encode(raw).decode().rstrip("="),
                },
                "state": key.state,
                "created": key.created_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z"),
                **(
                    {"retired": key.retired_at.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")}
                    if key.retired_at
                    else {}
                ),
            }
        )
    return {
        "@context": ["https://www.w3.org/ns/cid/v1"],
        "id": document_id,
        "verificationMethod": methods,
        # Retired keys stay assertion methods: what they signed remains valid.
        "assertionMethod": [method["id"] for method in methods],
    }


def proof_config(created: str, context: list | None = None, method: str | None = None) -> dict:
    """eddsa-jcs-2022: the proof configuration carries the document's @context."""
    return {
        "@context": context or CONTEXT,
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": created,
        "verificationMethod": method or verification_method(),
        "proofPurpose": "assertionMethod",
    }


def config_digest(created: str, context: list | None = None, method: str | None = None) -> bytes:
    """SHA-256 of the canonical proof configuration: the same for every certificate signed
    at one `created` instant, so a chunk computes it once."""
    return hashlib.sha256(canonical(proof_config(created, context, method)).encode()).digest()


def sign(document_canonical: str, config_hash: bytes) -> str:
    digest = config_hash + hashlib.sha256(document_canonical.encode()).digest()
    return "z" + b58encode(private_key().sign(digest))


class CanonicalTemplate:
    """canonical(document) for many documents that differ only in some strings: the canonical
    text is built once with holes.hole(name) markers in those strings, cut at the markers, and
    `render` fills in the values JSON-escaped exactly as json.dumps escapes them (issuance's hot
    path: a join per certificate instead of building and serialising a dict). Keys are sorted by
    name alone, so the values cannot change the order; tests compare with canonical()."""

    _MARKER = re.compile(r"\\u0000(\w+)\\u0000")  # hole(name) as JSON escapes it

    def __init__(self, document: dict, holes: tuple[str, ...]):
        self.pieces, self.names = cut(canonical(document), self._MARKER)
        if missing := set(holes) - set(self.names):
            raise ValueError(f"holes {sorted(missing)} are not in the document")

    def render(self, **values: str | int) -> str:
        return fill(self.pieces, self.names, values, _json_string_content)


def _json_string_content(value) -> str:
    return encode_basestring(str(value))[1:-1]


class ProofTemplate:
    """The proof of every certificate of a chunk is the same apart from proofValue: its
    canonical text is built once, and each signature spliced in (issuance's hot path)."""

    def __init__(self, created: str, context: list | None = None):
        self.method = verification_method()
        self.config_hash = config_digest(created, context, self.method)
        config = {k: v for k, v in proof_config(created, context, self.method).items() if k != "@context"}
        self.proof = CanonicalTemplate({**config, "proofValue": hole("proofValue")}, ("proofValue",))

    def sign(self, document_canonical: str) -> tuple[str, str]:
        """(proofValue, the whole proof as canonical JSON: what Certificate.proof stores)."""
        value = sign(document_canonical, self.config_hash)
        return value, self.proof.render(proofValue=value)


def attach_proof(document_canonical: str, proof: str) -> dict:
    """The downloadable credential: the signed document plus the proof exactly as signed."""
    document = json.loads(document_canonical)
    document["proof"] = json.loads(proof)
    return document


def secured(document_canonical: str, created: str, proof_value: str) -> dict:
    """A document signed just now by the active key, with its proof rebuilt from the config.
    Stored certificates use attach_proof with their stored proof instead."""
    document = json.loads(document_canonical)
    proof = {k: v for k, v in proof_config(created).items() if k != "@context"}
    document["proof"] = {**proof, "proofValue": proof_value}
    return document


def sign_document(document: dict, created: str) -> dict:
    text = canonical(document)
    template = ProofTemplate(created, document.get("@context"))
    return attach_proof(text, template.sign(text)[1])


def public_key_for(method_id: str) -> bytes | None:
    """The raw public key a proof names, if it is one of the registry's keys (any state)."""
    from .models import SigningKey

    active = active_key()
    if method_id == active.method_id:
        return public_key_raw()
    key = SigningKey.objects.filter(method_id=method_id).first()
    if key is None:
        return None
    return base58.b58decode(key.public_key_multibase[1:])[len(MULTIKEY_ED25519_PREFIX) :]


def verify(credential: dict, public_key: bytes | None = None) -> bool:
    """Check an eddsa-jcs-2022 proof with the registry key its verificationMethod names (or
    `public_key`); any change to a signed field, or an unknown key, makes it fail."""
    try:
        document = dict(credential)
        proof = dict(document.pop("proof"))
        proof_value = proof.pop("proofValue")
        if proof.get("cryptosuite") != "eddsa-jcs-2022" or not proof_value.startswith("z"):
            return False
        config = {"@context": document.get("@context"), **proof}
        digest = (
            hashlib.sha256(canonical(config).encode()).digest() + hashlib.sha256(canonical(document).encode()).digest()
        )
        key = public_key or public_key_for(proof.get("verificationMethod", ""))
        if key is None:
            return False
        Ed25519PublicKey.from_public_bytes(key).verify(base58.b58decode(proof_value[1:]), digest)
        return True
    except (InvalidSignature, KeyError, TypeError, ValueError, AttributeError):
        return False
