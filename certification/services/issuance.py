"""Issuance: submitted sessions become a batch; Celery tasks issue its chunks.

Exactly once, enforced in the database: Certificate.result is unique, a session belongs to one
batch (Session.batch), and a chunk is issued in one transaction that locks the chunk row and its
serial counter, re-reads which of its results already have a certificate, and marks the chunk
done before it commits. A retried or redelivered chunk therefore creates nothing, and a chunk
killed before commit leaves nothing behind (its serials were never taken).
"""

import collections
import datetime
import itertools
import logging
import secrets
import threading
import time
from collections.abc import Iterable

from django.conf import settings
from django.db import DatabaseError, connection, connections, transaction
from django.db.models import Max, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import audit
from registry.errors import DomainError, Forbidden
from registry.levels import EVALUATION_TYPES, EvaluationType, Level
from registry.models import Institution, User
from registry.selectors import regulator_centre, scope_covering, user_is_regulator

from .. import numbering, signing
from ..models import (
    Application,
    BatchChunk,
    BatchFailure,
    Certificate,
    IssuanceBatch,
    Objection,
    Result,
    ResultCorrection,
    SerialCounter,
    Series,
    Session,
)
from ..selectors import is_admin_of

logger = logging.getLogger(__name__)

CERTIFICATE_COLUMNS = [
    "id",
    "result_id",
    "batch_id",
    "person_id",
    "institution_id",
    "evaluation_type",
    "occupation_id",
    "level",
    "number",
    "issued_on",
    "verification_code",
    "credential",
    "proof_created",
    "proof_value",
    "proof",
    "revocation_reason",
    "signature_valid",
]
# One certificate row as COPY writes it (a tuple: no per-row dict on the hot path).
CertificateRow = collections.namedtuple("CertificateRow", CERTIFICATE_COLUMNS)


def _session_problems(session: Session, issue_date: datetime.date) -> list[str]:
    label = f"{session}"
    if session.state == Session.State.ISSUED or session.batch_id:
        return [_("%(s)s：已在发证批次 #%(b)s 中，不能重复发证。") % {"s": label, "b": session.batch_id}]
    if session.state != Session.State.SUBMITTED:
        return [_("%(s)s：尚未提交发证（当前：%(st)s）。") % {"s": label, "st": session.get_state_display()}]
    problems = []
    if issue_date < session.ends_on:  # docs/domain.md: the issue date is never before the session's end
        problems.append(
            _("%(s)s：发证日期 %(d)s 早于考核结束日期 %(end)s。")
            % {"s": label, "d": issue_date, "end": session.ends_on}
        )
    if session.findings.filter(cleared_at__isnull=True).exists():
        problems.append(_("%(s)s：有未解除的督导发现，暂停发证。") % {"s": label})
    if session.publicity_ends_on and session.publicity_ends_on >= issue_date:
        problems.append(
            _("%(s)s：成绩公示至 %(d)s，公示期满后方可发证。") % {"s": label, "d": session.publicity_ends_on}
        )
    scope_problem = _scope_problem(session, issue_date)
    if scope_problem:
        problems.append(f"{label}：{scope_problem}")
    if not session.institution.site_code and session.institution.kind == Institution.Kind.CENTRE:
        # The centre's own Z/T numbers carry its site code too (certification/numbering.py).
        problems.append(
            _("%(s)s：鉴定中心“%(c)s”尚未分配站点序列码，无法编号；请在管理后台的机构页填写 6 位站点序列码。")
            % {"s": label, "c": session.institution.name}
        )
    elif not session.institution.site_code:
        problems.append(_("%(s)s：机构尚未分配站点序列码，无法编号。") % {"s": label})
    return problems


def _scope_problem(session: Session, issue_date: datetime.date) -> str | None:
    if session.scope_id is None and session.institution.kind == Institution.Kind.CENTRE:
        return None  # the regulator's centre needs no filing (checked when it planned the session)
    scope = scope_covering(
        institution=session.institution,
        evaluation_type=session.evaluation_type,
        occupation=session.occupation,
        specialty_id=session.specialty_id,
        level=session.level,
        on=issue_date,
    )
    if scope is None:
        return _("发证日 %(d)s 机构备案不在有效状态或范围不含该职业等级。") % {"d": issue_date}
    return None


