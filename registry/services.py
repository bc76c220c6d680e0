"""State changes of the registry: people, institutions and filings."""

import datetime

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from . import audit, identity
from .errors import DomainError, Forbidden
from .levels import EVALUATION_TYPES, EvaluationType
from .models import (
    LIVE_FILING_STATES,
    Filing,
    FilingTransition,
    Institution,
    Membership,
    Occupation,
    Person,
    Scope,
    SensitiveRead,
    Specialty,
    User,
)
from .selectors import ADMIN_ROLES, person_by_document, user_institution_ids, user_is_regulator

# --- People ---


def person_identify(*, document_type: str, document_number: object, name: str) -> tuple[str, str]:
    """The cleaned name (identity.clean_person_name: the one rule for names, wherever they
    enter) and the canonical document number, or a DomainError naming every bad field."""
    errors = {}
    try:
        name = identity.clean_person_name(name)
    except ValidationError as error:
        errors["name"] = error.messages
    try:
        number = identity.validate_document_number(document_type, document_number)
    except ValidationError as error:
        errors["document_number"] = error.messages
    if errors:
        raise DomainError(errors)
    return name, number


def person_name_mismatch(existing: Person, name: str) -> DomainError | None:
    """A known number under another name: one of the two is a typing mistake."""
    if existing.name == name:
        return None
    # The registered name is not revealed: it would let anyone with an ID number learn a name.
    return DomainError({"name": _("姓名“%(given)s”与该证件号码已登记的姓名不符，请核对。") % {"given": name}})


def person_fields(
    *, document_type: str, number: str, name: str, document_hash: str | None = None, ciphertext: str | None = None
) -> dict:
    """The stored fields of a person with a canonical `number` (as person_identify returns it,
    so not validated again): encrypted (unless its `ciphertext` is given, from
    identity.encrypt_many), hashed (unless its `document_hash` is given) and masked, with sex
    and birth date read from a resident ID."""
    fields = {
        "document_type": document_type,
        "document_ciphertext": identity.encrypt(number) if ciphertext is None else ciphertext,
        "document_hash": document_hash or identity.document_hash(document_type, number),
        "document_masked": identity.mask_document_number(number),
        "name": name,
    }
    if document_type == identity.DocumentType.RESIDENT_ID:
        fields["sex"] = identity.resident_id_sex(number)
        fields["birth_date"] = identity.resident_id_birth_date(number)
    return fields


def person_document_reveal(*, actor: User, person: Person, purpose: str, path: str = "") -> str:
    """The full document number of `person`, for the regulator only; every reveal is recorded
    (who, when, whose, why) in SensitiveRead. The one place a number is decrypted for display
    to someone other than its holder (PIPL: sensitive personal information)."""
    if not user_is_regulator(actor):
        raise Forbidden(_("只有监管部门可以查看完整证件号码。"))
    purpose = (purpose or "").strip()
    if not purpose:
        raise DomainError({"purpose": _("请说明查看完整证件号码的用途。")})
    SensitiveRead.objects.create(user=actor, person=person, purpose=purpose[:200], path=(path or "")[:300])
    return person.document_number


def person_register(*, document_type: str, document_number: object, name: str) -> Person:
    """The person with this document, created if new. A known number under another name is
    refused rather than silently renamed: one of the two is a typing mistake. Two callers
    registering the same new person at once both get the one row (the unique hash decides)."""
    name, number = person_identify(document_type=document_type, document_number=document_number, name=name)
    existing = person_by_document(document_type, number)
    if existing is None:
        try:
            with transaction.atomic():  # a savepoint: the caller's transaction survives a lost race
                return Person.objects.create(**person_fields(document_type=document_type, number=number, name=name))
        except IntegrityError:
            existing = person_by_document(document_type, number)
            if existing is None:
                raise
    mismatch = person_name_mismatch(existing, name)
    if mismatch is not None:
        raise mismatch
    return existing


# --- Institutions and filings ---


def institution_register(**fields) -> Institution:
    institution = Institution(**fields)
    try:
        institution.full_clean()
    except ValidationError as error:
        raise DomainError(error.message_dict) from None
    institution.save()
    return institution


def _check_window(institution: Institution, valid_from: datetime.date, valid_until: datetime.date, exclude=None):
    if valid_until < valid_from:
        raise DomainError(
            {
                "valid_until": _("有效期止（%(until)s）早于有效期起（%(start)s）。")
                % {"until": valid_until, "start": valid_from}
            }
        )
    overlapping = Filing.objects.filter(
        institution=institution, state__in=LIVE_FILING_STATES, valid_from__lte=valid_until, valid_until__gte=valid_from
    )
    if exclude is not None:
        overlapping = overlapping.exclude(pk=exclude.pk)
    clash = overlapping.first()
    if clash is not None:
        raise DomainError(
            {
                "valid_from": _("有效期与该机构的另一备案（%(start)s 至 %(until)s，%(state)s）重叠。")
                % {"start": clash.valid_from, "until": clash.valid_until, "state": clash.get_state_display()}
            }
        )


