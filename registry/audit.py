"""The audit log (issue 12): who changed what and when, with old and new values.

django-simple-history keeps a `Historical<Model>` table beside each audited model and writes
one row per save or delete in the same transaction as the change (a post_save signal inside
the caller's atomic block). The user comes from simple_history's middleware for requests
(pages, API, the admin); services that may run outside a request set `_history_user` to
their actor.

Every history row also carries the institution the object belongs to (`audit_institution`),
filled here when the row is written, so that the regulator's page can filter by institution
without joining through each model's own path to it.

What is not audited: writes that bypass model signals — `queryset.update()` and
`bulk_create()` (issuance copies certificates in with bulk inserts; marking certificates as
reported is an update; roster imports insert in bulk). The states that matter are saved one
object at a time and so are audited: a certificate's revocation (save) and its reissue (a
`Reissue` row, audited too). Where an update does change a state that matters (the sessions a
batch marks issued), the caller writes their history rows with `bulk_record`.
"""

from django.db import models
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords
from simple_history.signals import pre_create_historical_record

# Never copied into history: the encrypted number and its keyed hash (docs/domain.md, PIPL).
PERSON_SENSITIVE_FIELDS = ["document_ciphertext", "document_hash"]


class AuditedHistory(models.Model):
    """Abstract base of every historical model: the institution the change concerns."""

    audit_institution = models.IntegerField(_("所属机构"), null=True, blank=True, db_index=True)

    class Meta:
        abstract = True


def audited(**options) -> HistoricalRecords:
    """`HistoricalRecords` with the audit base; `excluded_fields` etc. pass through."""
    return HistoricalRecords(bases=[AuditedHistory], **options)


@receiver(pre_create_historical_record)
def _set_institution(sender, instance, history_instance, **kwargs) -> None:
    institution_of = getattr(instance, "audit_institution_id", None)
    if callable(institution_of) and hasattr(history_instance, "audit_institution"):
        history_instance.audit_institution = institution_of()


def by(instance, actor, reason: str = ""):
    """Attribute the next history row of `instance` to `actor` (and a reason) when a service
    runs outside a request (Celery, commands, tests); inside one the middleware already knows."""
    instance._history_user = actor
    if reason:
        instance._change_reason = reason[:100]
    return instance


def bulk_record(objects, *, user, reason: str = "", institution_id: int | None = None) -> None:
    """History rows for objects changed by `queryset.update()` or `bulk_update()`, which send no
    signal: one bulk insert per institution (their `audit_institution`, or `institution_id` when
    the caller knows they all share one), in the caller's transaction."""
    by_institution: dict = {}
    for instance in objects:
        if institution_id is not None:
            key = institution_id
        else:
            institution_of = getattr(instance, "audit_institution_id", None)
            key = institution_of() if callable(institution_of) else None
        by_institution.setdefault(key, []).append(instance)
    for key, group in by_institution.items():
        type(group[0]).history.bulk_history_create(
            group,
            update=True,
            default_user=user,
            default_change_reason=reason[:100],
            custom_historical_attrs={"audit_institution": key},
        )