@transaction.atomic
def batch_create(
    *, actor: User, sessions: list[Session], issue_date: datetime.date | None = None, background: bool | None = None
) -> IssuanceBatch:
    """Submit sessions (one session, or a school's cohort) for issuance as one batch.
    `background`: see dispatch (None: as configured)."""
    today = timezone.localdate()
    issue_date = issue_date or today
    if issue_date > today:
        raise DomainError({"issue_date": _("发证日期不能晚于今天（%(d)s）。") % {"d": today}})
    if not sessions:
        raise DomainError({"sessions": _("请选择要发证的评价批次。")})
    # Locking the sessions serialises two submissions of the same session: the second sees batch set.
    locked = list(
        Session.objects.select_for_update(of=("self",))
        .filter(pk__in=[s.pk for s in sessions])
        .select_related("institution", "occupation")
        .order_by("pk")
    )
    institutions = {s.institution_id for s in locked}
    if len(institutions) != 1:
        raise DomainError({"sessions": _("一个发证批次只能包含同一机构的评价批次。")})
    institution = locked[0].institution
    for session in locked:
        if EVALUATION_TYPES[EvaluationType(session.evaluation_type)].issued_by_institution:
            allowed = is_admin_of(actor, institution.id)
        else:
            allowed = user_is_regulator(
                actor
            )  # docs/domain.md: qualification and special ability: the regulator issues
        if not allowed:
            raise Forbidden(_("您无权为“%(s)s”发证。") % {"s": session})
    problems = list(itertools.chain.from_iterable(_session_problems(s, issue_date) for s in locked))
    if problems:
        raise DomainError({"sessions": problems})
    rows = _batch_rows([s.pk for s in locked])
    batch = IssuanceBatch.objects.create(
        institution=institution, issue_date=issue_date, total=len(rows), created_by=actor
    )
    # Chunks share one serial counter each, so chunks of different counters run in parallel; a
    # chunk holds its counter's lock while it signs, so two chunks of one counter run one after
    # the other. The chunks are therefore numbered (and dispatched) round-robin over the
    # counters: workers taking consecutive chunks take different counters while there are any.
    size = settings.ISSUANCE_CHUNK_SIZE
    per_counter = []
    for _key, group in itertools.groupby(rows, key=lambda row: (row[1], row[2])):
        ids = [row[0] for row in group]
        per_counter.append([ids[start : start + size] for start in range(0, len(ids), size)])
    slices = itertools.chain.from_iterable(itertools.zip_longest(*per_counter))
    chunks = [
        BatchChunk(batch=batch, index=index, result_ids=ids)
        for index, ids in enumerate(ids for ids in slices if ids is not None)
    ]
    BatchChunk.objects.bulk_create(chunks)
    Session.objects.filter(pk__in=[s.pk for s in locked]).update(batch=batch)
    if not chunks:
        _finish(batch)
    else:
        # (dispatch is called with the batch id alone unless told where to run: tests stub it so.)
        kwargs = {} if background is None else {"background": background}
        transaction.on_commit(lambda: dispatch(batch.pk, **kwargs))
    return batch


# What a batch issues: each session's passed, enrolled results without a certificate, found from
# the sessions by index probes (their applications, then each one's result and certificate), so
# that cutting a batch costs in proportion to the batch. Written as one join, the planner may
# instead scan every passed result of every session ever held and hash-join them (it does so with
# or without statistics, and the tables are fresh when a batch is cut), which cost 4x as much at
# 100,000 results and grows with the table. OFFSET 0 and LIMIT 1 keep the LATERAL subqueries from
# being flattened into that join. Whether a result has a certificate is an EXISTS in the select
# list (a probe of the unique index, as _CHUNK_ROWS_SQL does), not NOT EXISTS in WHERE: as an anti
# join, the planner scanned the whole certificate table once per result when the table looked
# empty at planning (as it does while the first chunks are being written), 4 s for one batch.
_BATCH_ROWS_SQL = """
    SELECT r.id, s.evaluation_type, s.level
    FROM certification_session s
    CROSS JOIN LATERAL (
        SELECT a.id FROM certification_application a
        WHERE a.session_id = s.id AND a.state = %(enrolled)s
        OFFSET 0
    ) AS a
    CROSS JOIN LATERAL (
        SELECT r.id, EXISTS (SELECT 1 FROM certification_certificate c WHERE c.result_id = r.id) AS certified
        FROM certification_result r
        WHERE r.application_id = a.id AND r.outcome = %(passed)s
        LIMIT 1
    ) AS r
    WHERE s.id = ANY(%(sessions)s) AND NOT r.certified
    ORDER BY s.evaluation_type, s.level, r.id
"""


