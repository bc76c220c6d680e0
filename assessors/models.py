"""The people who judge and watch: 考评员, 监考人员 and 质量督导员 (内督/外督)."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from registry.models import Institution, Person, User


class Assessor(models.Model):
    class Kind(models.TextChoices):
        ASSESSOR = "assessor", _("考评员")
        INVIGILATOR = "invigilator", _("监考人员")
        INTERNAL_SUPERVISOR = "internal_supervisor", _("内部质量督导员（内督）")
        EXTERNAL_SUPERVISOR = "external_supervisor", _("外部质量督导员（外督）")

    user = models.ForeignKey(User, models.PROTECT, related_name="assessor_roles", verbose_name=_("账号"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="assessor_roles", verbose_name=_("人员"))
    institution = models.ForeignKey(
        Institution,
        models.PROTECT,
        related_name="assessors",
        verbose_name=_("所属机构"),
        help_text=_("外督属于监管部门（鉴定中心）"),
    )
    kind = models.CharField(_("类别"), max_length=30, choices=Kind.choices)
    card_number = models.CharField(_("证卡编号"), max_length=30, blank=True)
    valid_from = models.DateField(_("聘期起"))
    valid_until = models.DateField(_("聘期止"))
    active = models.BooleanField(_("在聘"), default=True)

    class Meta:
        verbose_name = _("考评/督导人员")
        verbose_name_plural = _("考评/督导人员")
        constraints = [
            models.UniqueConstraint(fields=["person", "institution", "kind"], name="assessor_unique_role"),
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="assessor_term_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.person.name}（{self.get_kind_display()}，{self.institution}）"

    def clean(self) -> None:
        # docs/domain.md: external supervisors are the regulator's, so they belong to its centre; the
        # centre also runs its own qualification sessions, so it accredits every other kind too.
        is_centre = self.institution.kind == Institution.Kind.CENTRE
        if self.kind == self.Kind.EXTERNAL_SUPERVISOR and not is_centre:
            raise ValidationError({"institution": _("外督由监管部门聘任，须属于鉴定中心。")})
        if self.valid_until < self.valid_from:
            raise ValidationError({"valid_until": _("聘期止早于聘期起。")})

    @property
    def is_supervisor(self) -> bool:
        return self.kind in (self.Kind.INTERNAL_SUPERVISOR, self.Kind.EXTERNAL_SUPERVISOR)


class Relation(models.Model):
    """A relation an assessor declares, for recusal (回避): they never assess this person."""

    class Kind(models.TextChoices):
        RELATIVE = "relative", _("亲属")
        STUDENT = "student", _("师生")
        COLLEAGUE = "colleague", _("同事")

    assessor = models.ForeignKey(Assessor, models.CASCADE, related_name="relations", verbose_name=_("考评人员"))
    person = models.ForeignKey(Person, models.CASCADE, related_name="+", verbose_name=_("关系人"))
    kind = models.CharField(_("关系"), max_length=20, choices=Kind.choices)

    class Meta:
        verbose_name = _("回避关系")
        verbose_name_plural = _("回避关系")
        constraints = [models.UniqueConstraint(fields=["assessor", "person"], name="relation_unique")]

    def __str__(self) -> str:
        return f"{self.assessor.person.name} — {self.person.name}（{self.get_kind_display()}）"
