"""Revocation, the published status list, and verification look-ups."""

import base64
import datetime
import gzip
import json

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connections, router, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import audit, identity
from registry.errors import DomainError, Forbidden
from registry.levels import EVALUATION_TYPES, EvaluationType
from registry.models import User
from registry.routers import replica_reads
from registry.selectors import user_is_regulator

from .. import numbering, signing
from ..models import Certificate, Reissue
from ..selectors import is_admin_of

STATUS_LIST_CACHE_KEY = "certification:status-list:1"
MIN_STATUS_LIST_BITS = 131_072  # W3C Bitstring Status List: at least 16 KB, for herd privacy


@transaction.atomic
def certificate_revoke(*, actor: User, certificate: Certificate, reason: str) -> Certificate:
    """The regulator, or the issuing institution, revokes a certificate with a reason."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    own_issue = EVALUATION_TYPES[EvaluationType(certificate.evaluation_type)].issued_by_institution
    if not (user_is_regulator(actor) or (own_issue and is_admin_of(actor, certificate.institution_id))):
        raise Forbidden(_("只有监管部门或发证机构可以撤销证书。"))
    if certificate.is_revoked:
        raise DomainError(
            {"certificate": _("证书已于 %(d)s 撤销。") % {"d": timezone.localtime(certificate.revoked_at).date()}}
        )
    if not (reason or "").strip():
        raise DomainError({"reason": _("撤销证书须写明理由。")})
    certificate.revoked_at, certificate.revoked_by, certificate.revocation_reason = (
        timezone.now(),
        actor,
        reason.strip(),
    )
    audit.by(certificate, actor, reason.strip()).save(update_fields=["revoked_at", "revoked_by", "revocation_reason"])
    transaction.on_commit(lambda: cache.delete(STATUS_LIST_CACHE_KEY))
    return certificate


REISSUE_REASON_MAX = 300


@transaction.atomic
def certificate_reissue(
    *, actor: User, certificate: Certificate, reason: str, reissued_on: datetime.date | None = None
) -> Reissue:
    """补发: print a lost or damaged certificate again, same number and data, the reissue recorded
    (docs/domain.md: reissue). Never a second certificate: the row and its signed credential stay."""
    certificate = Certificate.objects.select_for_update().get(pk=certificate.pk)
    if not may_act_as_issuer(actor, certificate):
        raise Forbidden(_("只有发证机构（职业资格、专项职业能力证书为监管部门）可以补发证书。"))
    if certificate.is_revoked:
        raise DomainError({"certificate": _("证书已撤销，不能补发。")})
    if not (reason or "").strip():
        raise DomainError({"reason": _("补发证书须写明理由（如遗失、损毁）。")})
    if len(reason.strip()) > REISSUE_REASON_MAX:
        raise DomainError({"reason": _("补发理由最多 %(n)d 字。") % {"n": REISSUE_REASON_MAX}})
    today = timezone.localdate()
    reissued_on = reissued_on or today
    if reissued_on > today or reissued_on < certificate.issued_on:
        raise DomainError({"reissued_on": _("补发日期应在发证日期与今天之间。")})
    reissue = Reissue(certificate=certificate, reason=reason.strip(), reissued_on=reissued_on, reissued_by=actor)
    audit.by(reissue, actor, reason.strip()).save()
    from .. import pdf

    transaction.on_commit(lambda: pdf.replace_cached(certificate))
    return reissue


def may_act_as_issuer(actor: User, certificate: Certificate) -> bool:
    """谁发证、谁负责: the issuing institution's admin for skill-level certificates; the
    regulator for qualification and special-ability certificates, which it issues."""
    if EVALUATION_TYPES[EvaluationType(certificate.evaluation_type)].issued_by_institution:
        return is_admin_of(actor, certificate.institution_id)
    return user_is_regulator(actor)


def status_list_credential() -> dict:
    """The signed BitstringStatusListCredential: bit i set = certificate id i revoked."""
    cached = cache.get(STATUS_LIST_CACHE_KEY)
    if cached is not None:
        return cached
    revoked = list(Certificate.objects.filter(revoked_at__isnull=False).values_list("id", flat=True))
    top = Certificate.objects.order_by("-id").values_list("id", flat=True).first() or 0
    size = max(MIN_STATUS_LIST_BITS, ((top + 1 + 7) // 8) * 8)
    bits = bytearray(size // 8)
    for index in revoked:
        bits[index // 8] |= 0x80 >> (index % 8)  # the spec's left-most bit is index 0
    encoded = "u" + base64.urlsafe_b64encode(gzip.compress(bytes(bits), mtime=0)).decode().rstrip("=")
    base = settings.PUBLIC_BASE_URL
    document = {
        "@context": ["https://www.w3.org/ns/credentials/v2"],
        "id": f"{base}/status/1",
        "type": ["VerifiableCredential", "BitstringStatusListCredential"],
        "issuer": f"{base}/issuers/registry",
        "validFrom": timezone.now().replace(microsecond=0).isoformat(),
        "credentialSubject": {
            "id": f"{base}/status/1#list",
            "type": "BitstringStatusList",
            "statusPurpose": "revocation",
            "encodedList": encoded,
        },
    }
    created = timezone.now().astimezone(datetime.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    credential = signing.sign_document(document, created)
    cache.set(STATUS_LIST_CACHE_KEY, credential, 300)
    return credential


def is_revoked_in_list(status_credential: dict, index: int) -> bool:
    encoded = status_credential["credentialSubject"]["encodedList"][1:]
    bits = gzip.decompress(base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4)))
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


# What a look-up reads: narrow, with the kept signature verdict instead of the signed credential
# (the wide columns are read only when the verdict is unknown, see `signature_verdict`), all of it
# in the look-up's covering index (Certificate.Meta.indexes), so the wide row is not touched. One
# statement by a unique key, written out rather than compiled by the ORM on every request: the
# look-up is the registry's most frequent request, and compiling its query cost more than running it.
VERIFY_FIELDS = (
    "id",
    "number",
    "issued_on",
    "revoked_at",
    "level",
    "signature_valid",
    "person__name",
    "person__document_masked",
    "occupation__name",
    "occupation__code",
    "institution__name",
)
_LOOKUP_SQL = (
    "SELECT c.id, c.number, c.issued_on, c.revoked_at, c.level, c.signature_valid,"
    " p.name, p.document_masked, o.name, o.code, i.name"
    " FROM certification_certificate c"
    " JOIN registry_person p ON p.id = c.person_id"
    " JOIN registry_occupation o ON o.id = c.occupation_id"
    " JOIN registry_institution i ON i.id = c.institution_id"
    " WHERE "
)


def _lookup_cursor(connection):
    """On PostgreSQL a cursor with server-side binding, so that psycopg prepares the look-up on
    each connection after a few runs (`prepare_threshold` in config/settings.py): planning the four-table join
    cost PostgreSQL about four times its execution (0.55 against 0.13 ms). Django's own cursors
    bind on the client and never prepare. Behind PgBouncer (DATABASE_POOLED) the threshold is
    off, so the same cursor prepares nothing there."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def _first(where: str, params: list) -> dict | None:
    """The one certificate matching `where`, read on the replica when there is one
    (registry/routers.py)."""
    with replica_reads():
        alias = router.db_for_read(Certificate)
    with _lookup_cursor(connections[alias]) as cursor:
        cursor.execute(_LOOKUP_SQL + where, params)
        row = cursor.fetchone()
        if row is None:
            return None
        row = dict(zip(VERIFY_FIELDS, row, strict=True))
        row["revocation_reason"] = ""
        if row["revoked_at"] is not None:  # rare: the reason is read from the row itself
            cursor.execute("SELECT revocation_reason FROM certification_certificate WHERE id = %s", [row["id"]])
            row["revocation_reason"] = cursor.fetchone()[0]
            if settings.USE_TZ and timezone.is_naive(row["revoked_at"]):
                row["revoked_at"] = timezone.make_aware(row["revoked_at"], datetime.UTC)  # SQLite
    return row