def _batch_rows(session_ids: list[int]) -> list[tuple]:
    """(result id, evaluation type, level) of what a batch of these sessions issues, in the
    order chunks are cut: by serial counter, then result id."""
    if connection.vendor != "postgresql":
        return _batch_rows_orm(session_ids)
    with connection.cursor() as cursor:
        cursor.execute(
            _BATCH_ROWS_SQL,
            {
                "sessions": list(session_ids),
                "enrolled": Application.State.ENROLLED.value,
                "passed": Result.Outcome.PASSED.value,
            },
        )
        return cursor.fetchall()


def _batch_rows_orm(session_ids: list[int]) -> list[tuple]:
    return list(
        Result.objects.filter(
            application__session__in=session_ids,
            application__state=Application.State.ENROLLED,
            outcome=Result.Outcome.PASSED,
            certificate__isnull=True,
        )
        .order_by("application__session__evaluation_type", "application__session__level", "id")
        .values_list("id", "application__session__evaluation_type", "application__session__level")
    )


# Background issuance threads by batch id (embedded default only, finished ones dropped at the
# next dispatch), so that a test can join one.
BACKGROUND: dict[int, threading.Thread] = {}


def dispatch(batch_id: int, *, background: bool | None = None) -> None:
    """Hand the batch's pending chunks to Celery. Without a broker (tasks in-process) and with
    ISSUANCE_IN_THREAD on, a background thread issues them instead, so that the request returns
    at once and the batch page shows the progress; `background` overrides the setting."""
    from config.celery import app

    from ..tasks import issue_chunk

    chunk_ids = list(
        BatchChunk.objects.filter(batch_id=batch_id, state=BatchChunk.State.PENDING)
        .order_by("index")
        .values_list("id", flat=True)
    )
    if background is None:
        background = settings.ISSUANCE_IN_THREAD and app.conf.task_always_eager
    if background:
        for finished in [key for key, thread in BACKGROUND.items() if not thread.is_alive()]:
            del BACKGROUND[finished]
        thread = threading.Thread(
            target=_issue_in_thread, args=(chunk_ids,), name=f"issuance-batch-{batch_id}", daemon=True
        )
        BACKGROUND[batch_id] = thread
        thread.start()
        return
    for chunk_id in chunk_ids:
        issue_chunk.delay(chunk_id)


def _pace() -> None:
    """The wait before each chunk in the background thread (ISSUANCE_PACE_SECONDS, the demo's)."""
    if settings.ISSUANCE_PACE_SECONDS > 0:
        time.sleep(settings.ISSUANCE_PACE_SECONDS)


def _issue_in_thread(chunk_ids: list[int]) -> None:
    """Issue the chunks one after the other, each in its own transaction (as a worker would);
    a chunk that meets a locked SQLite database is tried again (chunk_issue is idempotent)."""
    try:
        for chunk_id in chunk_ids:
            _pace()
            for attempt in range(5):
                try:
                    chunk_issue(chunk_id=chunk_id)
                    break
                except DatabaseError:
                    if attempt == 4:
                        logger.exception("background issuance of chunk %s failed", chunk_id)
                        raise
                    time.sleep(0.5)
    finally:
        connections.close_all()


