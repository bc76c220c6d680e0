"""Verification sweeps: a row each time a client, an ID number (from one client) or a
certificate number reaches its verification limit (certification/throttle.py), so the regulator
sees enumeration attempts in the work queue. Digests only: no address, ID number or certificate
number is stored, as in the throttle's keys."""

from django.db import models
from django.utils.translation import gettext_lazy as _


class VerificationSweep(models.Model):
    class Limit(models.TextChoices):
        CLIENT = "client", _("同一客户端查验次数")
        ID = "id", _("同一证件号码查验次数（同一客户端）")
        NUMBER = "number", _("同一证书编号查验次数")
        PERSON = "person", _("开通账号失败次数（同一人、同一客户端）")

    at = models.DateTimeField(_("时间"), auto_now_add=True, db_index=True)
    limit = models.CharField(_("触发的限制"), max_length=10, choices=Limit.choices)
    client = models.CharField(_("客户端（摘要）"), max_length=24, help_text=_("客户端地址的带密钥摘要"))
    subject = models.CharField(
        _("对象（摘要）"), max_length=24, blank=True, help_text=_("证件号码或证书编号的带密钥摘要")
    )
    path = models.CharField(_("请求路径"), max_length=200, blank=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("查验限流记录")
        verbose_name_plural = _("查验限流记录")

    def __str__(self) -> str:
        return f"{self.get_limit_display()} {self.client} @ {self.at:%Y-%m-%d %H:%M}"
