"""Applications (申报): a person's entry to a session, by one of the pathways of docs/domain.md."""

from django.core.validators import RegexValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import EligibilityCondition, Person, User

from .sessions import Session


class Application(models.Model):
    class Pathway(models.TextChoices):
        NORMAL = "normal", _("正常申报")
        EXCEPTIONAL = "exceptional", _("破格晋升")
        DIRECT = "direct", _("直接认定")
        COMPETITION = "competition", _("竞赛晋升")
        SCHOOL_GROUP = "school_group", _("院校团体申报")

    class State(models.TextChoices):
        PENDING_APPROVAL = "pending_approval", _("待审批")
        ENROLLED = "enrolled", _("已报名")
        REJECTED = "rejected", _("审批未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    class Status(models.TextChoices):
        """What an application shows (roster, API, the worker's record): its state, and once
        enrolled, where the process has taken it (derived from the result and certificate)."""

        PENDING_APPROVAL = "pending_approval", _("待审批")
        ENROLLED = "enrolled", _("已报名")
        PASSED = "passed", _("合格（待发证）")
        FAILED = "failed", _("不合格")
        CERTIFIED = "certified", _("已发证")
        REVOKED = "revoked", _("证书已撤销")
        REJECTED = "rejected", _("审批未通过")
        WITHDRAWN = "withdrawn", _("已撤回")

    # Look-ups by session use the (session, id) index below, which also pages a roster in order.
    session = models.ForeignKey(
        Session, models.PROTECT, related_name="applications", verbose_name=_("评价批次"), db_index=False
    )
    person = models.ForeignKey(Person, models.PROTECT, related_name="applications", verbose_name=_("考生"))
    pathway = models.CharField(_("申报途径"), max_length=20, choices=Pathway.choices, default=Pathway.NORMAL)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.ENROLLED)
    condition = models.ForeignKey(
        EligibilityCondition, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("符合的申报条件")
    )
    reason = models.TextField(_("理由"), blank=True)
    evidence = models.TextField(_("证明材料"), blank=True)
    phone = models.CharField(
        _("手机号码"),
        max_length=11,
        blank=True,
        validators=[RegexValidator(r"^1[3-9]\d{9}$", _("手机号码应为 11 位大陆手机号。"))],
        help_text=_("报名时填写的联系电话，11 位数字（registry.identity.normalize_mobile）"),
    )
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("报名人"))
    created_at = models.DateTimeField(_("报名时间"), auto_now_add=True)

    class Meta:
        ordering = ["session", "id"]
        # A session's applications in order: a page of a 20,000-candidate roster (or the score
        # grid's) reads its rows from this index, never a scan of every session's rows.
        indexes = [
            models.Index(fields=["session", "id"], name="application_session_order"),
            # The applications waiting for a decision (the regulator's queue, an institution's
            # desk): a few among a million, read from this small index instead of a scan of all.
            models.Index(
                fields=["pathway", "id"], name="application_pending_approval", condition=Q(state="pending_approval")
            ),
        ]
        verbose_name = _("申报")
        verbose_name_plural = _("申报")
        constraints = [
            models.UniqueConstraint(fields=["session", "person"], name="application_once_per_session"),
            models.CheckConstraint(
                condition=Q(phone="") | Q(phone__regex=r"^1[3-9][0-9]{9}$"), name="application_phone_11_digits"
            ),
            # Exceptional routes carry a reason and evidence.
            models.CheckConstraint(
                condition=Q(pathway__in=["normal", "school_group"]) | (~Q(reason="") & ~Q(evidence="")),
                name="application_exceptional_has_reason_and_evidence",
            ),
            models.CheckConstraint(
                condition=~Q(state__in=["enrolled", "rejected"])
                | Q(pathway__in=["normal", "school_group"])
                | Q(decided_by__isnull=False),
                name="application_exceptional_decided_by_someone",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person.name} → {self.session}"

    @property
    def status(self) -> str:
        """enrolled → passed / failed → certified (→ revoked). Derived, not stored, so no
        bulk write (issuance copies certificates in) can leave it behind. Select
        `result__certificate` with the application to keep a list to one query."""
        if self.state != self.State.ENROLLED:
            return self.state
        result = getattr(self, "result", None)
        if result is None or result.outcome == "pending":
            return self.Status.ENROLLED
        certificate = getattr(result, "certificate", None)
        if certificate is not None:
            return self.Status.REVOKED if certificate.revoked_at else self.Status.CERTIFIED
        return self.Status.PASSED if result.outcome == "passed" else self.Status.FAILED

    def get_status_display(self) -> str:
        return str(self.Status(self.status).label)

    @property
    def needs_approval(self) -> bool:
        return self.pathway not in (self.Pathway.NORMAL, self.Pathway.SCHOOL_GROUP)