def _lock_counter(series: str, institution_id: int, year: int, level: int) -> SerialCounter:
    SerialCounter.objects.get_or_create(series=series, institution_id=institution_id, year=year, level=level)
    return SerialCounter.objects.select_for_update().get(
        series=series, institution_id=institution_id, year=year, level=level
    )


def _allocate_ids(count: int) -> list[int]:
    """Certificate ids before insertion: they are the status-list indexes inside the signed
    credential. PostgreSQL: from the identity sequence (no lock). SQLite: the write lock
    taken by the counter update serialises writers, so max(id) is safe."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # The sequence is looked up once (OFFSET 0 keeps the subquery from being inlined):
            # pg_get_serial_sequence in the select list ran its catalogue look-up for every id,
            # five times the cost of the nextval calls themselves.
            cursor.execute(
                "SELECT nextval(s.seq) FROM (SELECT pg_get_serial_sequence('certification_certificate', 'id')::regclass"
                " AS seq OFFSET 0) AS s, generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
    start = (Certificate.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    return list(range(start, start + count))


# A verification code (the QR link /v/<code>) is the second its chunk was signed, as 8 lower-case
# hex digits, followed by 128 random bits (secrets.token_urlsafe(16): 22 characters), 30 in all.
# The random part alone makes it unguessable; the prefix only places it. Two indexes are keyed on
# the code (the unique constraint and the covering look-up index): with wholly random codes each
# insert landed on a random leaf page, and once those indexes outgrew the database's buffer cache
# (at about a million certificates) every certificate paid a page read, a dirty page's write and,
# after each checkpoint, a full-page image in the WAL: a cost per certificate that grew with the
# table. Codes that start with the time of signing land together at the index's right-hand end,
# where the pages are hot whatever the table's size. Lower-case hex digits sort in numeric order
# in the C collation (this database's) as in the usual locale ones. The prefix tells nothing the
# credential does not: the proof's `created` is that same second. Codes of the earlier shape (22
# random characters) stay valid: a look-up is by equality, and certificate_by_code accepts 16 to
# 32 characters.
VERIFICATION_CODE_RANDOM_BYTES = 16


def verification_code_prefix(signed_at: datetime.datetime) -> str:
    """The time-ordered part of the codes signed at `signed_at`: its Unix second in 8 hex digits
    (fixed width until 2106, so that codes sort by it)."""
    return f"{int(signed_at.timestamp()):08x}"


def verification_code(prefix: str) -> str:
    """A new verification code: `prefix` (verification_code_prefix) and 128 random bits."""
    return prefix + secrets.token_urlsafe(VERIFICATION_CODE_RANDOM_BYTES)


def _insert(rows: Iterable[CertificateRow]) -> None:
    """Write the rows, consumed as they come: PostgreSQL inserts the first ones (and maintains
    the indexes) while the next are still being signed."""
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY certification_certificate ({', '.join(CERTIFICATE_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
    else:
        Certificate.objects.bulk_create([Certificate(**row._asdict()) for row in rows])


def _profile(base: str, institution) -> dict:
    return {"id": f"{base}/issuers/{institution.credit_code}", "type": ["Profile"], "name": institution.name}


class CredentialTemplate:
    """The parts of a credential that every certificate of one session shares, computed once
    per chunk; `document` adds what differs per certificate. On the hot path, `canonical` fills
    the number, holder and status index into the canonical text of that document built once
    (no ORM, no gettext, no per-certificate dict or JSON serialisation).

    Who issues (docs/domain.md): a skill-level certificate is issued by the assessing institution
    itself; a qualification or special-ability certificate by the regulator (`issuer`, its
    centre), and the assessing institution then appears as the Open Badges 3.0
    AchievementSubject `source`: "the organization that assessed the achievement on behalf of
    the issuer"."""

    def __init__(self, session: Session, institution, issued_on: datetime.date, issuer=None):
        base = settings.PUBLIC_BASE_URL
        level = f" {Level(session.level).label}" if session.level is not None else ""
        occupation = session.occupation
        self.base = base
        self.issuer = _profile(base, issuer or institution)
        self.source = _profile(base, institution) if issuer is not None and issuer.pk != institution.pk else None
        self.valid_from = f"{issued_on.isoformat()}T00:00:00+08:00"
        self.name = str(Series(session.evaluation_type).label)
        self.achievement_id = f"{base}/achievements/{occupation.code}/{session.level or 0}"
        self.achievement_name = f"{occupation.name}{level}"
        self.criteria = {"narrative": f"{session.get_evaluation_type_display()}：{occupation.code}{level}"}
        self.text = signing.CanonicalTemplate(
            self.document(
                number=signing.hole("number"), holder_name=signing.hole("holder"), status_index=signing.hole("index")
            ),
            ("number", "holder", "index"),
        )

    def canonical(self, *, number: str, holder_name: str, status_index: int) -> str:
        """signing.canonical(self.document(...)), without building the document."""
        return self.text.render(number=number, holder=holder_name, index=status_index)

    def document(self, *, number: str, holder_name: str, status_index: int | str) -> dict:
        base = self.base
        return {
            "@context": signing.CONTEXT,
            "id": f"{base}/credentials/{number}",
            "type": ["VerifiableCredential", "OpenBadgeCredential"],
            "issuer": self.issuer,
            "validFrom": self.valid_from,
            "name": self.name,
            "credentialSubject": {
                "type": ["AchievementSubject"],
                # The holder by name only: a hash of the ID number, even salted, is brute-forced
                # offline (area × birth date × sequence is ~1e8), so the ID stays out of the credential.
                "identifier": [
                    {"type": "IdentityObject", "identityType": "name", "hashed": False, "identityHash": holder_name},
                ],
                "achievement": {
                    "id": self.achievement_id,
                    "type": ["Achievement"],
                    "achievementType": "Certificate",
                    "humanCode": number,
                    "name": self.achievement_name,
                    "criteria": self.criteria,
                },
                **({"source": self.source} if self.source else {}),
            },
            "credentialStatus": {
                "id": f"{base}/status/1#{status_index}",
                "type": "BitstringStatusListEntry",
                "statusPurpose": "revocation",
                "statusListIndex": str(status_index),
                "statusListCredential": f"{base}/status/1",
            },
        }


