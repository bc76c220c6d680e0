"""Sessions (评价批次), their staff, and the supervisors' findings that hold them."""

from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from assessors.models import Assessor
from registry.levels import EvaluationType, Level
from registry.models import Institution, Occupation, Scope, Specialty, Standard, User


class Session(models.Model):
    class State(models.TextChoices):
        PLANNED = "planned", _("已计划")
        SUBMITTED = "submitted", _("已提交发证")
        ISSUED = "issued", _("已发证")
        CANCELLED = "cancelled", _("已取消")

    institution = models.ForeignKey(Institution, models.PROTECT, related_name="sessions", verbose_name=_("评价机构"))
    # Null only for the regulator's centre, which needs no filing (docs/domain.md: it runs qualification sessions).
    scope = models.ForeignKey(
        Scope, models.PROTECT, null=True, blank=True, related_name="sessions", verbose_name=_("备案范围")
    )
    standard = models.ForeignKey(Standard, models.PROTECT, related_name="+", verbose_name=_("职业标准"))
    evaluation_type = models.CharField(_("评价类型"), max_length=20, choices=EvaluationType.choices)
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="sessions", verbose_name=_("职业"))
    specialty = models.ForeignKey(
        Specialty, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("工种")
    )
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices, null=True, blank=True)
    name = models.CharField(_("批次名称"), max_length=200, blank=True)
    starts_on = models.DateField(_("考核开始"))
    ends_on = models.DateField(_("考核结束"))
    site = models.CharField(_("考核地点"), max_length=200)
    rooms = models.PositiveSmallIntegerField(_("考场数"), default=1)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PLANNED)
    submitted_at = models.DateTimeField(_("提交时间"), null=True, blank=True)
    submitted_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("提交人")
    )
    publicity_ends_on = models.DateField(_("公示截止"), null=True, blank=True)
    batch = models.ForeignKey(
        "certification.IssuanceBatch",
        models.PROTECT,
        null=True,
        blank=True,
        related_name="sessions",
        verbose_name=_("发证批次"),
        help_text=_("a session is issued by one batch only"),
    )
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    class Meta:
        ordering = ["-starts_on", "-id"]
        verbose_name = _("评价批次")
        verbose_name_plural = _("评价批次")
        constraints = [
            models.CheckConstraint(condition=Q(ends_on__gte=F("starts_on")), name="session_dates_ordered"),
            models.CheckConstraint(condition=Q(rooms__gte=1), name="session_at_least_one_room"),
            models.CheckConstraint(
                condition=Q(evaluation_type="special_ability", level__isnull=True)
                | (~Q(evaluation_type="special_ability") & Q(level__isnull=False)),
                name="session_level_iff_levelled_type",
            ),
        ]
        indexes = [models.Index(fields=["institution", "state"])]

    def __str__(self) -> str:
        level = f" {self.get_level_display()}" if self.level is not None else ""
        return f"{self.occupation.name}{level} {self.starts_on}（{self.institution.name}）"

    @property
    def is_locked(self) -> bool:
        return self.state != self.State.PLANNED


class SessionStaff(models.Model):
    class Role(models.TextChoices):
        INVIGILATOR = "invigilator", _("监考人员")
        ASSESSOR = "assessor", _("考评员")
        REVIEWER = "reviewer", _("评审委员")
        INTERNAL_SUPERVISOR = "internal_supervisor", _("内督")
        EXTERNAL_SUPERVISOR = "external_supervisor", _("外督")

    session = models.ForeignKey(Session, models.CASCADE, related_name="staff", verbose_name=_("评价批次"))
    assessor = models.ForeignKey(Assessor, models.PROTECT, related_name="assignments", verbose_name=_("人员"))
    role = models.CharField(_("职责"), max_length=30, choices=Role.choices)
    assigned_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("指派人"))
    assigned_at = models.DateTimeField(_("指派时间"), auto_now_add=True)

    class Meta:
        verbose_name = _("批次人员")
        verbose_name_plural = _("批次人员")
        constraints = [models.UniqueConstraint(fields=["session", "assessor", "role"], name="session_staff_unique")]

    def __str__(self) -> str:
        return f"{self.assessor.person.name}（{self.get_role_display()}）"

    @property
    def is_supervisor(self) -> bool:
        return self.role in (self.Role.INTERNAL_SUPERVISOR, self.Role.EXTERNAL_SUPERVISOR)


class Finding(models.Model):
    """A supervisor's finding (督导发现) on a session or on an institution (docs/domain.md,
    quality supervision). While open, one on a session holds the session's issuance; a severe
    one, or one past its rectification deadline, proposes a sanction on the filing
    (certification/services/supervision.py)."""

    class Severity(models.TextChoices):
        MINOR = "minor", _("一般")
        MAJOR = "major", _("较重")
        SEVERE = "severe", _("严重")

    # Exactly one of session and institution (constraint below): a finding on a session
    # belongs to the session's institution.
    session = models.ForeignKey(
        Session, models.PROTECT, null=True, blank=True, related_name="findings", verbose_name=_("评价批次")
    )
    institution = models.ForeignKey(
        Institution, models.PROTECT, null=True, blank=True, related_name="findings", verbose_name=_("评价机构")
    )
    # Empty when the regulator opened it (from a public report).
    supervisor = models.ForeignKey(
        Assessor, models.PROTECT, null=True, blank=True, related_name="findings", verbose_name=_("督导员")
    )
    opened_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("提出人")
    )
    visit_date = models.DateField(_("督导日期"), null=True, blank=True)
    text = models.TextField(_("督导发现"))
    severity = models.CharField(_("严重程度"), max_length=10, choices=Severity.choices, default=Severity.MINOR)
    deadline = models.DateField(_("整改期限"), null=True, blank=True)
    opened_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    cleared_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("解除人")
    )
    clearance = models.TextField(_("解除说明"), blank=True)

    class Meta:
        ordering = ["-opened_at"]
        verbose_name = _("督导发现")
        verbose_name_plural = _("督导发现")
        constraints = [
            models.CheckConstraint(
                condition=Q(cleared_at__isnull=True) | (Q(cleared_by__isnull=False) & ~Q(clearance="")),
                name="finding_clearance_recorded",
            ),
            models.CheckConstraint(
                condition=Q(session__isnull=False, institution__isnull=True)
                | Q(session__isnull=True, institution__isnull=False),
                name="finding_on_session_or_institution",
            ),
            models.CheckConstraint(
                condition=Q(deadline__isnull=True) | Q(visit_date__isnull=True) | Q(deadline__gte=F("visit_date")),
                name="finding_deadline_after_visit",
            ),
        ]
        indexes = [models.Index(fields=["cleared_at", "deadline"])]

    def __str__(self) -> str:
        return self.text[:40]

    @property
    def is_open(self) -> bool:
        return self.cleared_at is None

    @property
    def target_institution(self) -> Institution:
        return self.session.institution if self.session_id else self.institution
