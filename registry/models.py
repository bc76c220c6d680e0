"""What everything refers to: occupations and their standards, institutions with their
filings and scopes, people with their identity documents, and users with their roles."""

import datetime

from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator, RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from . import identity
from .audit import PERSON_SENSITIVE_FIELDS, audited
from .levels import EvaluationType, ExamPart, Level


class User(AbstractUser):
    """A person who signs in. Roles at institutions are Memberships; a worker links to a Person."""

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")


# --- Occupations and their standards ---


class Occupation(models.Model):
    code = models.CharField(
        _("职业编码"),
        max_length=10,
        unique=True,
        validators=[identity.validate_occupation_code],
        help_text=_("国家职业分类大典（2022 年版）编码，D-DD-DD-DD"),
    )
    code_2015 = models.CharField(
        _("2015 年版编码"),
        max_length=10,
        blank=True,
        db_index=True,
        validators=[identity.validate_occupation_code],
        help_text=_("标准或旧证书上印的 2015 年版编码（可检索）"),
    )
    name = models.CharField(_("职业名称"), max_length=100)
    former_names = models.JSONField(
        _("曾用名称"),
        default=list,
        blank=True,
        help_text=_("2015 年版大典等旧版中的职业名称：导入名单时按编码匹配并提示现名"),
    )
    in_qualification_catalogue = models.BooleanField(_("列入国家职业资格目录"), default=False)
    urgent_from = models.DateField(_("急需紧缺起始"), null=True, blank=True)
    urgent_until = models.DateField(_("急需紧缺截止"), null=True, blank=True)

    class Meta:
        ordering = ["code"]
        verbose_name = _("职业")
        verbose_name_plural = _("职业")
        constraints = [
            models.CheckConstraint(
                condition=Q(urgent_from__isnull=True)
                | Q(urgent_until__isnull=True)
                | Q(urgent_until__gte=F("urgent_from")),
                name="occupation_urgent_window_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"

    def clean(self) -> None:
        if self.urgent_from and self.urgent_until and self.urgent_until < self.urgent_from:
            raise ValidationError({"urgent_until": _("急需紧缺截止日期早于起始日期。")})

    def is_urgent_on(self, day: datetime.date) -> bool:
        return bool(
            self.urgent_from and self.urgent_from <= day and (not self.urgent_until or day <= self.urgent_until)
        )


class Specialty(models.Model):
    """工种: a specialisation under an occupation, offering some of its levels."""

    occupation = models.ForeignKey(Occupation, models.CASCADE, related_name="specialties", verbose_name=_("职业"))
    name = models.CharField(_("工种名称"), max_length=100)
    levels = models.JSONField(_("等级"), default=list, blank=True, help_text=_("空表示与职业标准相同"))

    class Meta:
        ordering = ["occupation__code", "name"]
        verbose_name = _("工种")
        verbose_name_plural = _("工种")
        constraints = [models.UniqueConstraint(fields=["occupation", "name"], name="specialty_unique_name")]

    def __str__(self) -> str:
        return f"{self.occupation.name}（{self.name}）"


class Standard(models.Model):
    """An occupation's standard: the levels it offers and, as rows, its eligibility conditions,
    exam parts and staffing ratios."""

    occupation = models.ForeignKey(Occupation, models.CASCADE, related_name="standards", verbose_name=_("职业"))
    version = models.CharField(_("版本"), max_length=40, help_text=_("如 2018年版"))
    levels = models.JSONField(_("等级"), help_text=_("标准设置的等级（阶梯序号 1=五级 … 5=一级）"))
    is_current = models.BooleanField(_("现行"), default=True)
    related_occupations = models.ManyToManyField(
        Occupation,
        blank=True,
        related_name="+",
        verbose_name=_("相关职业"),
        help_text=_("申报条件中“本职业或相关职业”的相关职业：其工作年限和证书同样计算"),
    )
    history = audited()

    class Meta:
        ordering = ["occupation__code", "-is_current", "version"]
        verbose_name = _("职业标准")
        verbose_name_plural = _("职业标准")
        constraints = [
            models.UniqueConstraint(fields=["occupation", "version"], name="standard_unique_version"),
            models.UniqueConstraint(
                fields=["occupation"], condition=Q(is_current=True), name="standard_one_current_per_occupation"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occupation.name} {self.version}"

    def clean(self) -> None:
        if not self.levels or not all(level in Level.values for level in self.levels):
            raise ValidationError({"levels": _("等级须为等级阶梯中的序号。")})


class EligibilityCondition(models.Model):
    """One 申报条件 of a level: every requirement set on the row must hold (a conjunction);
    a level is open to a candidate who meets any one of its rows (docs/domain.md: any one suffices)."""

    class Education(models.TextChoices):
        SECONDARY_VOCATIONAL = "secondary_vocational", _("技工学校/中职")
        SENIOR_TECHNICAL = "senior_technical", _("高级技工学校/技师学院")
        PREP_TECHNICIAN = "prep_technician", _("技师学院预备技师")
        HIGHER_VOCATIONAL = "higher_vocational", _("高职/大专")
        BACHELOR = "bachelor", _("本科")
        MASTER = "master", _("硕士及以上")

    standard = models.ForeignKey(Standard, models.CASCADE, related_name="conditions", verbose_name=_("职业标准"))
    level = models.PositiveSmallIntegerField(_("申报等级"), choices=Level.choices)
    code = models.CharField(_("条件编号"), max_length=20)
    text = models.CharField(_("条件原文"), max_length=300)
    years_in_occupation = models.PositiveSmallIntegerField(_("累计从业年限"), null=True, blank=True)
    prior_level = models.PositiveSmallIntegerField(_("须持有的等级"), choices=Level.choices, null=True, blank=True)
    years_after_prior = models.PositiveSmallIntegerField(_("取证后年限"), null=True, blank=True)
    education = models.JSONField(_("学历（任一）"), default=list, blank=True)
    apprenticeship = models.BooleanField(_("学徒期满"), default=False)
    min_age = models.PositiveSmallIntegerField(_("最低年龄"), null=True, blank=True)

    class Meta:
        ordering = ["standard", "level", "code"]
        verbose_name = _("申报条件")
        verbose_name_plural = _("申报条件")
        constraints = [
            models.UniqueConstraint(fields=["standard", "level", "code"], name="condition_unique_code"),
            models.CheckConstraint(
                condition=Q(years_after_prior__isnull=True) | Q(prior_level__isnull=False),
                name="condition_years_after_needs_prior_level",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.code} {self.text}"


class ExamRequirement(models.Model):
    """A part a level's assessment requires, with its pass mark (docs/domain.md: each part ≥ 60)."""

    standard = models.ForeignKey(Standard, models.CASCADE, related_name="exam_parts", verbose_name=_("职业标准"))
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices)
    part = models.CharField(_("考核科目"), max_length=20, choices=ExamPart.choices)
    pass_mark = models.PositiveSmallIntegerField(_("合格分"), default=60, validators=[MaxValueValidator(100)])

    class Meta:
        ordering = ["standard", "level", "part"]
        verbose_name = _("考核科目")
        verbose_name_plural = _("考核科目")
        constraints = [
            models.UniqueConstraint(fields=["standard", "level", "part"], name="exam_part_unique"),
            models.CheckConstraint(condition=Q(pass_mark__lte=100), name="exam_part_pass_mark_range"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.get_part_display()}"


class StaffingRule(models.Model):
    """Staffing ratio of an exam part (docs/domain.md: theory 1:15, ≥ 2 per room; practical 1:5, odd, ≥ 3)."""

    class Role(models.TextChoices):
        INVIGILATOR = "invigilator", _("监考人员")
        ASSESSOR = "assessor", _("考评员")
        REVIEWER = "reviewer", _("评审委员")

    standard = models.ForeignKey(Standard, models.CASCADE, related_name="staffing_rules", verbose_name=_("职业标准"))
    part = models.CharField(_("考核科目"), max_length=20, choices=ExamPart.choices)
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)
    candidates_per_staff = models.PositiveSmallIntegerField(_("每人负责考生数"), null=True, blank=True)
    min_count = models.PositiveSmallIntegerField(_("最少人数"), default=1)
    min_per_room = models.PositiveSmallIntegerField(_("每考场最少人数"), default=0)
    odd = models.BooleanField(_("须为奇数"), default=False)

    class Meta:
        verbose_name = _("配备比例")
        verbose_name_plural = _("配备比例")
        constraints = [models.UniqueConstraint(fields=["standard", "part", "role"], name="staffing_rule_unique")]

    def __str__(self) -> str:
        return f"{self.get_part_display()} {self.get_role_display()}"

    def required(self, *, candidates: int, rooms: int = 1) -> int:
        """The fewest staff this rule allows for `candidates` in `rooms`."""
        need = max(self.min_count, self.min_per_room * rooms)
        if self.candidates_per_staff:
            need = max(need, -(-candidates // self.candidates_per_staff))
        if self.odd and need % 2 == 0:
            need += 1
        return need


# --- Institutions, filings and roles ---


class District(models.TextChoices):
    HUANGPU = "310101", _("黄浦区")
    XUHUI = "310104", _("徐汇区")
    CHANGNING = "310105", _("长宁区")
    JINGAN = "310106", _("静安区")
    PUTUO = "310107", _("普陀区")
    HONGKOU = "310109", _("虹口区")
    YANGPU = "310110", _("杨浦区")
    MINHANG = "310112", _("闵行区")
    BAOSHAN = "310113", _("宝山区")
    JIADING = "310114", _("嘉定区")
    PUDONG = "310115", _("浦东新区")
    JINSHAN = "310116", _("金山区")
    SONGJIANG = "310117", _("松江区")
    QINGPU = "310118", _("青浦区")
    FENGXIAN = "310120", _("奉贤区")
    CHONGMING = "310151", _("崇明区")


class Institution(models.Model):
    class Kind(models.TextChoices):
        EMPLOYER = "employer", _("用人单位")
        SOCIAL = "social", _("社会培训评价组织")
        SCHOOL = "school", _("院校")
        CENTRE = "centre", _("职业技能鉴定中心（监管）")

    class Jurisdiction(models.TextChoices):
        PROVINCE = "province", _("省（市）备案")
        NATIONAL = "national", _("人社部备案")

    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    name = models.CharField(_("名称"), max_length=200)
    credit_code = models.CharField(
        _("统一社会信用代码"), max_length=18, unique=True, validators=[identity.validate_credit_code]
    )
    district = models.CharField(_("所在区"), max_length=6, choices=District.choices)
    jurisdiction = models.CharField(_("备案层级"), max_length=20, choices=Jurisdiction.choices, default="province")
    national_code = models.CharField(
        _("部备案机构代码"),
        max_length=4,
        default="0000",
        validators=[RegexValidator(r"^\d{4}$")],
        help_text=_("人社部备案的 4 位代码；省级备案为 0000"),
    )
    site_code = models.CharField(
        _("站点序列码"),
        max_length=6,
        unique=True,
        null=True,
        blank=True,
        validators=[RegexValidator(r"^\d{6}$", _("站点序列码为 6 位数字。"))],
        help_text=_("市人社部门分配的 6 位站点序列码，用于证书编号"),
    )
    school_files_as = models.CharField(
        _("院校备案身份"),
        max_length=20,
        blank=True,
        choices=[("employer", _("用人单位")), ("social", _("社会培训评价组织"))],
        help_text=_("院校以用人单位或社会培训评价组织身份备案"),
    )
    high_level_cap = models.DecimalField(
        _("高技能比例上限"),
        max_digits=4,
        decimal_places=3,
        null=True,
        blank=True,
        validators=[MinValueValidator(0), MaxValueValidator(1)],
        help_text=_("可选：普通申报取得三级及以上者占本单位职工的比例上限（0–1）"),
    )
    staff_count = models.PositiveIntegerField(_("职工人数"), null=True, blank=True)
    history = audited()

    class Meta:
        ordering = ["name"]
        verbose_name = _("评价机构")
        verbose_name_plural = _("评价机构")
        constraints = [
            models.CheckConstraint(
                condition=~Q(kind="school") | ~Q(school_files_as=""), name="institution_school_files_as_set"
            ),
            models.CheckConstraint(
                condition=Q(jurisdiction="national") | Q(national_code="0000"),
                name="institution_province_filing_code_0000",
            ),
            # Stored as normalised (identity.normalize_code): a code typed in lower case or with
            # spaces is the same code, and uniqueness holds on the one form.
            models.CheckConstraint(
                condition=Q(credit_code__regex=r"^[0-9A-Z]{18}$"), name="institution_credit_code_normalised"
            ),
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.credit_code = identity.normalize_code(self.credit_code)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        self.credit_code = identity.normalize_code(self.credit_code)
        super().clean_fields(exclude=exclude)

    def clean(self) -> None:
        if self.kind == self.Kind.SCHOOL and not self.school_files_as:
            raise ValidationError({"school_files_as": _("院校须注明以用人单位或社会培训评价组织身份备案。")})
        if self.jurisdiction == self.Jurisdiction.PROVINCE and self.national_code != "0000":
            raise ValidationError({"national_code": _("省级备案的机构代码固定为 0000。")})

    def audit_institution_id(self) -> int | None:
        return self.pk

    @property
    def certificate_letter(self) -> str:
        """Position 1 of a skill-level certificate number: Y employer, S social organisation."""
        kind = self.school_files_as if self.kind == self.Kind.SCHOOL else self.kind
        return {"employer": "Y", "social": "S"}.get(kind, "")


class Filing(models.Model):
    """备案: an institution's scope for a validity window, and the state machine around it."""

    class State(models.TextChoices):
        APPLIED = "applied", _("已申请")
        ACCEPTED = "accepted", _("已受理")
        FILED = "filed", _("已备案")
        SUSPENDED = "suspended", _("限期整改")
        REVOKED = "revoked", _("取消备案")
        WITHDRAWN = "withdrawn", _("已撤回")

    institution = models.ForeignKey(Institution, models.PROTECT, related_name="filings", verbose_name=_("机构"))
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.APPLIED)
    valid_from = models.DateField(_("有效期起"))
    valid_until = models.DateField(_("有效期止"))
    created_at = models.DateTimeField(_("申请时间"), auto_now_add=True)
    history = audited()

    class Meta:
        ordering = ["institution", "-valid_from"]
        verbose_name = _("备案")
        verbose_name_plural = _("备案")
        constraints = [
            models.CheckConstraint(condition=Q(valid_until__gte=F("valid_from")), name="filing_window_ordered"),
        ]

    def __str__(self) -> str:
        return f"{self.institution} {self.valid_from}–{self.valid_until}（{self.get_state_display()}）"

    def audit_institution_id(self) -> int | None:
        return self.institution_id

    def in_force_on(self, day: datetime.date) -> bool:
        return self.state == self.State.FILED and self.valid_from <= day <= self.valid_until


# Filings that still occupy their window: a second one may not overlap them.
LIVE_FILING_STATES = (Filing.State.APPLIED, Filing.State.ACCEPTED, Filing.State.FILED, Filing.State.SUSPENDED)


class Scope(models.Model):
    """One row of a filing's scope: (evaluation type, occupation, 工种, levels)."""

    filing = models.ForeignKey(Filing, models.CASCADE, related_name="scopes", verbose_name=_("备案"))
    evaluation_type = models.CharField(_("评价类型"), max_length=20, choices=EvaluationType.choices)
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    specialty = models.ForeignKey(
        Specialty,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("工种"),
        help_text=_("空表示该职业的所有工种"),
    )
    levels = models.JSONField(_("等级"), default=list, blank=True, help_text=_("专项职业能力为空"))
    history = audited()

    class Meta:
        verbose_name = _("备案范围")
        verbose_name_plural = _("备案范围")

    def __str__(self) -> str:
        levels = "、".join(self.level_labels)
        return f"{self.get_evaluation_type_display()} {self.occupation.name} {levels}"

    @property
    def level_labels(self) -> list[str]:
        return [str(Level(level).label) for level in sorted(self.levels)]

    def audit_institution_id(self) -> int | None:
        return Filing.objects.filter(pk=self.filing_id).values_list("institution_id", flat=True).first()

    def covers(self, *, evaluation_type: str, occupation_id: int, specialty_id: int | None, level: int | None) -> bool:
        if self.evaluation_type != evaluation_type or self.occupation_id != occupation_id:
            return False
        if self.specialty_id is not None and self.specialty_id != specialty_id:
            return False
        return level is None or level in self.levels


class FilingTransition(models.Model):
    """Who moved a filing from one state to another, when and why (docs/domain.md: every transition)."""

    filing = models.ForeignKey(Filing, models.CASCADE, related_name="transitions", verbose_name=_("备案"))
    from_state = models.CharField(_("原状态"), max_length=20, choices=Filing.State.choices, blank=True)
    to_state = models.CharField(_("新状态"), max_length=20, choices=Filing.State.choices)
    actor = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("决定人"))
    reason = models.TextField(_("理由"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)

    class Meta:
        ordering = ["filing", "at", "id"]
        verbose_name = _("备案状态变更")
        verbose_name_plural = _("备案状态变更")
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="filing_transition_reason_required")]

    def __str__(self) -> str:
        return f"{self.get_from_state_display()} → {self.get_to_state_display()}"


class Role(models.TextChoices):
    REGULATOR = "regulator", _("监管部门")
    INSTITUTION_ADMIN = "institution_admin", _("评价机构管理员")
    ASSESSOR = "assessor", _("考评员")
    SUPERVISOR = "supervisor", _("质量督导员")
    SCHOOL_ADMIN = "school_admin", _("院校管理员")


class Membership(models.Model):
    """A user's role at an institution. The regulator's staff are members of a centre."""

    user = models.ForeignKey(User, models.CASCADE, related_name="memberships", verbose_name=_("用户"))
    institution = models.ForeignKey(Institution, models.CASCADE, related_name="memberships", verbose_name=_("机构"))
    role = models.CharField(_("角色"), max_length=20, choices=Role.choices)

    class Meta:
        verbose_name = _("机构角色")
        verbose_name_plural = _("机构角色")
        constraints = [
            models.UniqueConstraint(fields=["user", "institution", "role"], name="membership_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.user} @ {self.institution}: {self.get_role_display()}"

    def clean(self) -> None:
        if self.role == Role.REGULATOR and self.institution.kind != Institution.Kind.CENTRE:
            raise ValidationError({"role": _("监管角色只能属于职业技能鉴定中心。")})


# --- People ---


class Person(models.Model):
    """A person keyed by (document type, document number). The number is stored encrypted,
    with a keyed hash for exact look-up and a masked copy for display (docs/domain.md, PIPL)."""

    class Sex(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    document_type = models.CharField(_("证件类型"), max_length=20, choices=identity.DocumentType.choices)
    document_ciphertext = models.TextField(_("证件号码（密文）"), editable=False)
    document_hash = models.CharField(_("证件号码摘要"), max_length=64, unique=True, editable=False)
    document_masked = models.CharField(_("证件号码"), max_length=24, editable=False)
    name = models.CharField(_("姓名"), max_length=100)
    sex = models.CharField(_("性别"), max_length=1, choices=Sex.choices, blank=True)
    birth_date = models.DateField(_("出生日期"), null=True, blank=True)
    user = models.OneToOneField(
        User, models.SET_NULL, null=True, blank=True, related_name="person", verbose_name=_("账号")
    )
    # The encrypted number and its hash stay out of history; the masked copy is enough to audit.
    history = audited(excluded_fields=PERSON_SENSITIVE_FIELDS)

    class Meta:
        ordering = ["id"]
        verbose_name = _("人员")
        verbose_name_plural = _("人员")

    def __str__(self) -> str:
        return f"{self.name}（{self.document_masked}）"

    @cached_property
    def document_number(self) -> str:
        """The full number: for the holder and the regulator only; never log it."""
        return identity.decrypt(self.document_ciphertext)

    @property
    def document_partial(self) -> str:
        """The form the holder sees of their own number (310113********2015): more than the
        public form `document_masked`, less than the full number."""
        return identity.partial_document_number(self.document_number)


class SensitiveRead(models.Model):
    """One display of a full document number to someone other than its holder: who, when, whose
    and why. Written by `registry.services.person_document_reveal` (the regulator looking up one
    person) and by the national-upload export (certification.services.reporting.report_export)."""

    user = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("查看人"))
    person = models.ForeignKey(Person, models.PROTECT, related_name="sensitive_reads", verbose_name=_("人员"))
    at = models.DateTimeField(_("时间"), auto_now_add=True)
    purpose = models.CharField(_("用途"), max_length=200)
    path = models.CharField(_("请求路径"), max_length=300, blank=True)

    class Meta:
        ordering = ["-at"]
        verbose_name = _("敏感信息查看记录")
        verbose_name_plural = _("敏感信息查看记录")

    def __str__(self) -> str:
        return f"{self.user} → {self.person_id} @ {self.at:%Y-%m-%d %H:%M}"


class Education(models.Model):
    person = models.ForeignKey(Person, models.CASCADE, related_name="educations", verbose_name=_("人员"))
    kind = models.CharField(_("学历类别"), max_length=30, choices=EligibilityCondition.Education.choices)
    school = models.CharField(_("学校"), max_length=200, blank=True)
    major = models.CharField(_("专业"), max_length=100, blank=True)
    related_occupation = models.ForeignKey(
        Occupation,
        models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("对应职业"),
        help_text=_("专业与之对应（本专业或相关专业）的职业"),
    )
    graduation_date = models.DateField(_("毕业（预计）日期"))

    class Meta:
        verbose_name = _("学历")
        verbose_name_plural = _("学历")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.school} {self.major}"


class WorkExperience(models.Model):
    """Time worked in an occupation; the basis of 累计从事本职业 years."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="work_experiences", verbose_name=_("人员"))
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    employer = models.CharField(_("单位"), max_length=200, blank=True)
    employer_credit_code = models.CharField(
        _("单位统一社会信用代码"),
        max_length=18,
        blank=True,
        db_index=True,
        help_text=_("用人单位直接认定本单位职工时据此核对在职关系"),
    )
    started = models.DateField(_("起始"))
    ended = models.DateField(_("截止"), null=True, blank=True, help_text=_("空表示至今"))
    apprenticeship = models.BooleanField(_("学徒"), default=False, help_text=_("学徒期；有截止日期即为期满"))

    class Meta:
        verbose_name = _("工作经历")
        verbose_name_plural = _("工作经历")
        constraints = [
            models.CheckConstraint(
                condition=Q(ended__isnull=True) | Q(ended__gte=F("started")), name="work_experience_ordered"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.occupation.name} {self.started}–{self.ended or ''}"


class PriorCertificate(models.Model):
    """A certificate issued outside this registry (before it, or elsewhere), entered so that
    eligibility can count it. Certificates issued here are certification.Certificate."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="prior_certificates", verbose_name=_("人员"))
    evaluation_type = models.CharField(_("评价类型"), max_length=20, choices=EvaluationType.choices)
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices)
    number = models.CharField(_("证书编号"), max_length=40)
    issuer = models.CharField(_("发证机构"), max_length=200)
    issued_on = models.DateField(_("发证日期"))

    class Meta:
        verbose_name = _("既有证书")
        verbose_name_plural = _("既有证书")
        constraints = [models.UniqueConstraint(fields=["person", "number"], name="prior_certificate_unique")]

    def __str__(self) -> str:
        return f"{self.occupation.name} {self.get_level_display()} {self.issued_on}"

    def save(self, *args, **kwargs) -> None:
        self.number = identity.normalize_certificate_number(self.number)
        super().save(*args, **kwargs)

    def clean_fields(self, exclude=None) -> None:
        self.number = identity.normalize_certificate_number(self.number)
        super().clean_fields(exclude=exclude)


# --- The lifelong record's entries from outside the assessment process ---


class TrainingRecord(models.Model):
    """职业技能培训: provider, course, hours and the subsidy paid (劳动者终身职业技能培训档案)."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="trainings", verbose_name=_("人员"))
    provider = models.CharField(_("培训机构"), max_length=200)
    course = models.CharField(_("培训项目"), max_length=200)
    occupation = models.ForeignKey(
        Occupation, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("职业")
    )
    hours = models.PositiveIntegerField(_("学时"))
    started = models.DateField(_("开始日期"))
    ended = models.DateField(_("结束日期"))
    subsidy = models.DecimalField(_("补贴金额（元）"), max_digits=8, decimal_places=2, null=True, blank=True)

    class Meta:
        ordering = ["-ended"]
        verbose_name = _("培训记录")
        verbose_name_plural = _("培训记录")
        constraints = [models.CheckConstraint(condition=Q(ended__gte=F("started")), name="training_dates_ordered")]

    def __str__(self) -> str:
        return f"{self.course}（{self.provider}）"


class CompetitionTier(models.TextChoices):
    WORLD = "world", _("世界技能大赛")
    NATIONAL = "national", _("国家级竞赛")
    CITY = "city", _("市级竞赛")
    DISTRICT = "district", _("区级竞赛")
    INDUSTRY = "industry", _("行业竞赛")
    ENTERPRISE = "enterprise", _("企业竞赛")


class Medal(models.TextChoices):
    GOLD = "gold", _("金牌")
    SILVER = "silver", _("银牌")
    BRONZE = "bronze", _("铜牌")
    EXCELLENCE = "excellence", _("优胜奖")


class Competition(models.Model):
    """职业技能竞赛: its level and, as rows (PromotionRule), what an award in it promotes to
    (docs/domain.md, Competitions). Loaded by `manage.py load_competitions`, edited in the admin."""

    name = models.CharField(_("竞赛名称"), max_length=200, unique=True)
    tier = models.CharField(_("竞赛级别"), max_length=20, choices=CompetitionTier.choices)
    organiser = models.CharField(_("主办单位"), max_length=200, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"), validators=[MinValueValidator(2000)])

    class Meta:
        ordering = ["-year", "name"]
        verbose_name = _("职业技能竞赛")
        verbose_name_plural = _("职业技能竞赛")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_tier_display()}）"

    def rule_for(self, *, medal: str = "", rank: int | None = None) -> "PromotionRule | None":
        return next((rule for rule in self.rules.all() if rule.matches(medal=medal, rank=rank)), None)


class PromotionRule(models.Model):
    """One row of a competition's promotion rule: a medal, or a rank range, promotes to
    `target_level` — or, held at or above it, one level up (`one_up_if_held`) — never above
    `cap_level`. Without a target level the award promotes one level up from the level held."""

    competition = models.ForeignKey(Competition, models.CASCADE, related_name="rules", verbose_name=_("竞赛"))
    medal = models.CharField(_("奖牌"), max_length=20, choices=Medal.choices, blank=True)
    rank_from = models.PositiveSmallIntegerField(_("名次起"), null=True, blank=True)
    rank_to = models.PositiveSmallIntegerField(_("名次止"), null=True, blank=True)
    target_level = models.PositiveSmallIntegerField(
        _("晋升等级"), choices=Level.choices, null=True, blank=True, help_text=_("空表示在现有等级上晋升一级")
    )
    one_up_if_held = models.BooleanField(_("已达该等级者晋升一级"), default=True)
    cap_level = models.PositiveSmallIntegerField(_("最高晋升至"), choices=Level.choices, default=Level.GRADE_1)

    class Meta:
        ordering = ["competition", "medal", "rank_from"]
        verbose_name = _("竞赛晋升规则")
        verbose_name_plural = _("竞赛晋升规则")
        constraints = [
            models.CheckConstraint(
                condition=(~Q(medal="") & Q(rank_from__isnull=True) & Q(rank_to__isnull=True))
                | (Q(medal="") & Q(rank_from__gte=1) & Q(rank_to__gte=F("rank_from"))),
                name="promotion_rule_medal_or_rank_range",
            ),
            # Competitions promote to examined levels only; 特级技师 and 首席技师 are appointed.
            models.CheckConstraint(condition=Q(cap_level__gte=1, cap_level__lte=5), name="promotion_rule_cap_examined"),
            models.CheckConstraint(
                condition=Q(target_level__isnull=True) | Q(target_level__gte=1, target_level__lte=F("cap_level")),
                name="promotion_rule_target_within_cap",
            ),
        ]

    def __str__(self) -> str:
        won = self.get_medal_display() if self.medal else f"{self.rank_from}–{self.rank_to}"
        target = self.get_target_level_display() if self.target_level else _("晋升一级")
        return f"{won} → {target}"

    def matches(self, *, medal: str = "", rank: int | None = None) -> bool:
        if self.medal:
            return medal == self.medal
        return rank is not None and self.rank_from <= rank <= self.rank_to

    def promoted_level(self, held: int | None) -> int | None:
        """The level the award promotes a holder of `held` (None: no level in the occupation)
        to, or None when it promotes them no higher than they are."""
        if self.target_level is None:
            level = Level.GRADE_5 if held is None else held + 1
        elif held is not None and held >= self.target_level:
            level = held + 1 if self.one_up_if_held else self.target_level
        else:
            level = self.target_level
        level = min(level, self.cap_level)
        return level if held is None or level > held else None


class CompetitionAward(models.Model):
    Tier = CompetitionTier

    person = models.ForeignKey(Person, models.CASCADE, related_name="awards", verbose_name=_("人员"))
    competition = models.CharField(_("竞赛名称"), max_length=200)
    tier = models.CharField(_("竞赛类别"), max_length=20, choices=CompetitionTier.choices)
    event = models.CharField(_("赛项"), max_length=200)
    award = models.CharField(_("名次/奖项"), max_length=100)
    awarded_on = models.DateField(_("获奖日期"))
    # Set when the award is recorded through the service (certification.services.competitions):
    # the competition whose rule applies, the occupation of the event, the medal or rank won.
    contest = models.ForeignKey(
        Competition, models.PROTECT, null=True, blank=True, related_name="awards", verbose_name=_("竞赛")
    )
    occupation = models.ForeignKey(
        Occupation, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("赛项职业")
    )
    medal = models.CharField(_("奖牌"), max_length=20, choices=Medal.choices, blank=True)
    rank = models.PositiveSmallIntegerField(_("名次"), null=True, blank=True)
    evidence = models.TextField(_("证明材料"), blank=True)
    recorded_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )

    class Meta:
        ordering = ["-awarded_on"]
        verbose_name = _("竞赛获奖")
        verbose_name_plural = _("竞赛获奖")

    def __str__(self) -> str:
        return f"{self.competition} {self.award}"


class Appointment(models.Model):
    """特级技师 / 首席技师: appointed by an enterprise (评聘), published by the regulator.
    Recorded by certification.services.appointments (which checks the prerequisites); shown on
    the worker's record only once published."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="appointments", verbose_name=_("人员"))
    level = models.PositiveSmallIntegerField(
        _("聘任等级"), choices=[(Level.PRINCIPAL, Level.PRINCIPAL.label), (Level.CHIEF, Level.CHIEF.label)]
    )
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    employer = models.CharField(_("聘任单位"), max_length=200)
    institution = models.ForeignKey(
        Institution,
        models.PROTECT,
        null=True,
        blank=True,
        related_name="appointments",
        verbose_name=_("聘任企业"),
    )
    term_from = models.DateField(_("聘期起"))
    term_until = models.DateField(_("聘期止"))
    published_on = models.DateField(_("公布日期"), null=True, blank=True)
    appointed_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("录入人")
    )
    published_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("公布人")
    )
    history = audited()

    class Meta:
        ordering = ["-term_from"]
        verbose_name = _("技师聘任")
        verbose_name_plural = _("技师聘任")
        constraints = [
            models.CheckConstraint(condition=Q(term_until__gte=F("term_from")), name="appointment_term_ordered"),
            models.CheckConstraint(condition=Q(level__in=[6, 7]), name="appointment_level_principal_or_chief"),
        ]

    def __str__(self) -> str:
        return f"{self.get_level_display()} {self.employer}"

    def audit_institution_id(self) -> int | None:
        return self.institution_id


# --- The holiday calendar (working days) ---


class CalendarYear(models.Model):
    """A year whose holiday arrangement (放假安排, with its 调休 make-up working days) has been
    entered. Working days are counted only inside covered years: a date in another year is
    refused, never guessed (docs/domain.md: the State Council publishes each year's in the autumn before)."""

    year = models.PositiveSmallIntegerField(_("年份"), unique=True, validators=[MinValueValidator(2000)])
    source = models.CharField(_("来源"), max_length=200, help_text=_("如 国务院办公厅关于2027年部分节假日安排的通知"))
    loaded_at = models.DateTimeField(_("录入时间"), auto_now=True)

    class Meta:
        ordering = ["-year"]
        verbose_name = _("节假日安排（年度）")
        verbose_name_plural = _("节假日安排（年度）")

    def __str__(self) -> str:
        return str(self.year)


class CalendarDay(models.Model):
    """A day that differs from the weekday rule: a holiday (放假, also on a weekday) or a
    make-up working day (调休上班, also on a weekend)."""

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    year = models.ForeignKey(CalendarYear, models.CASCADE, related_name="days", verbose_name=_("年份"))
    date = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类别"), max_length=10, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=50, blank=True)

    class Meta:
        ordering = ["date"]
        verbose_name = _("节假日/调休日")
        verbose_name_plural = _("节假日/调休日")

    def __str__(self) -> str:
        return f"{self.date} {self.get_kind_display()} {self.name}"

    def clean(self) -> None:
        if self.date and self.year_id and self.date.year != self.year.year:
            raise ValidationError({"date": _("日期不在 %(y)d 年内。") % {"y": self.year.year}})
