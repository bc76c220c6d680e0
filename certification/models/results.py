"""Results: scores per part and the computed outcome; corrections after submission, audited."""

from django.core.exceptions import FieldDoesNotExist
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.audit import audited
from registry.models import User

from .applications import Application
from .sessions import Session

SCORE_VALIDATORS = [MinValueValidator(0), MaxValueValidator(100)]
SCORE_PARTS = ("theory", "practical", "review")


def _score_field(label):
    return models.DecimalField(
        label, max_digits=4, decimal_places=1, null=True, blank=True, validators=SCORE_VALIDATORS
    )


class Result(models.Model):
    class Outcome(models.TextChoices):
        PENDING = "pending", _("待评分")
        PASSED = "passed", _("合格")
        FAILED = "failed", _("不合格")

    application = models.OneToOneField(Application, models.PROTECT, related_name="result", verbose_name=_("申报"))
    theory = _score_field(_("理论知识"))
    practical = _score_field(_("操作技能"))
    review = _score_field(_("综合评审"))
    special_passed = models.BooleanField(_("专项考核合格"), null=True, blank=True)
    # Derived from the scores by certification.services.results; never typed by a user.
    outcome = models.CharField(
        _("结果"), max_length=10, choices=Outcome.choices, default=Outcome.PENDING, editable=False
    )
    recorded_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )
    # Empty: the result is publicised with its session (Session.publicity_ends_on). Set when a
    # correction changes the outcome: the result alone is publicised again until this day.
    publicity_ends_on = models.DateField(_("重新公示截止"), null=True, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    history = audited()

    class Meta:
        ordering = ["application_id"]
        verbose_name = _("成绩")
        verbose_name_plural = _("成绩")
        constraints = [
            models.CheckConstraint(
                condition=Q(theory__isnull=True) | Q(theory__gte=0, theory__lte=100), name="result_theory_range"
            ),
            models.CheckConstraint(
                condition=Q(practical__isnull=True) | Q(practical__gte=0, practical__lte=100),
                name="result_practical_range",
            ),
            models.CheckConstraint(
                condition=Q(review__isnull=True) | Q(review__gte=0, review__lte=100), name="result_review_range"
            ),
        ]
        indexes = [
            models.Index(fields=["outcome"]),
            # The few results publicised again after a correction: the public list finds their
            # sessions without reading the million results (selectors.sessions_in_publicity).
            models.Index(
                fields=["publicity_ends_on"],
                name="result_publicised_again",
                condition=Q(publicity_ends_on__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.application.person.name}: {self.get_outcome_display()}"

    def audit_institution_id(self) -> int | None:
        return Session.objects.filter(applications=self.application_id).values_list("institution_id", flat=True).first()


class ResultCorrection(models.Model):
    """A change to a locked result: who, why, and the old and new values (docs/domain.md archives).

    One that turns a fail into a pass is a request: it waits (PENDING) for a second person, the
    regulator, and takes effect only on approval. Any other correction is APPLIED at once."""

    class State(models.TextChoices):
        APPLIED = "applied", _("已生效")
        PENDING = "pending", _("待监管部门审批")
        APPROVED = "approved", _("已批准生效")
        REJECTED = "rejected", _("已驳回")

    result = models.ForeignKey(Result, models.PROTECT, related_name="corrections", verbose_name=_("成绩"))
    field = models.CharField(_("科目"), max_length=20)
    old_value = models.CharField(_("原值"), max_length=20, blank=True)
    new_value = models.CharField(_("新值"), max_length=20, blank=True, help_text=_("the proposed value"))
    reason = models.TextField(_("更正理由"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.APPLIED)
    # The requester (who proposed the change).
    corrected_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("更正人"))
    corrected_at = models.DateTimeField(_("更正时间"), auto_now_add=True)
    decided_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("审批人")
    )
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    class Meta:
        ordering = ["result", "corrected_at", "id"]
        verbose_name = _("成绩更正")
        verbose_name_plural = _("成绩更正")
        constraints = [
            models.CheckConstraint(condition=~Q(reason=""), name="correction_reason_required"),
            models.UniqueConstraint(
                fields=["result"], condition=Q(state="pending"), name="correction_one_pending_per_result"
            ),
            # A decided request names a decider other than the requester (four eyes).
            models.CheckConstraint(
                condition=~Q(state__in=["approved", "rejected"])
                | (Q(decided_by__isnull=False, decided_at__isnull=False) & ~Q(decided_by=models.F("corrected_by"))),
                name="correction_decided_by_second_person",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"

    @property
    def field_label(self) -> str:
        """The corrected part by its name (the result field's own label), not its column."""
        try:
            return str(Result._meta.get_field(self.field).verbose_name)
        except FieldDoesNotExist:
            return self.field
