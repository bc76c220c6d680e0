"""Results: scores per part and the computed outcome; corrections after submission, audited."""

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import User

from .applications import Application

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
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

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
        indexes = [models.Index(fields=["outcome"])]

    def __str__(self) -> str:
        return f"{self.application.person.name}: {self.get_outcome_display()}"


class ResultCorrection(models.Model):
    """A change to a locked result: who, why, and the old and new values (DOMAIN.md archives)."""

    result = models.ForeignKey(Result, models.PROTECT, related_name="corrections", verbose_name=_("成绩"))
    field = models.CharField(_("科目"), max_length=20)
    old_value = models.CharField(_("原值"), max_length=20, blank=True)
    new_value = models.CharField(_("新值"), max_length=20, blank=True)
    reason = models.TextField(_("更正理由"))
    corrected_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("更正人"))
    corrected_at = models.DateTimeField(_("更正时间"), auto_now_add=True)

    class Meta:
        ordering = ["result", "corrected_at", "id"]
        verbose_name = _("成绩更正")
        verbose_name_plural = _("成绩更正")
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="correction_reason_required")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value} → {self.new_value}"
