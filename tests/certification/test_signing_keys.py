"""Signatures that survive: each proof is stored as signed, every key the registry has used is
published with its state, and verification picks the key the proof names (issue 10)."""

import base64
import hashlib
import importlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.apps import apps
from django.db import connection
from rest_framework.test import APIClient

from certification import signing
from certification.models import Certificate, SigningKey

from .conftest import ready_session

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]
SCRIPT = [sys.executable, str(ROOT / "scripts" / "verify_credential.py")]


def new_seed() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def issue_one(world, run, session=None) -> Certificate:
    before = set(Certificate.objects.values_list("pk", flat=True))
    run([ready_session(world, n=1, session=session)])
    return Certificate.objects.exclude(pk__in=before).get()


def verified_online(certificate: Certificate) -> bool:
    answer = APIClient().post("/api/verify/", {"code": certificate.verification_code}, format="json")
    assert answer.status_code == 200
    return answer.json()["found"] and answer.json()["signature_valid"]


def verified_offline(world, certificate: Certificate, tmp_path) -> subprocess.CompletedProcess:
    client = APIClient()
    client.force_authenticate(world.admin_a)
    (tmp_path / "cert.json").write_bytes(client.get(f"/api/certificates/{certificate.pk}/credential/").content)
    (tmp_path / "key.json").write_bytes(APIClient().get("/.well-known/registry-key.json").content)
    (tmp_path / "status.json").write_bytes(APIClient().get("/status/1").content)
    files = [str(tmp_path / name) for name in ("cert.json", "key.json", "status.json")]
    return subprocess.run(SCRIPT + files, capture_output=True, text=True)


def test_the_proof_is_stored_whole_as_signed(world, run):
    certificate = issue_one(world, run)
    proof = json.loads(certificate.proof)
    assert signing.canonical(proof) == certificate.proof  # the spliced text is canonical JSON
    assert proof["proofValue"] == certificate.proof_value and proof["created"] == certificate.proof_created
    assert proof["verificationMethod"] == signing.did_key_method(signing.public_key_multibase())
    assert signing.verify(signing.attach_proof(certificate.credential, certificate.proof))


def test_a_certificate_signed_with_a_retired_key_still_verifies_online_and_offline(world, run, settings, tmp_path):
    settings.SIGNING_KEY = new_seed()
    key_a = signing.public_key_multibase()
    old = issue_one(world, run)
    settings.SIGNING_KEY = new_seed()  # rotation: key A's private part is gone
    key_b = signing.public_key_multibase()
    new = issue_one(world, run, session=world.plan())

    assert json.loads(old.proof)["verificationMethod"] == signing.did_key_method(key_a)
    assert json.loads(new.proof)["verificationMethod"] == signing.did_key_method(key_b)
    document = APIClient().get("/.well-known/registry-key.json").json()
    states = {method["publicKeyMultibase"]: method["state"] for method in document["verificationMethod"]}
    assert states == {key_a: "retired", key_b: "active"}
    assert document["verificationMethod"][0]["publicKeyMultibase"] == key_b  # the active key first
    assert set(document["assertionMethod"]) == {signing.did_key_method(key_a), signing.did_key_method(key_b)}
    assert SigningKey.objects.get(state="active").public_key_multibase == key_b

    for certificate in (old, new):
        assert verified_online(certificate)
        result = verified_offline(world, certificate, tmp_path)
        assert result.returncode == 0 and result.stdout.startswith("VALID"), result.stdout + result.stderr
    assert "retired key" in verified_offline(world, old, tmp_path).stdout


def test_certificates_survive_a_change_of_domain(world, run, settings, tmp_path):
    settings.PUBLIC_BASE_URL = "https://old-registry.example.org"
    certificate = issue_one(world, run)
    served_before = APIClient().post("/api/verify/", {"code": certificate.verification_code}, format="json").json()
    settings.PUBLIC_BASE_URL = "https://registry.example.gov.cn"
    assert verified_online(certificate)
    result = verified_offline(world, certificate, tmp_path)
    assert result.returncode == 0 and result.stdout.startswith("VALID"), result.stdout + result.stderr
    served = json.loads((tmp_path / "cert.json").read_text())
    assert signing.canonical(served["proof"]) == certificate.proof  # served as signed, not rebuilt
    assert served_before["signature_valid"]
    # A certificate issued after the move verifies as well.
    later = issue_one(world, run, session=world.plan())
    assert verified_online(later)


def test_a_proof_naming_a_key_the_registry_never_used_fails(world, run, tmp_path):
    certificate = issue_one(world, run)
    foreign = signing._private_key(new_seed())
    document = json.loads(certificate.credential)
    raw = foreign.public_key().public_bytes_raw()
    method = signing.did_key_method(signing.public_key_multibase(raw))
    config = signing.config_digest(certificate.proof_created, method=method)
    digest = config + hashlib.sha256(certificate.credential.encode()).digest()
    proof = {
        "type": "DataIntegrityProof",
        "cryptosuite": "eddsa-jcs-2022",
        "created": certificate.proof_created,
        "verificationMethod": method,
        "proofPurpose": "assertionMethod",
        "proofValue": "z" + signing.b58encode(foreign.sign(digest)),
    }
    forged = {**document, "proof": proof}
    assert not signing.verify(forged)
    assert signing.verify(forged, public_key=raw)  # the forgery is well made: only the key is unknown
    (tmp_path / "cert.json").write_text(json.dumps(forged, ensure_ascii=False))
    (tmp_path / "key.json").write_bytes(APIClient().get("/.well-known/registry-key.json").content)
    files = [str(tmp_path / "cert.json"), str(tmp_path / "key.json")]
    result = subprocess.run(SCRIPT + files, capture_output=True, text=True)
    assert result.returncode == 1 and "INVALID: signed with a key the registry does not list" in result.stdout


def test_certificates_signed_before_the_migration_keep_their_proof_and_key(world, run, settings):
    """The data migration stores the proof that older code rebuilt from PUBLIC_BASE_URL."""
    settings.PUBLIC_BASE_URL = "https://before.example.org"
    certificate = issue_one(world, run)
    legacy_method = "https://before.example.org/.well-known/registry-key.json#key-1"
    created = certificate.proof_created
    value = signing.sign(certificate.credential, signing.config_digest(created, method=legacy_method))
    Certificate.objects.filter(pk=certificate.pk).update(proof="", proof_value=value)
    SigningKey.objects.all().delete()  # as before the migration: no key rows

    migration = importlib.import_module("certification.migrations.0004_trust_signing_keys")
    migration.store_existing_proofs(apps, type("Editor", (), {"connection": connection})())

    certificate.refresh_from_db()
    assert json.loads(certificate.proof)["verificationMethod"] == legacy_method
    assert signing.canonical(json.loads(certificate.proof)) == certificate.proof
    settings.PUBLIC_BASE_URL = "https://after.example.org"
    assert verified_online(certificate)
    methods = APIClient().get("/.well-known/registry-key.json").json()["verificationMethod"]
    assert [m["id"] for m in methods] == [legacy_method]  # the key keeps the id its proofs carry
