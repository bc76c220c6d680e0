"""The skilled-talent database's summary tables (技能人才数据库): refreshed by
certification.services.statistics.statistics_refresh (a Celery beat task, and after every
issuance batch), read by the regulator's statistics page. Nothing here is written by hand."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from registry.models import Person


class HeldLevel(models.Model):
    """One row per person who holds a level: the highest level held (docs/domain.md: a holder's
    highest level counts), with the credential that gives it (the earliest one at that level)
    for the breakdowns, and the dates the person first held any level and first held a high-skill
    level. Built in one INSERT … SELECT from unrevoked certificates and prior certificates.
    Only the primary key is indexed: every figure reads the whole table in one GROUP BY, and each
    further index would slow the rebuild (the figures' reads use StatisticValue's index)."""

    person = models.OneToOneField(
        Person, models.DO_NOTHING, primary_key=True, db_constraint=False, related_name="+", verbose_name=_("人员")
    )
    level = models.PositiveSmallIntegerField(_("最高等级"))
    evaluation_type = models.CharField(_("评价类型"), max_length=20)
    occupation_id = models.IntegerField(_("职业"))
    # The issuing institution's kind and district; "prior" and "" for a prior certificate
    # (issued outside this registry: its issuer is a name, not an institution here).
    institution_kind = models.CharField(_("机构类别"), max_length=20)
    district = models.CharField(_("所在区"), max_length=6)
    reached_on = models.DateField(_("取得最高等级日期"))
    skilled_since = models.DateField(_("首次取得等级日期"))
    high_skill_since = models.DateField(_("首次取得高技能等级日期"), null=True)

    class Meta:
        verbose_name = _("人员最高等级（统计）")
        verbose_name_plural = _("人员最高等级（统计）")

    def __str__(self) -> str:
        return f"{self.person_id}: {self.level}"


class StatisticValue(models.Model):
    """One number of one figure: (figure, category, series) → value, in the figure's order.
    A page reads a figure with one index scan over a few hundred rows at most."""

    figure = models.CharField(_("图表"), max_length=40)
    position = models.PositiveIntegerField(_("顺序"))
    category = models.CharField(_("类别"), max_length=40)
    label = models.CharField(_("类别名称"), max_length=200, blank=True)
    series = models.CharField(_("系列"), max_length=40)
    value = models.FloatField(_("数值"))

    class Meta:
        verbose_name = _("统计数值")
        verbose_name_plural = _("统计数值")
        indexes = [models.Index(fields=["figure", "position"])]

    def __str__(self) -> str:
        return f"{self.figure} {self.category} {self.series}={self.value}"


class StatisticsRun(models.Model):
    """One refresh: when the figures were computed, over how many certificates, how long it took."""

    class Trigger(models.TextChoices):
        SCHEDULE = "schedule", _("定时刷新")
        ISSUANCE = "issuance", _("发证后刷新")
        MANUAL = "manual", _("手动刷新")

    trigger = models.CharField(_("触发方式"), max_length=20, choices=Trigger.choices)
    computed_at = models.DateTimeField(_("计算时间"))
    seconds = models.FloatField(_("耗时（秒）"))
    certificates = models.PositiveIntegerField(_("有效证书数"))
    people = models.PositiveIntegerField(_("持证人数"))

    class Meta:
        ordering = ["-computed_at", "-id"]
        get_latest_by = "computed_at"
        verbose_name = _("统计刷新")
        verbose_name_plural = _("统计刷新")

    def __str__(self) -> str:
        return f"{self.computed_at:%Y-%m-%d %H:%M} ({self.get_trigger_display()})"
