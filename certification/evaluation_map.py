"""Selectors for the public training and evaluation map (培训评价地图, docs/domain.md): the
institutions whose filing is in force today, what their filed scope covers, and their upcoming
sessions still open for enrolment. Public: institution names, districts, scopes and session
dates only; nothing about people.

"In force" is Filing.in_force_on(today): filed (not applied, accepted, suspended 限期整改, revoked or
withdrawn) and today within its validity window. "Open for enrolment": a planned session (not
yet submitted, so it still takes candidates) that starts today or later."""

import datetime
from collections import Counter
from dataclasses import dataclass, field

from django.db.models import Prefetch
from django.utils import timezone

from registry.models import District, Filing, Scope

from .models import Session


@dataclass(frozen=True)
class MapFilter:
    occupation_id: int | None = None
    level: int | None = None
    evaluation_type: str | None = None
    district: str | None = None

    def scope_matches(self, scope: Scope) -> bool:
        return (
            (self.occupation_id is None or scope.occupation_id == self.occupation_id)
            and (self.evaluation_type is None or scope.evaluation_type == self.evaluation_type)
            # levels is a JSON list; filtered here so SQLite (the embedded default) works too
            and (self.level is None or self.level in (scope.levels or []))
        )


@dataclass
class MapEntry:
    filing: Filing
    scopes: list[Scope]
    sessions: list[Session] = field(default_factory=list)

    @property
    def institution(self):
        return self.filing.institution


def _filings_in_force(today: datetime.date):
    return (
        Filing.objects.filter(state=Filing.State.FILED, valid_from__lte=today, valid_until__gte=today)
        .select_related("institution")
        .prefetch_related(
            Prefetch(
                "scopes",
                queryset=Scope.objects.select_related("occupation", "specialty").order_by("occupation__code", "pk"),
            )
        )
        .order_by("institution__district", "institution__name", "pk")
    )


def map_entries(criteria: MapFilter, today: datetime.date | None = None) -> tuple[list[MapEntry], Counter]:
    """(the entries matching every criterion, institutions per district matching every criterion
    but the district: the grid shows where else to look)."""
    today = today or timezone.localdate()
    entries = []
    for filing in _filings_in_force(today):
        scopes = [s for s in filing.scopes.all() if criteria.scope_matches(s)]
        if scopes:
            entries.append(MapEntry(filing=filing, scopes=scopes))
    per_district = Counter(e.institution.district for e in entries)
    if criteria.district:
        entries = [e for e in entries if e.institution.district == criteria.district]
    by_institution = {e.institution.pk: e for e in entries}
    sessions = Session.objects.filter(
        state=Session.State.PLANNED, starts_on__gte=today, institution_id__in=list(by_institution)
    ).select_related("occupation", "specialty")
    if criteria.occupation_id:
        sessions = sessions.filter(occupation_id=criteria.occupation_id)
    if criteria.evaluation_type:
        sessions = sessions.filter(evaluation_type=criteria.evaluation_type)
    if criteria.level is not None:
        sessions = sessions.filter(level=criteria.level)
    for session in sessions.order_by("starts_on", "pk"):
        by_institution[session.institution_id].sessions.append(session)
    return entries, per_district


def district_grid(per_district: Counter) -> list[tuple[str, str, int]]:
    """(code, name, institutions) for every district of the city, in the catalogue's order."""
    return [(code, label, per_district.get(code, 0)) for code, label in District.choices]
