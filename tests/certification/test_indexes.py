"""Each index on the certificate table costs every certificate issued, so the table keeps only
those a look-up uses (PostgreSQL; the suite runs on it). The look-ups still find an index:
`enable_seqscan = off` makes the planner show one whenever one applies."""

import datetime

import pytest
from django.db import connection

from certification.models import Application, Certificate, Result
from certification.selectors import person_certificates

pytestmark = pytest.mark.django_db


def plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")
        cursor.execute(f"EXPLAIN {sql}", params)
        return "\n".join(row[0] for row in cursor.fetchall())


def indexes(table: str) -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table])
        return dict(cursor.fetchall())


def test_certificate_table_keeps_no_redundant_index():
    definitions = indexes("certification_certificate").values()
    assert not [d for d in definitions if "varchar_pattern_ops" in d]
    assert len([d for d in definitions if d.endswith("(batch_id)")]) == 1
    assert not [d for d in definitions if d.endswith("(person_id)")]
    assert not [d for d in indexes("certification_application").values() if d.endswith("(session_id)")]


@pytest.mark.parametrize(
    "lookup",
    [
        lambda: Certificate.objects.filter(number="S00003190000126300001"),
        lambda: Certificate.objects.filter(verification_code="0123456789abcdef0123456789abcdef"),
        lambda: Certificate.objects.filter(batch_id=1),
        lambda: Certificate.objects.filter(institution_id=1).order_by("-id")[:50],
        lambda: Certificate.objects.filter(result_id=1),
        lambda: person_certificates(1),
        lambda: Certificate.objects.filter(person_id=1, occupation_id=1),
        lambda: Application.objects.filter(session_id=1).order_by("pk")[:50],
    ],
    ids=["number", "code", "batch", "institution", "result", "person", "person-occupation", "roster"],
)
def test_lookups_use_an_index(lookup):
    assert "Index" in plan(lookup()), plan(lookup())


@pytest.mark.parametrize(
    "pending",
    [
        lambda: Application.objects.filter(
            state="pending_approval", pathway__in=["exceptional", "competition"]
        ).order_by("pk"),
        lambda: Application.objects.filter(state="pending_approval", pathway="direct").order_by("created_at", "pk"),
    ],
    ids=["regulator-queue", "desk"],
)
def test_applications_waiting_for_a_decision_are_read_from_their_partial_index(pending):
    """The queue and the desk read the few pending applications, not a million enrolled ones."""
    assert "application_pending_approval" in plan(pending()), plan(pending())


def test_results_publicised_again_are_read_from_their_partial_index():
    """The public list finds the sessions of the few results publicised again after a
    correction, not by reading a million results."""
    again = Result.objects.filter(publicity_ends_on__gte=datetime.date(2026, 6, 1))
    assert "result_publicised_again" in plan(again), plan(again)
