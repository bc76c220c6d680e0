"""Workers' accounts: the one-time activation codes handed to holders."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Person, User


class ActivationCode(models.Model):
    """A one-time code that opens a person's account, handed to the holder with the certificate
    notice: something the public never sees (the certificate's printed facts are not enough).
    Only its keyed hash is stored; it is shown once, when issued. Issuing a new code voids the
    person's earlier unused ones."""

    person = models.ForeignKey(Person, models.CASCADE, related_name="activation_codes", verbose_name=_("人员"))
    code_hash = models.CharField(_("激活码摘要"), max_length=64, unique=True, editable=False)
    issued_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("签发人"))
    issued_at = models.DateTimeField(_("签发时间"), auto_now_add=True)
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)
    voided_at = models.DateTimeField(_("作废时间"), null=True, blank=True)

    class Meta:
        ordering = ["-issued_at"]
        verbose_name = _("账号激活码")
        verbose_name_plural = _("账号激活码")
        constraints = [
            models.CheckConstraint(
                condition=Q(used_at__isnull=True) | Q(voided_at__isnull=True), name="activation_code_used_or_voided"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} @ {self.issued_at:%Y-%m-%d}"
