"""Competitions (职业技能竞赛): recording an award applies its competition's promotion rule and,
when the award promotes, creates the exceptional-promotion application (a Promotion) with the
evidence attached, waiting for the regulator (docs/domain.md, Competitions)."""

import datetime

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import audit
from registry.errors import DomainError, Forbidden
from registry.levels import EXAMINED_LEVELS
from registry.models import Competition, CompetitionAward, Medal, Occupation, Person, PriorCertificate, User
from registry.selectors import user_is_regulator

from ..models import Certificate, Promotion


def highest_level_held(person: Person, occupation: Occupation) -> int | None:
    """The highest examined level the person holds in the occupation: certificates issued here
    (not revoked) and certificates entered from elsewhere."""
    here = Certificate.objects.filter(
        person=person, occupation=occupation, revoked_at__isnull=True, level__in=EXAMINED_LEVELS
    ).aggregate(top=Max("level"))["top"]
    before = PriorCertificate.objects.filter(person=person, occupation=occupation).aggregate(top=Max("level"))["top"]
    held = [level for level in (here, before) if level is not None]
    return max(held) if held else None


def _require_regulator(actor: User) -> None:
    if not user_is_regulator(actor):
        raise Forbidden(_("竞赛获奖和竞赛晋升由监管部门录入和审批。"))


@transaction.atomic
def award_record(
    *,
    actor: User,
    competition: Competition,
    person: Person,
    occupation: Occupation,
    event: str,
    awarded_on: datetime.date,
    evidence: str,
    medal: str = "",
    rank: int | None = None,
) -> CompetitionAward:
    """Record an award on the person's lifelong record. If the competition's rule promotes the
    holder above the level they hold, a pending Promotion is created with the evidence."""
    _require_regulator(actor)
    errors = {}
    if bool(medal) == (rank is not None):
        errors["medal"] = _("请填写奖牌或名次（二者选一）。")
    elif medal and medal not in Medal.values:
        errors["medal"] = _("奖牌不在可选范围内。")
    elif rank is not None and rank < 1:
        errors["rank"] = _("名次应为正整数。")
    if not (event or "").strip():
        errors["event"] = _("请填写赛项。")
    if not (evidence or "").strip():
        errors["evidence"] = _("请附上证明材料（获奖证书、文件编号等）。")
    if awarded_on > timezone.localdate():
        errors["awarded_on"] = _("获奖日期不能晚于今天。")
    if errors:
        raise DomainError(errors)
    award = CompetitionAward(
        person=person,
        competition=competition.name,
        tier=competition.tier,
        event=event.strip(),
        award=str(Medal(medal).label) if medal else _("第 %(n)d 名") % {"n": rank},
        awarded_on=awarded_on,
        contest=competition,
        occupation=occupation,
        medal=medal,
        rank=rank,
        evidence=evidence.strip(),
        recorded_by=actor,
    )
    award.save()
    rule = competition.rule_for(medal=medal, rank=rank)
    held = highest_level_held(person, occupation)
    target = rule.promoted_level(held) if rule else None
    if target is not None:
        promotion = Promotion(
            award=award,
            person=person,
            occupation=occupation,
            held_level=held,
            target_level=target,
            evidence=award.evidence,
            created_by=actor,
        )
        audit.by(promotion, actor).save()
    return award


@transaction.atomic
def promotion_decide(*, actor: User, promotion: Promotion, approve: bool, note: str = "") -> Promotion:
    """The regulator approves or rejects a competition promotion; a rejection says why."""
    _require_regulator(actor)
    promotion = Promotion.objects.select_for_update().get(pk=promotion.pk)
    if promotion.state != Promotion.State.PENDING:
        raise DomainError({"state": _("该晋升申请已审批（%(s)s）。") % {"s": promotion.get_state_display()}})
    if not approve and not (note or "").strip():
        raise DomainError({"note": _("驳回须写明理由。")})
    promotion.state = Promotion.State.APPROVED if approve else Promotion.State.REJECTED
    promotion.decided_by, promotion.decided_at, promotion.decision_note = actor, timezone.now(), (note or "").strip()
    audit.by(promotion, actor, note or "").save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    return promotion
