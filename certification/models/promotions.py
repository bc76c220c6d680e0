"""Competition promotions (竞赛晋升): the exceptional-promotion application an award creates,
waiting for the regulator (docs/domain.md, Competitions). Approved, it still ends in a
certificate issued by a filed institution or the regulator."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.audit import audited
from registry.levels import Level
from registry.models import CompetitionAward, Occupation, Person, User


class Promotion(models.Model):
    class State(models.TextChoices):
        PENDING = "pending", _("待审批")
        APPROVED = "approved", _("已批准")
        REJECTED = "rejected", _("已驳回")
        USED = "used", _("已用于报名")  # approved, then spent on one enrolment

    award = models.OneToOneField(CompetitionAward, models.PROTECT, related_name="promotion", verbose_name=_("竞赛获奖"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="promotions", verbose_name=_("人员"))
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    held_level = models.PositiveSmallIntegerField(_("现有等级"), choices=Level.choices, null=True, blank=True)
    target_level = models.PositiveSmallIntegerField(_("晋升等级"), choices=Level.choices)
    evidence = models.TextField(_("证明材料"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("录入人"))
    created_at = models.DateTimeField(_("录入时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    history = audited()

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("竞赛晋升申请")
        verbose_name_plural = _("竞赛晋升申请")
        constraints = [
            models.CheckConstraint(condition=~Q(evidence=""), name="promotion_has_evidence"),
            models.CheckConstraint(
                condition=Q(held_level__isnull=True) | Q(target_level__gt=models.F("held_level")),
                name="promotion_goes_up",
            ),
            models.CheckConstraint(
                condition=Q(state="pending") | Q(decided_by__isnull=False), name="promotion_decided_by_someone"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} → {self.get_target_level_display()}"
