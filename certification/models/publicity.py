"""Results publicity (成绩公示): objections (异议) filed by anyone against one candidate's result
during its publicity period. While open, an objection holds that result's issuance."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import User

from .results import Result, ResultCorrection


class Objection(models.Model):
    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")

    result = models.ForeignKey(Result, models.PROTECT, related_name="objections", verbose_name=_("成绩"))
    reason = models.TextField(_("异议理由"))
    contact = models.CharField(_("联系方式"), max_length=100)
    filed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    answer = models.TextField(_("机构答复"), blank=True)
    answered_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("答复人")
    )
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    resolution = models.TextField(_("处理意见"), blank=True)
    resolved_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    # An upheld objection changes the result through the audited correction path.
    correction = models.OneToOneField(
        ResultCorrection,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="objection",
        verbose_name=_("据此更正"),
    )

    class Meta:
        ordering = ["-filed_at", "-id"]
        verbose_name = _("异议")
        verbose_name_plural = _("异议")
        constraints = [
            models.CheckConstraint(condition=~Q(reason="") & ~Q(contact=""), name="objection_reason_and_contact"),
            models.CheckConstraint(
                condition=Q(answered_at__isnull=True) | (Q(answered_by__isnull=False) & ~Q(answer="")),
                name="objection_answer_recorded",
            ),
            models.CheckConstraint(
                condition=Q(state="open")
                | (Q(resolved_by__isnull=False, resolved_at__isnull=False) & ~Q(resolution="")),
                name="objection_resolution_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="upheld") | Q(correction__isnull=False), name="objection_upheld_has_correction"
            ),
        ]
        indexes = [models.Index(fields=["result", "state"])]

    def __str__(self) -> str:
        return f"#{self.pk} {self.get_state_display()}"

    @property
    def is_open(self) -> bool:
        return self.state == self.State.OPEN