def _query_name(raw: str) -> str:
    """A name as stored (identity.clean_person_name), so that 阿依古丽・买买提 finds 阿依古丽·买买提;
    a name no person can have is refused as malformed input."""
    try:
        return identity.clean_person_name(raw)
    except ValidationError as error:
        raise DomainError({"name": error.messages}) from None


def certificate_by_query(*, number: str, name: str, document_number: str, document_type: str = "resident_id"):
    """The national query: name + ID number + certificate number must all match exactly.
    Every miss gives None, whichever input was wrong (no enumeration)."""
    number = identity.normalize_certificate_number(number)
    if not numbering.is_well_formed(number):
        raise DomainError({"number": _("证书编号格式不正确：应为 1 位大写字母加 21 位数字。")})
    try:
        canonical = identity.validate_document_number(document_type, document_number)
    except ValidationError:
        raise DomainError({"document_number": _("证件号码格式不正确。")}) from None
    return _first(
        "c.number = %s AND p.document_hash = %s AND p.name = %s",
        [number, identity.document_hash(document_type, canonical), _query_name(name)],
    )


def certificate_by_code(code: str):
    code = (code or "").strip()
    if not (16 <= len(code) <= 32) or not all(c.isalnum() or c in "-_" for c in code):
        raise DomainError({"code": _("查验码格式不正确。")})
    return _first("c.verification_code = %s", [code])


