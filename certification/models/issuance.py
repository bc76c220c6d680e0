"""Issuance batches: a set of submitted sessions whose passed results become certificates,
processed by Celery in chunks; progress and failures are rows, so they survive any worker."""

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from registry.models import Institution, User

from .results import Result


class IssuanceBatch(models.Model):
    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("发证中")
        DONE = "done", _("已完成")

    institution = models.ForeignKey(Institution, models.PROTECT, related_name="batches", verbose_name=_("评价机构"))
    issue_date = models.DateField(_("发证日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.QUEUED)
    total = models.PositiveIntegerField(_("应发证书数"), default=0)
    created_by = models.ForeignKey(User, models.PROTECT, related_name="+", verbose_name=_("提交人"))
    created_at = models.DateTimeField(_("提交时间"), auto_now_add=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("发证批次")
        verbose_name_plural = _("发证批次")

    def __str__(self) -> str:
        return f"#{self.pk} {self.institution} {self.issue_date}"


class BatchChunk(models.Model):
    """A slice of a batch that one task issues in one transaction. Its results share one serial
    counter (institution, series, year, level), so chunks of different counters run in parallel."""

    class State(models.TextChoices):
        PENDING = "pending", _("待处理")
        DONE = "done", _("已完成")

    batch = models.ForeignKey(IssuanceBatch, models.CASCADE, related_name="chunks")
    index = models.PositiveIntegerField()
    result_ids = models.JSONField()
    state = models.CharField(max_length=10, choices=State.choices, default=State.PENDING)
    issued = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    attempts = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["batch", "index"]
        constraints = [models.UniqueConstraint(fields=["batch", "index"], name="chunk_unique_index")]
        indexes = [models.Index(fields=["batch", "state"])]

    def __str__(self) -> str:
        return f"batch {self.batch_id} chunk {self.index}"


class BatchFailure(models.Model):
    """A passed result the batch did not certify, and why (held, out of scope, …)."""

    batch = models.ForeignKey(IssuanceBatch, models.CASCADE, related_name="failures")
    result = models.ForeignKey(Result, models.PROTECT, related_name="+")
    reason = models.CharField(max_length=300)

    class Meta:
        ordering = ["batch", "result"]
        constraints = [models.UniqueConstraint(fields=["batch", "result"], name="failure_once_per_result")]

    def __str__(self) -> str:
        return f"result {self.result_id}: {self.reason}"


class BatchArchive(models.Model):
    """A ZIP of a batch's PDFs, built by a Celery task with progress."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("生成中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    batch = models.ForeignKey(IssuanceBatch, models.CASCADE, related_name="archives")
    state = models.CharField(max_length=10, choices=State.choices, default=State.QUEUED)
    done = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    path = models.CharField(max_length=300, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=~Q(state="done") | ~Q(path=""), name="archive_done_has_path"),
        ]

    def __str__(self) -> str:
        return f"batch {self.batch_id} archive {self.pk}"