# One row per result of a chunk: what issuing it needs, read in one query without model instances.
RESULT_FIELDS = (
    "id",
    "outcome",
    "application__state",
    "application__session_id",
    "application__person_id",
    "application__person__name",
    "publicity_ends_on",
)


# A chunk is read in one query: each result with what issuing it needs, whether it already has a
# certificate (a repeated chunk) and whether an objection to it is open. PostgreSQL: the chunk's
# ids as one array parameter joined by primary keys, so that reading a chunk is index probes
# whatever the tables' size. Written as `id IN (…)` over three tables, the planner may hash-join
# a sequential scan of every application, and each chunk then costs in proportion to everything
# ever issued (quadratic over a batch; found at 1M certificates); 2,000 `IN` placeholders also
# cost the driver more to bind than the query costs to run. The LATERAL subquery's LIMIT 1
# (harmless: one row per primary key) keeps the planner from flattening it into that hash join,
# stale statistics or not.
_CHUNK_ROWS_SQL = """
    SELECT row.*
    FROM unnest(%(ids)s::bigint[]) AS chunk (id)
    CROSS JOIN LATERAL (
        SELECT r.id, r.outcome, a.state, a.session_id, a.person_id, p.name, r.publicity_ends_on,
            EXISTS (SELECT 1 FROM certification_certificate c WHERE c.result_id = r.id),
            EXISTS (SELECT 1 FROM certification_objection o WHERE o.result_id = r.id AND o.state = %(open)s)
        FROM certification_result r
        JOIN certification_application a ON a.id = r.application_id
        JOIN registry_person p ON p.id = a.person_id
        WHERE r.id = chunk.id
        LIMIT 1
    ) AS row
    ORDER BY row.id
"""


def _chunk_rows(ids: list[int]) -> list[tuple]:
    """RESULT_FIELDS of the chunk's results in id order, each followed by (certified, objected)."""
    if connection.vendor != "postgresql":
        return _chunk_rows_orm(ids)
    with connection.cursor() as cursor:
        cursor.execute(_CHUNK_ROWS_SQL, {"ids": list(ids), "open": Objection.State.OPEN.value})
        return cursor.fetchall()