def signature_checks(row: dict) -> bool:
    return signing.verify(signing.attach_proof(row["credential"], row["proof"]))


SIGNED_FIELDS = ("credential", "proof", "number", "person_id", "person__name")


def signature_verdict(certificate_id: int) -> bool:
    """Check the signature and that the credential is this certificate's, and keep the verdict
    (Certificate.signature_valid): issuance writes True for what it signs, so this runs only
    for a row whose signed columns or holder changed since (the trigger of migration 0009
    resets the verdict), or one older than the column. The verdict is stored only if the
    signed columns still hold what was checked."""
    row = Certificate.objects.filter(pk=certificate_id).values(*SIGNED_FIELDS).first()
    if row is None:
        return False
    verdict = credential_matches(row) and signature_checks(row)
    Certificate.objects.filter(
        pk=certificate_id,
        credential=row["credential"],
        proof=row["proof"],
        number=row["number"],
        person_id=row["person_id"],
        person__name=row["person__name"],
    ).update(signature_valid=verdict)
    return verdict


def credential_matches(row: dict) -> bool:
    """The stored credential is about this certificate: its number and its holder's name. A
    credential validly signed for another certificate, copied onto this row, fails here."""
    try:
        document = json.loads(row["credential"])
        subject = document["credentialSubject"]
        names = {i.get("identityHash") for i in subject.get("identifier", []) if i.get("identityType") == "name"}
        return subject["achievement"]["humanCode"] == row["number"] and names == {row["person__name"]}
    except (ValueError, KeyError, TypeError, AttributeError):
        return False


def verification_summary(row: dict | None) -> dict:
    """What verification shows: one shape for a hit, the same bare answer for every miss."""
    if row is None:
        return {"found": False}
    from registry.levels import Level

    return {
        "found": True,
        "number": row["number"],
        "holder_name": row["person__name"],
        "holder_document": row["person__document_masked"],
        "occupation": f"{row['occupation__name']}（{row['occupation__code']}）",
        "level": str(Level(row["level"]).label) if row["level"] is not None else None,
        "institution": row["institution__name"],
        "issued_on": row["issued_on"],
        "status": "revoked" if row["revoked_at"] else "valid",
        "revoked_on": timezone.localtime(row["revoked_at"]).date() if row["revoked_at"] else None,
        "revocation_reason": row["revocation_reason"] if row["revoked_at"] else "",
        "signature_valid": bool(row["signature_valid"])
        if row["signature_valid"] is not None
        else signature_verdict(row["id"]),
    }
