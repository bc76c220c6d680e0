import os

import base58
import pytest

from certification import signing


@pytest.mark.parametrize("size", [0, 1, 2, 31, 32, 34, 64, 65])
def test_fast_base58_matches_the_library(size):
    for lead in (b"", b"\0", b"\0\0\0"):
        data = lead + os.urandom(size)
        assert signing.b58encode(data) == base58.b58encode(data).decode()


@pytest.mark.django_db  # the key document lists every key used (SigningKey rows)
def test_public_key_is_a_multikey_of_the_signing_key():
    document = signing.key_document()
    method = document["verificationMethod"][0]
    raw = base58.b58decode(method["publicKeyMultibase"][1:])
    assert raw[:2] == signing.MULTIKEY_ED25519_PREFIX and raw[2:] == signing.public_key_raw()
    assert document["assertionMethod"] == [method["id"]] == [signing.verification_method()]


@pytest.mark.django_db
def test_sign_document_round_trip_and_wrong_key():
    credential = signing.sign_document(
        {"@context": signing.CONTEXT, "id": "urn:x", "name": "测试"}, "2026-01-01T00:00:00Z"
    )
    assert signing.verify(credential)
    assert not signing.verify(credential, public_key=os.urandom(32))
    assert not signing.verify({**credential, "proof": {**credential["proof"], "cryptosuite": "other"}})