def _chunk_rows_orm(ids: list[int]) -> list[tuple]:
    rows = Result.objects.filter(id__in=ids).order_by("id").values_list(*RESULT_FIELDS)
    certified = set(Certificate.objects.filter(result_id__in=ids).values_list("result_id", flat=True))
    objected = set(
        Objection.objects.filter(result_id__in=ids, state=Objection.State.OPEN).values_list("result_id", flat=True)
    )
    return [(*row, row[0] in certified, row[0] in objected) for row in rows]


def chunk_issue(*, chunk_id: int) -> BatchChunk:
    """Issue one chunk in one transaction (see the module docstring for why this is exactly once)."""
    with transaction.atomic():
        chunk = BatchChunk.objects.select_for_update(of=("self",)).select_related("batch").get(pk=chunk_id)
        if chunk.state == BatchChunk.State.DONE:
            return chunk
        batch = chunk.batch
        rows = [row for row in _chunk_rows(chunk.result_ids) if not row[7]]  # not yet certified
        objected = {row[0] for row in rows if row[8]}
        sessions = {
            session.id: session
            for session in Session.objects.filter(id__in={row[3] for row in rows}).select_related(
                "occupation", "institution"
            )
        }
        session_reason = {}
        for session in sessions.values():
            held = session.findings.filter(cleared_at__isnull=True).exists()
            session_reason[session.id] = (
                _("批次有未解除的督导发现") if held else _scope_problem(session, batch.issue_date)
            )
        to_issue, failures = [], []
        for row in rows:
            reason = session_reason[row[3]]
            if reason is None and row[1] != Result.Outcome.PASSED:
                reason = _("成绩已不合格（提交后更正）")
            if reason is None and row[2] != Application.State.ENROLLED:
                reason = _("申报已撤回")
            if reason is None:
                reason = _publicity_hold(row[0], row[6], batch.issue_date, objected)
            if reason:
                failures.append(BatchFailure(batch=batch, result_id=row[0], reason=reason))
            else:
                to_issue.append(row)
        issued = 0
        for session_id, group in itertools.groupby(sorted(to_issue, key=lambda r: (r[3], r[0])), key=lambda r: r[3]):
            issued += _issue(batch, sessions[session_id], list(group), failures)
        BatchFailure.objects.bulk_create(failures, ignore_conflicts=True)
        delay = settings.ISSUANCE_TEST_DELAY_SECONDS  # fault injection for the killed-worker test only
        if delay:
            time.sleep(delay)
        chunk.state, chunk.issued, chunk.failed = BatchChunk.State.DONE, issued, len(failures)
        chunk.attempts += 1
        chunk.save(update_fields=["state", "issued", "failed", "attempts"])
        _finish(batch)
    return chunk


def _publicity_hold(result_id: int, publicity_ends_on, issue_date: datetime.date, objected: set[int]) -> str | None:
    """docs/domain.md: issuance takes only results whose publicity has ended with no open objection.
    The result stays uncertified, so its session stays submitted for a later batch (_finish)."""
    if result_id in objected:
        return _("有未处理的公示异议")
    if publicity_ends_on is not None and publicity_ends_on >= issue_date:
        return _("更正后重新公示至 %(d)s") % {"d": publicity_ends_on}
    return None


