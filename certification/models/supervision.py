"""Quality supervision beyond the single finding: the regulator's sanction decisions on a
filing, and the public's reports about an institution (社会监督)."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Filing, Institution, User

from .sessions import Finding


class Sanction(models.Model):
    """The regulator's decision on a finding that proposed a sanction (severe, or open past its
    deadline): suspend the filing (限期整改), revoke it, or impose nothing. One per finding."""

    class Kind(models.TextChoices):
        SUSPEND = "suspend", _("限期整改")
        REVOKE = "revoke", _("取消备案")
        NONE = "none", _("不予处罚")

    finding = models.OneToOneField(Finding, models.PROTECT, related_name="sanction", verbose_name=_("督导发现"))
    # Empty only when nothing was imposed and the institution had no live filing.
    filing = models.ForeignKey(
        Filing, models.PROTECT, null=True, blank=True, related_name="sanctions", verbose_name=_("备案")
    )
    kind = models.CharField(_("处理决定"), max_length=10, choices=Kind.choices)
    reason = models.TextField(_("决定理由"))
    decided_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("决定人"))
    decided_at = models.DateTimeField(_("决定时间"), auto_now_add=True)

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("处罚决定")
        verbose_name_plural = _("处罚决定")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="sanction_reason_required"),
            models.CheckConstraint(condition=Q(kind="none") | Q(filing__isnull=False), name="sanction_names_filing"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}：{self.finding}"


class Report(models.Model):
    """A problem about an institution reported by anyone (社会监督). No identity is asked; the
    contact is optional. The regulator dismisses it or turns it into a finding."""

    class State(models.TextChoices):
        OPEN = "open", _("待处理")
        DISMISSED = "dismissed", _("不予立案")
        FINDING = "finding", _("已转为督导发现")

    institution = models.ForeignKey(Institution, models.PROTECT, related_name="reports", verbose_name=_("评价机构"))
    text = models.TextField(_("反映问题"))
    contact = models.CharField(_("联系方式"), max_length=100, blank=True)
    filed_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN)
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("处理人")
    )
    decided_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    note = models.TextField(_("处理意见"), blank=True)
    finding = models.OneToOneField(
        Finding, models.PROTECT, null=True, blank=True, related_name="report", verbose_name=_("督导发现")
    )

    class Meta:
        ordering = ["filed_at", "id"]
        verbose_name = _("社会监督反映")
        verbose_name_plural = _("社会监督反映")
        constraints = [
            models.CheckConstraint(
                condition=Q(state="open") | (Q(decided_by__isnull=False) & ~Q(note="")),
                name="report_decision_recorded",
            ),
            models.CheckConstraint(
                condition=~Q(state="finding") | Q(finding__isnull=False), name="report_finding_linked"
            ),
        ]
        indexes = [models.Index(fields=["state", "filed_at"])]

    def __str__(self) -> str:
        return f"{self.institution}: {self.text[:40]}"