def _clean_scope(row: dict) -> Scope:
    evaluation_type = row.get("evaluation_type")
    if evaluation_type not in EvaluationType.values:
        raise DomainError({"scopes": _("未知的评价类型：%(t)s。") % {"t": evaluation_type}})
    occupation: Occupation = row["occupation"]
    specialty: Specialty | None = row.get("specialty")
    if specialty is not None and specialty.occupation_id != occupation.id:
        raise DomainError({"scopes": _("工种“%(s)s”不属于职业“%(o)s”。") % {"s": specialty.name, "o": occupation.name}})
    levels = sorted(set(row.get("levels") or []))
    if EVALUATION_TYPES[EvaluationType(evaluation_type)].has_levels:
        standard = occupation.standards.filter(is_current=True).first()
        offered = set(standard.levels) if standard else set()
        if specialty is not None and specialty.levels:
            offered &= set(specialty.levels)
        if not levels:
            raise DomainError({"scopes": _("%(o)s：须列出备案等级。") % {"o": occupation.name}})
        if not set(levels) <= offered:
            raise DomainError({"scopes": _("%(o)s 的现行标准未设置所列等级。") % {"o": occupation.name}})
    elif levels:
        raise DomainError({"scopes": _("专项职业能力考核不分等级。")})
    if evaluation_type == EvaluationType.QUALIFICATION and not occupation.in_qualification_catalogue:
        raise DomainError(
            {"scopes": _("%(o)s 未列入国家职业资格目录，不能开展职业资格评价。") % {"o": occupation.name}}
        )
    return Scope(evaluation_type=evaluation_type, occupation=occupation, specialty=specialty, levels=levels)


@transaction.atomic
def filing_apply(
    *, institution: Institution, valid_from: datetime.date, valid_until: datetime.date, scopes: list[dict], actor: User
) -> Filing:
    """An institution applies for a filing with its scope rows and validity window."""
    if not (user_is_regulator(actor) or institution.id in user_institution_ids(actor, ADMIN_ROLES)):
        raise Forbidden(_("只有本机构管理员或监管部门可以申请备案。"))
    if institution.kind == Institution.Kind.CENTRE:
        raise DomainError({"institution": _("鉴定中心不需要备案。")})
    if not scopes:
        raise DomainError({"scopes": _("备案须至少包含一项范围。")})
    Institution.objects.select_for_update().get(pk=institution.pk)  # serialise overlap checks per institution
    _check_window(institution, valid_from, valid_until)
    rows = [_clean_scope(row) for row in scopes]
    filing = Filing.objects.create(institution=institution, valid_from=valid_from, valid_until=valid_until)
    for row in rows:
        row.filing = filing
    Scope.objects.bulk_create(rows)
    FilingTransition.objects.create(
        filing=filing, from_state="", to_state=Filing.State.APPLIED, actor=actor, reason=_("提交备案申请")
    )
    return filing


S = Filing.State
REGULATOR, INSTITUTION = "regulator", "institution"
# docs/domain.md: applied → accepted → filed ⇄ suspended → revoked; or withdrawn. Who may decide each.
FILING_TRANSITIONS: dict[tuple[str, str], frozenset[str]] = {
    (S.APPLIED, S.ACCEPTED): frozenset({REGULATOR}),
    (S.ACCEPTED, S.FILED): frozenset({REGULATOR}),
    (S.FILED, S.SUSPENDED): frozenset({REGULATOR}),
    (S.SUSPENDED, S.FILED): frozenset({REGULATOR}),
    (S.FILED, S.REVOKED): frozenset({REGULATOR}),
    (S.SUSPENDED, S.REVOKED): frozenset({REGULATOR}),
    (S.APPLIED, S.WITHDRAWN): frozenset({REGULATOR, INSTITUTION}),
    (S.ACCEPTED, S.WITHDRAWN): frozenset({REGULATOR, INSTITUTION}),
    (S.FILED, S.WITHDRAWN): frozenset({REGULATOR, INSTITUTION}),
}


@transaction.atomic
def filing_transition(*, filing: Filing, to_state: str, actor: User, reason: str) -> Filing:
    """Move a filing to `to_state`, recording who decided and why."""
    filing = Filing.objects.select_for_update().get(pk=filing.pk)
    reason = (reason or "").strip()
    allowed = FILING_TRANSITIONS.get((filing.state, to_state))
    if allowed is None:
        raise DomainError(
            {
                "state": _("备案不能从“%(a)s”变为“%(b)s”。")
                % {
                    "a": filing.get_state_display(),
                    "b": Filing.State(to_state).label if to_state in Filing.State.values else to_state,
                }
            }
        )
    who = set()
    if user_is_regulator(actor):
        who.add(REGULATOR)
    if filing.institution_id in user_institution_ids(actor, ADMIN_ROLES):
        who.add(INSTITUTION)
    if not who & allowed:
        raise Forbidden(_("您无权将备案变为“%(b)s”。") % {"b": Filing.State(to_state).label})
    if not reason:
        raise DomainError({"reason": _("请填写理由：每次备案状态变更都须记录理由。")})
    if to_state == S.FILED and filing.state == S.ACCEPTED:
        _check_window(filing.institution, filing.valid_from, filing.valid_until, exclude=filing)
    FilingTransition.objects.create(
        filing=filing, from_state=filing.state, to_state=to_state, actor=actor, reason=reason
    )
    filing.state = to_state
    audit.by(filing, actor, reason).save(update_fields=["state"])
    return filing


def membership_grant(*, user: User, institution: Institution, role: str) -> Membership:
    membership = Membership(user=user, institution=institution, role=role)
    try:
        membership.full_clean()
    except ValidationError as error:
        raise DomainError(error.message_dict) from None
    membership.save()
    return membership