def _issue(batch: IssuanceBatch, session: Session, rows: list[tuple], failures: list[BatchFailure]) -> int:
    """Number, sign and insert certificates for `rows` of one session; returns how many."""
    institution = session.institution
    series = Series(session.evaluation_type)
    year = batch.issue_date.year
    counter = _lock_counter(series, institution.id, year, session.level or 0)
    first = counter.next_serial
    if first + len(rows) - 1 > numbering.MAX_SERIAL:
        reason = _("该站点本年度本等级证书序列号已用尽")
        failures.extend(BatchFailure(batch=batch, result_id=row[0], reason=reason) for row in rows)
        return 0
    counter.next_serial = first + len(rows)
    counter.save(update_fields=["next_serial"])
    ids = _allocate_ids(len(rows))
    prefix = numbering.number_prefix(series, institution, year, session.level)
    signed_at = timezone.now().astimezone(datetime.UTC).replace(microsecond=0)
    created = signed_at.isoformat().replace("+00:00", "Z")
    code_prefix = verification_code_prefix(signed_at)
    proof_template = signing.ProofTemplate(created)
    issuer = None
    if not EVALUATION_TYPES[EvaluationType(session.evaluation_type)].issued_by_institution:
        # docs/domain.md: the regulator issues these; in the centre's own sessions, the centre itself.
        is_centre = institution.kind == Institution.Kind.CENTRE
        issuer = institution if is_centre else regulator_centre(batch.created_by)
    template = CredentialTemplate(session, institution, batch.issue_date, issuer=issuer)

    def certificates():
        for offset, (row, certificate_id) in enumerate(zip(rows, ids, strict=True)):
            number = numbering.format_number(prefix, first + offset)
            text = template.canonical(number=number, holder_name=row[5], status_index=certificate_id)
            proof_value, proof = proof_template.sign(text)
            yield CertificateRow(
                id=certificate_id,
                result_id=row[0],
                batch_id=batch.id,
                person_id=row[4],
                institution_id=institution.id,
                evaluation_type=session.evaluation_type,
                occupation_id=session.occupation_id,
                level=session.level,
                number=number,
                issued_on=batch.issue_date,
                verification_code=verification_code(code_prefix),
                credential=text,
                proof_created=created,
                proof_value=proof_value,
                proof=proof,
                revocation_reason="",
                # Signed just now over this very text, for this number and holder: verification
                # keeps this verdict instead of checking the signature on every look-up.
                signature_valid=True,
            )

    _insert(certificates())
    return len(rows)


def _finish(batch: IssuanceBatch) -> None:
    batch = IssuanceBatch.objects.select_for_update().get(pk=batch.pk)
    if batch.state == IssuanceBatch.State.DONE:
        return
    if batch.chunks.filter(state=BatchChunk.State.PENDING).exists():
        if batch.state == IssuanceBatch.State.QUEUED:
            batch.state = IssuanceBatch.State.RUNNING
            batch.save(update_fields=["state"])
        return
    batch.state, batch.finished_at = IssuanceBatch.State.DONE, timezone.now()
    batch.save(update_fields=["state", "finished_at"])
    from .statistics import statistics_refresh_soon  # the regulator's figures follow each batch

    transaction.on_commit(statistics_refresh_soon)
    # A session whose passed results all got a certificate is issued. One with failures (a hold,
    # a lapsed filing) stays submitted and leaves the batch, so that a later batch can take its
    # uncertified results once the cause is cleared; Certificate.result keeps that exactly once.
    failed_sessions = set(batch.failures.values_list("result__application__session_id", flat=True))
    # Nor is a session issued while a result of it may still reach a certificate: a passed one
    # without a certificate (corrected to a pass after the chunks were cut, say), one with a
    # correction request or an objection still open. It stays open to a later batch.
    failed_sessions |= set(
        Result.objects.filter(application__session__batch=batch, certificate__isnull=True)
        .filter(
            Q(outcome=Result.Outcome.PASSED, application__state=Application.State.ENROLLED)
            | Q(corrections__state=ResultCorrection.State.PENDING)
            | Q(objections__state=Objection.State.OPEN)
        )
        .values_list("application__session_id", flat=True)
    )
    in_batch = list(Session.objects.filter(batch=batch).values_list("pk", flat=True))
    Session.objects.filter(batch=batch).exclude(pk__in=failed_sessions).update(state=Session.State.ISSUED)
    Session.objects.filter(batch=batch, pk__in=failed_sessions).update(batch=None)
    # The updates above send no signal: the audit log gets the sessions' new state here.
    audit.bulk_record(
        Session.objects.filter(pk__in=in_batch), user=batch.created_by, reason=f"issuance batch {batch.pk}"
    )
