"""The audit log as the regulator reads it: history rows of every audited model (registry/audit.py),
filtered by object type, object id, user, institution and date, newest first, each with the
fields it changed (old → new)."""

import datetime
from dataclasses import dataclass, field

from django.db.models import CharField, OuterRef, Subquery, Value
from django.utils.translation import gettext_lazy as _

from registry.models import Appointment, Filing, Institution, Person, Scope, Standard

from .models import Certificate, Promotion, Reissue, Result, Session

# Object type → audited model; the keys are the page's filter values.
AUDITED = {
    "filing": Filing,
    "scope": Scope,
    "session": Session,
    "result": Result,
    "certificate": Certificate,
    "reissue": Reissue,
    "person": Person,
    "institution": Institution,
    "standard": Standard,
    "promotion": Promotion,
    "appointment": Appointment,
}
ACTIONS = {"+": _("新建"), "~": _("修改"), "-": _("删除")}


@dataclass
class AuditFilters:
    kind: str = ""
    object_id: int | None = None
    username: str = ""
    institution_id: int | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None


@dataclass
class Change:
    field: str
    old: str
    new: str


@dataclass
class Entry:
    kind: str
    kind_label: str
    object_id: int
    action: str
    at: datetime.datetime
    user: str
    institution: str
    reason: str
    changes: list[Change] = field(default_factory=list)


def _history_rows(kind: str, filters: AuditFilters):
    rows = AUDITED[kind].history.model.objects.all()
    if filters.object_id is not None:
        rows = rows.filter(id=filters.object_id)
    if filters.username:
        rows = rows.filter(history_user__username=filters.username)
    if filters.institution_id is not None:
        rows = rows.filter(audit_institution=filters.institution_id)
    if filters.date_from:
        rows = rows.filter(history_date__date__gte=filters.date_from)
    if filters.date_to:
        rows = rows.filter(history_date__date__lte=filters.date_to)
    # No ordering inside the parts: SQLite refuses ORDER BY in a compound statement's members.
    return (
        rows.order_by()
        .annotate(audit_kind=Value(kind, output_field=CharField()))
        .values_list("history_date", "history_id", "audit_kind")
    )


def audit_rows(filters: AuditFilters):
    """(history_date, history_id, kind) of every matching history row, newest first: one
    UNION ALL over the history tables, so that a page of it is one query."""
    kinds = [filters.kind] if filters.kind else list(AUDITED)
    first, *rest = (_history_rows(kind, filters) for kind in kinds)
    rows = first.union(*rest, all=True) if rest else first
    return rows.order_by("-history_date", "-history_id")


def _display(model_field, value) -> str:
    if value is None or value == "":
        return "—"
    choices = dict(model_field.flatchoices) if model_field.choices else None
    if choices is not None:
        return str(choices.get(value, value))
    return str(value)


def _changes(record, previous, model) -> list[Change]:
    """Old → new per changed field; for a created object, each field it was created with."""
    if record.history_type == "+":
        return [
            Change(field=str(f.verbose_name), old="—", new=_display(f, getattr(record, f.attname)))
            for f in model._meta.concrete_fields
            if hasattr(record, f.attname)
            and f.attname != model._meta.pk.attname
            and getattr(record, f.attname) not in (None, "", [])
        ]
    if record.history_type != "~" or previous is None:
        return []
    delta = record.diff_against(previous, foreign_keys_are_objs=False)
    changes = []
    for change in delta.changes:
        model_field = model._meta.get_field(change.field)
        changes.append(
            Change(
                field=str(model_field.verbose_name),
                old=_display(model_field, change.old),
                new=_display(model_field, change.new),
            )
        )
    return changes


def audit_entries(page_rows) -> list[Entry]:
    """The entries for one page of `audit_rows`: per object type on the page, one query for the
    rows (with the id of each one's previous version) and one for those previous versions; one
    for the institutions' names. The count does not grow with the page's length."""
    by_kind: dict[str, list[int]] = {}
    for _at, history_id, kind in page_rows:
        by_kind.setdefault(kind, []).append(history_id)
    records, previous = {}, {}
    for kind, ids in by_kind.items():
        history = AUDITED[kind].history.model
        before = history.objects.filter(id=OuterRef("id"), history_date__lt=OuterRef("history_date"))
        rows = (
            history.objects.filter(history_id__in=ids)
            .select_related("history_user")
            .annotate(previous_id=Subquery(before.order_by("-history_date", "-history_id").values("history_id")[:1]))
        )
        rows = list(rows)
        records.update(((kind, record.history_id), record) for record in rows)
        wanted = [r.previous_id for r in rows if r.previous_id and r.history_type == "~"]
        for record in history.objects.filter(history_id__in=wanted):
            previous[(kind, record.history_id)] = record
    institution_ids = {r.audit_institution for r in records.values() if r.audit_institution}
    names = dict(Institution.objects.filter(pk__in=institution_ids).values_list("pk", "name"))
    entries = []
    for _at, history_id, kind in page_rows:
        record = records[(kind, history_id)]
        entries.append(
            Entry(
                kind=kind,
                kind_label=str(AUDITED[kind]._meta.verbose_name),
                object_id=record.id,
                action=str(ACTIONS.get(record.history_type, record.history_type)),
                at=record.history_date,
                user=record.history_user.username if record.history_user else "",
                institution=names.get(record.audit_institution, ""),
                reason=record.history_change_reason or "",
                changes=_changes(record, previous.get((kind, record.previous_id)), AUDITED[kind]),
            )
        )
    return entries
