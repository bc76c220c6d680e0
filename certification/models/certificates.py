"""Certificates: numbered once, signed, verifiable, revocable; and the serial counters."""

from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registry.audit import audited
from registry.levels import EvaluationType, Level
from registry.models import Institution, Occupation, Person, User

from .issuance import IssuanceBatch
from .results import Result


class Series(models.TextChoices):
    """Each evaluation type numbers in its own series (docs/domain.md: certificates)."""

    SKILL_LEVEL = "skill_level", _("职业技能等级证书")
    QUALIFICATION = "qualification", _("职业资格证书")
    SPECIAL_ABILITY = "special_ability", _("专项职业能力证书")


class SerialCounter(models.Model):
    """The next serial of one series at one institution site, year and level. Issuance locks
    the row (SELECT … FOR UPDATE) for the length of a chunk's transaction: serials are then
    gapless and never duplicated, whatever runs at the same time, because a rolled-back chunk
    never advanced the counter. A PostgreSQL sequence would be faster but leaves gaps on
    rollback and needs one sequence per (site, year, level)."""

    series = models.CharField(max_length=20, choices=Series.choices)
    institution = models.ForeignKey(Institution, models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    level = models.PositiveSmallIntegerField(help_text="ladder order; 0 for special ability")
    next_serial = models.PositiveIntegerField(default=1)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["series", "institution", "year", "level"], name="serial_counter_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.series} {self.institution_id} {self.year} L{self.level}: next {self.next_serial}"


# What verification reads of a certificate, carried in its look-up indexes (see Certificate.Meta).
VERIFY_INDEX_COLUMNS = [
    "id",
    "person",
    "occupation",
    "institution",
    "level",
    "issued_on",
    "revoked_at",
    "signature_valid",
]


class Certificate(models.Model):
    result = models.OneToOneField(Result, models.PROTECT, related_name="certificate", verbose_name=_("成绩"))
    batch = models.ForeignKey(IssuanceBatch, models.PROTECT, related_name="certificates", verbose_name=_("发证批次"))
    # No index of its own: the (person, occupation) index below serves every look-up by person,
    # and each index costs every certificate issued.
    person = models.ForeignKey(
        Person, models.PROTECT, related_name="certificates", verbose_name=_("持证人"), db_index=False
    )
    institution = models.ForeignKey(
        Institution, models.PROTECT, related_name="certificates", verbose_name=_("评价机构")
    )
    evaluation_type = models.CharField(_("评价类型"), max_length=20, choices=EvaluationType.choices)
    occupation = models.ForeignKey(Occupation, models.PROTECT, related_name="+", verbose_name=_("职业"))
    level = models.PositiveSmallIntegerField(_("等级"), choices=Level.choices, null=True, blank=True)
    # Unique through Meta.constraints rather than unique=True: on PostgreSQL a unique CharField
    # also gets a varchar_pattern_ops (LIKE) index that no query uses and every insert pays for.
    number = models.CharField(_("证书编号"), max_length=22)
    issued_on = models.DateField(_("发证日期"))
    verification_code = models.CharField(_("查验码"), max_length=32)
    credential = models.TextField(_("凭证（规范化 JSON）"), help_text=_("the signed document, byte for byte"))
    proof_created = models.CharField(max_length=32)
    proof_value = models.CharField(max_length=120)
    # The whole proof as signed (canonical JSON, verificationMethod and created included): served
    # and checked as stored, never rebuilt from today's configuration.
    proof = models.TextField(_("签名证明（规范化 JSON）"), default="")
    # Verification's kept verdict on the signature and on the credential being this row's (its
    # number and holder's name): True when issuance wrote it, None when unknown, which the next
    # look-up checks and stores. A database trigger resets it to None whenever a signed column,
    # the holder or the holder's name changes, however the change is made (migration 0009).
    signature_valid = models.BooleanField(_("签名已核验"), null=True, default=None, editable=False)
    revoked_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("撤销人"), db_index=False
    )
    revocation_reason = models.TextField(_("撤销理由"), blank=True)
    reported_at = models.DateTimeField(_("上报时间"), null=True, blank=True)
    reported_by = models.ForeignKey(
        User, models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("上报人"), db_index=False
    )
    # The signed credential and proof are wide and never change; history keeps the rest.
    history = audited(excluded_fields=["credential", "proof", "proof_value", "proof_created"])

    class Meta:
        ordering = ["-issued_on", "number"]
        verbose_name = _("证书")
        verbose_name_plural = _("证书")
        constraints = [
            models.UniqueConstraint(fields=["number"], name="certificate_number_unique"),
            models.UniqueConstraint(fields=["verification_code"], name="certificate_verification_code_unique"),
            models.CheckConstraint(
                condition=Q(revoked_at__isnull=True) | (Q(revoked_by__isnull=False) & ~Q(revocation_reason="")),
                name="certificate_revocation_recorded",
            ),
            models.CheckConstraint(
                condition=Q(reported_at__isnull=True) | Q(reported_by__isnull=False),
                name="certificate_report_recorded",
            ),
        ]
        # Every index costs each issued certificate's insert: only those a query uses. The batch
        # has its foreign-key index; revoked_by and reported_by are null at issuance, so their
        # indexes (for PROTECT's check when a user is deleted) leave the null rows out. The two
        # look-ups of public verification (by QR code, by number) are each answered from a covering
        # index alone (an index-only scan, PostgreSQL; SQLite has no covering indexes and uses the
        # unique ones), without touching the wide rows that carry the signed credential. (A covering
        # unique constraint would save two indexes, but SQLite would then create no constraint.)
        indexes = [
            models.Index(fields=["person", "occupation"]),
            models.Index(
                fields=["verification_code"],
                include=["number", *VERIFY_INDEX_COLUMNS],
                name="certificate_verify_by_code",
            ),
            models.Index(
                fields=["number"],
                include=["verification_code", *VERIFY_INDEX_COLUMNS],
                name="certificate_verify_by_number",
            ),
            models.Index(fields=["revoked_by"], condition=Q(revoked_by__isnull=False), name="certificate_revoked_by"),
            models.Index(
                fields=["reported_by"], condition=Q(reported_by__isnull=False), name="certificate_reported_by"
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    def audit_institution_id(self) -> int | None:
        return self.institution_id


class SigningKey(models.Model):
    """A public key the registry has signed certificates with. The private key is only ever the
    one in SIGNING_KEY; a row keeps the public part, so that everything signed before a rotation
    still verifies. `method_id` is the verificationMethod the proofs carry, fixed when the key was
    first used (a did:key, so it does not depend on the registry's domain)."""

    class State(models.TextChoices):
        ACTIVE = "active", _("使用中")
        RETIRED = "retired", _("已停用")

    method_id = models.CharField(_("密钥标识"), max_length=300, unique=True)
    public_key_multibase = models.CharField(_("公钥"), max_length=100, unique=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.ACTIVE)
    created_at = models.DateTimeField(_("启用时间"), auto_now_add=True)
    retired_at = models.DateTimeField(_("停用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("签名密钥")
        verbose_name_plural = _("签名密钥")
        constraints = [
            models.UniqueConstraint(fields=["state"], condition=Q(state="active"), name="signing_key_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.method_id} ({self.state})"

    @classmethod
    def activate(cls, multibase: str, method_id: str) -> "SigningKey":
        """Make this key the active one (registering it if new) and retire any other."""
        with transaction.atomic():
            list(cls.objects.select_for_update().filter(state=cls.State.ACTIVE))
            cls.objects.filter(state=cls.State.ACTIVE).exclude(public_key_multibase=multibase).update(
                state=cls.State.RETIRED, retired_at=timezone.now()
            )
            key, _created = cls.objects.get_or_create(public_key_multibase=multibase, defaults={"method_id": method_id})
            if key.state != cls.State.ACTIVE:
                key.state, key.retired_at = cls.State.ACTIVE, None
                key.save(update_fields=["state", "retired_at"])
        return key


class Reissue(models.Model):
    """补发: a lost or damaged certificate printed again with the same number and data. A reissue
    is a record about the one certificate, never a second certificate (docs/domain.md: reissue)."""

    certificate = models.ForeignKey(Certificate, models.PROTECT, related_name="reissues", verbose_name=_("证书"))
    reason = models.TextField(_("补发理由"))
    reissued_on = models.DateField(_("补发日期"))
    reissued_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("补发人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)
    history = audited()

    class Meta:
        ordering = ["certificate", "-created_at", "-id"]
        verbose_name = _("证书补发")
        verbose_name_plural = _("证书补发")
        constraints = [models.CheckConstraint(condition=~Q(reason=""), name="reissue_reason_given")]

    def __str__(self) -> str:
        return f"{self.certificate_id} {self.reissued_on}"

    def audit_institution_id(self) -> int | None:
        return Certificate.objects.filter(pk=self.certificate_id).values_list("institution_id", flat=True).first()
