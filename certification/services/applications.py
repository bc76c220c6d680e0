"""Applications: enrolment by pathway with eligibility, approvals of the exceptional routes."""

import datetime
import operator
from dataclasses import dataclass, field

import psycopg
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from registry import audit, identity
from registry.errors import DomainError, Forbidden
from registry.identity import DocumentType
from registry.levels import LEVELS, Level
from registry.models import (
    Education,
    EligibilityCondition,
    Institution,
    Person,
    PriorCertificate,
    User,
    WorkExperience,
)
from registry.selectors import user_is_regulator
from registry.services import person_fields, person_identify, person_name_mismatch

from .. import eligibility
from ..models import Application, Certificate, Promotion, Result, Session
from ..selectors import is_admin_of

P = Application.Pathway
ACTIVE_STATES = (Application.State.PENDING_APPROVAL, Application.State.ENROLLED)
BATCH = 2000  # rows per INSERT of the set-based enrolment (SQLite; PostgreSQL takes one COPY)
PATHWAYS = frozenset(P.values)


def _open_session(session: Session) -> None:
    if session.state != Session.State.PLANNED:
        raise DomainError({"session": _("批次已提交，不能再报名或变更报名。")})


def _employer_kind(institution: Institution) -> str:
    return institution.school_files_as if institution.kind == Institution.Kind.SCHOOL else institution.kind


def on_staff(session: Session, work, on: datetime.date) -> bool:
    """Whether a work record (WorkExperience or WorkRecord) puts the person on the session's
    institution's staff on `on`: that employer's credit code and a span running that day."""
    code = session.institution.credit_code
    return any(
        getattr(w, "employer_credit_code", "") == code and w.started <= on and (w.ended is None or w.ended >= on)
        for w in work
    )


def _check_pathway(session: Session, pathway: str, reason: str, evidence: str, name: str, educations, on, work=()):
    """`educations`, `work`: the candidate's Education and work records (any iterables; read for
    院校团体申报 and 直接认定 only)."""
    if pathway not in PATHWAYS:
        raise DomainError({"pathway": _("未知的申报途径。")})
    if pathway in (P.EXCEPTIONAL, P.DIRECT, P.COMPETITION) and not (reason.strip() and evidence.strip()):
        raise DomainError({"reason": _("%(p)s须填写理由和证明材料。") % {"p": P(pathway).label}})
    if pathway == P.DIRECT and _employer_kind(session.institution) != Institution.Kind.EMPLOYER:
        raise DomainError({"pathway": _("直接认定只能由用人单位评价机构为本单位职工开展。")})
    if pathway == P.DIRECT and not on_staff(session, work, on):
        # docs/domain.md: direct recognition by an employer institution for its own staff only.
        raise DomainError(
            {
                "pathway": _(
                    "%(name)s 没有 %(day)s 在本单位（统一社会信用代码 %(code)s）在职的工作经历记录，不能直接认定。"
                )
                % {"name": name, "day": on, "code": session.institution.credit_code}
            }
        )
    if pathway == P.SCHOOL_GROUP:
        if session.institution.kind != Institution.Kind.SCHOOL:
            raise DomainError({"pathway": _("院校团体申报只能在院校的评价批次中进行。")})
        horizon = on + datetime.timedelta(days=eligibility.GRADUATING_YEAR_DAYS)
        if not any(on <= e.graduation_date <= horizon for e in educations):
            raise DomainError({"pathway": _("%(name)s 不是毕业学年学生（无一年内毕业的学历记录）。") % {"name": name}})


def _level_conditions(session: Session) -> list[EligibilityCondition]:
    conditions = list(session.standard.conditions.filter(level=session.level))
    if not conditions:
        raise DomainError(
            {
                "condition": _("%(std)s 未登记%(level)s的申报条件，请联系监管部门。")
                % {"std": session.standard, "level": Level(session.level).label}
            }
        )
    return conditions


def _judge(conditions: list[EligibilityCondition], facts: eligibility.Facts) -> EligibilityCondition:
    """The condition met, or a DomainError listing every condition missed and why."""
    verdict = eligibility.evaluate(conditions, facts)
    if not verdict.eligible:
        raise DomainError({"condition": [verdict.explain()]})
    return verdict.condition


def _proportion_cap(session: Session) -> tuple[int, int] | None:
    """docs/domain.md: an optional cap on the share of an institution's staff at high levels, for
    normal applications only (direct recognition and exceptional routes skip it).
    (places allowed this year, places taken), or None where no cap applies to the session."""
    institution = session.institution
    if institution.high_level_cap is None or not institution.staff_count:
        return None
    if session.level is None or not LEVELS[Level(session.level)].high_skill:
        return None
    high_levels = [level for level, info in LEVELS.items() if info.high_skill]
    taken = Application.objects.filter(
        session__institution=institution,
        session__level__in=high_levels,
        session__starts_on__year=session.starts_on.year,
        pathway=P.NORMAL,
        state__in=ACTIVE_STATES,
    ).count()
    return int(institution.high_level_cap * institution.staff_count), taken


def _cap_error(session: Session, allowed: int, taken: int) -> DomainError:
    institution = session.institution
    return DomainError(
        {
            "pathway": _(
                "本单位 %(year)d 年普通申报高技能等级名额为 %(allowed)d 人"
                "（比例上限 %(cap)s × 职工 %(staff)d 人），已用 %(taken)d 人。"
            )
            % {
                "year": session.starts_on.year,
                "allowed": allowed,
                "cap": institution.high_level_cap,
                "staff": institution.staff_count,
                "taken": taken,
            }
        }
    )


@dataclass(frozen=True)
class WorkRecord:
    """Time in an occupation that a roster brings (saved as a WorkExperience)."""

    occupation_id: int
    started: datetime.date
    ended: datetime.date | None = None
    apprenticeship: bool = False
    employer_credit_code: str = ""


@dataclass(frozen=True)
class EducationRecord:
    """A diploma that a roster brings (saved as an Education)."""

    kind: str
    graduation_date: datetime.date
    related_occupation_id: int | None
    major: str = ""
    school: str = ""


@dataclass
class EnrolRow:
    """One candidate for set-based enrolment, with the records the roster brings (saved with the
    application unless an identical record exists). `judge=False`: the caller already refused
    the row; check its identity only, so that one report lists every problem. `scope`: None
    for a row of the session's own occupation and level; otherwise what the row stated
    (the caller refused it), so that it is no duplicate of a row of the session's scope:
    the key of a row is (document, occupation, level)."""

    row: int
    name: str
    document_number: object
    document_type: str = DocumentType.RESIDENT_ID
    pathway: str = P.NORMAL
    reason: str = ""
    evidence: str = ""
    educations: list[EducationRecord] = field(default_factory=list)
    work: list[WorkRecord] = field(default_factory=list)
    judge: bool = True
    phone: str = ""
    scope: tuple | None = None


@dataclass(frozen=True, order=True)
class EnrolProblem:
    row: int
    field: str
    message: str


def _problems(row: int, error: DomainError) -> list[EnrolProblem]:
    if hasattr(error, "error_dict"):
        return [EnrolProblem(row, f, message) for f, messages in error.message_dict.items() for message in messages]
    return [EnrolProblem(row, "", message) for message in error.messages]


def _new_records(existing: list, brought: list, key) -> list:
    """The brought records no existing (or earlier brought) record already states."""
    if not existing and len(brought) <= 1:
        return list(brought)  # a new person's one record (a roster row brings at most one of a kind)
    seen, fresh = {key(r) for r in existing}, []
    for record in brought:
        if key(record) not in seen:
            seen.add(key(record))
            fresh.append(record)
    return fresh


def _work_key(w):
    return (w.occupation_id, w.started, w.ended, w.apprenticeship)


def _education_key(e):
    return (e.kind, e.major, e.graduation_date, e.related_occupation_id)


@dataclass
class _Accepted:
    row: EnrolRow
    key: str  # the person's document hash
    person: Person | None  # known to the registry, or None with `new` its fields
    new: dict | None
    condition: EligibilityCondition | None
    educations: list[EducationRecord]
    work: list[WorkRecord]
    phone: str = ""


def _listed(values, db_type: str):
    """`values` for an `__in` filter as one parameter (a comma-joined text split by PostgreSQL):
    a 10,000-element IN list costs more to bind than to run. Only for values without commas
    (ids, hex hashes); elsewhere the plain list."""
    values = list(values)
    if connection.vendor != "postgresql":
        return values
    return RawSQL(f"SELECT unnest(string_to_array(%s, ','))::{db_type}", [",".join(str(v) for v in values)])


def _by_person(queryset, person_ids: list[int]) -> dict[int, list]:
    grouped: dict[int, list] = {}
    for record in queryset.filter(person_id__in=_listed(person_ids, "bigint")):
        grouped.setdefault(record.person_id, []).append(record)
    return grouped


def _known_people(hashes: list[str]) -> dict[str, Person]:
    """The known people by document hash, each with `records` = (prior certificates, work,
    educations): one query per kind, whatever the number of rows."""
    people = list(Person.objects.filter(document_hash__in=_listed(hashes, "varchar")))
    ids = [person.pk for person in people]
    prior, work, educations = (
        _by_person(model.objects.all(), ids) if ids else {} for model in (PriorCertificate, WorkExperience, Education)
    )
    for person in people:
        person.records = (prior.get(person.pk, []), work.get(person.pk, []), educations.get(person.pk, []))
    return {person.document_hash: person for person in people}


def _related_ids(session: Session) -> list[int]:
    """The occupations the session's standard lists as related (read once per session object)."""
    cached = getattr(session, "_related_ids", None)
    if cached is None:
        cached = session._related_ids = list(session.standard.related_occupations.values_list("id", flat=True))
    return cached


def _issued_here(session: Session, person_ids: list[int]) -> dict[int, list[tuple[int, datetime.date]]]:
    """Certificates this registry issued in the session's occupation, not revoked, by person."""
    issued: dict[int, list] = {}
    occupations = [session.occupation_id, *_related_ids(session)]
    rows = Certificate.objects.filter(
        person_id__in=_listed(person_ids, "bigint"),
        occupation_id__in=occupations,
        revoked_at__isnull=True,
        level__isnull=False,
    ).values_list("person_id", "level", "issued_on")
    for person_id, level, issued_on in rows:
        issued.setdefault(person_id, []).append((level, issued_on))
    return issued


def enrol_rows(*, actor: User, session: Session, rows: list[EnrolRow], on: datetime.date):
    """Enrol many candidates set-based: every ID validated in Python, people fetched in one query
    with what eligibility needs, eligibility judged in memory, the proportion cap counted once,
    then each table written with one COPY (`_bulk_insert`). `session` comes from `lock_for_enrolment`.
    Returns (application ids, []) or ([], problems naming every bad row), and then nothing is
    written. Each row meets the same checks, in the same order, as one `application_enrol`."""
    problems: list[EnrolProblem] = []
    identified, first_row, phones = [], {}, {}
    for row in rows:
        try:
            phones[row.row] = identity.normalize_mobile(row.phone)
        except ValidationError as error:
            problems += [EnrolProblem(row.row, "phone", message) for message in error.messages]
        try:
            name, number = person_identify(
                document_type=row.document_type, document_number=row.document_number, name=row.name
            )
        except DomainError as error:
            problems += _problems(row.row, error)
            continue
        key = identity.document_hash(row.document_type, number)
        if (key, row.scope) in first_row:
            message = _("证件号码 %(masked)s 与第 %(first)d 行重复（同一职业和等级）。") % {
                "masked": identity.mask_document_number(number),
                "first": first_row[key, row.scope],
            }
            problems.append(EnrolProblem(row.row, "document_number", message))
            continue
        first_row[key, row.scope] = row.row
        identified.append((row, name, number, key))

    hashes = list({key for key, _scope in first_row})
    known = _known_people(hashes) if hashes else {}
    known_ids = [person.pk for person in known.values()]
    enrolled = (
        set(
            Application.objects.filter(session=session, person_id__in=_listed(known_ids, "bigint")).values_list(
                "person_id", flat=True
            )
        )
        if known_ids
        else set()
    )
    issued = _issued_here(session, known_ids) if known_ids else {}
    # The numbers of the people new to the registry, encrypted all at once.
    new_numbers = {
        key: number
        for row, _name, number, key in identified
        if key not in known and row.judge and row.scope is None and row.row in phones
    }
    ciphertexts = dict(zip(new_numbers, identity.encrypt_many(list(new_numbers.values())), strict=True))
    conditions: list | DomainError | None = None
    accepted: list[_Accepted] = []
    for row, name, number, key in identified:
        person, new = known.get(key), None
        if person is not None:
            mismatch = person_name_mismatch(person, name)
            if mismatch is not None:
                problems += _problems(row.row, mismatch)
                continue
            if person.pk in enrolled and row.scope is None:
                message = _("%(name)s 已报名本批次。") % {"name": person.name}
                problems.append(EnrolProblem(row.row, "document_number", message))
                continue
        if not row.judge or row.scope is not None or row.row not in phones:
            continue
        if person is not None:
            prior, had_work, had_educations = person.records
            birth_date, certificates = person.birth_date, issued.get(person.pk, ())
        else:
            new = person_fields(
                document_type=row.document_type,
                number=number,
                name=name,
                document_hash=key,
                ciphertext=ciphertexts[key],
            )
            prior, had_work, had_educations, certificates = [], [], [], ()
            birth_date = new.get("birth_date")
        educations = _new_records(had_educations, row.educations, _education_key)
        work = _new_records(had_work, row.work, _work_key)
        try:
            _check_pathway(
                session, row.pathway, row.reason, row.evidence, name, had_educations + educations, on, had_work + work
            )
            condition = None
            if row.pathway in (P.NORMAL, P.SCHOOL_GROUP) and session.level is not None:
                if conditions is None:
                    try:
                        conditions = _level_conditions(session)
                    except DomainError as error:
                        conditions = error
                if isinstance(conditions, DomainError):
                    raise conditions
                facts = eligibility.facts_from(
                    birth_date=birth_date,
                    prior_certificates=prior,
                    work_experiences=had_work + work,
                    educations=had_educations + educations,
                    occupation_id=session.occupation_id,
                    on=on,
                    certificates=certificates,
                    related_ids=_related_ids(session),
                )
                condition = _judge(conditions, facts)
        except DomainError as error:
            problems += _problems(row.row, error)
            continue
        accepted.append(_Accepted(row, key, person, new, condition, educations, work, phones[row.row]))

    normal = [a for a in accepted if a.row.pathway == P.NORMAL]
    cap = _proportion_cap(session) if normal else None
    if cap is not None:
        allowed, taken = cap
        for entry in normal[max(allowed - taken, 0) :]:
            problems += _problems(entry.row.row, _cap_error(session, allowed, taken))
    if problems:
        return [], sorted(problems)
    return _write(actor, session, accepted), []


def _copy(cursor, table: str, fields: list, rows) -> None:
    """COPY `rows` (tuples in the order of the model `fields`) into `table`: psycopg formats each
    row in C, where binding one array per column formats every value in Python. In COPY's
    binary format when psycopg knows every column's type (five times less of psycopg's time
    than the text format, and the server parses no text); else in text."""
    quote = connection.ops.quote_name
    types = _copy_types(fields)
    binary = " (FORMAT BINARY)" if types else ""
    with cursor.copy(f"COPY {table} ({', '.join(quote(f.column) for f in fields)}) FROM STDIN{binary}") as copy:
        if types:
            copy.set_types(types)
        for row in rows:
            copy.write_row(row)


def _copy_types(fields: list) -> list[str] | None:
    """The PostgreSQL type names of the fields' columns as psycopg knows them (varchar(20) is a
    varchar), or None when one of them is not a plain type psycopg has a binary dumper for."""
    types = []
    for f in fields:
        db_type = f.db_type(connection) or ""
        name = db_type.split("(", 1)[0]
        if "[" in db_type or psycopg.adapters.types.get(name) is None:
            return None
        types.append(name)
    return types


def _bulk_insert(model, rows: list[dict], returning: str | None = None, skip_conflicts: bool = False) -> list[tuple]:
    """Insert `rows` ({attname: value}; other columns take the field's default, auto_now fields
    the current time). On PostgreSQL with COPY (no model instances: the cost of a 10,000-row
    roster is the database's); elsewhere bulk_create. With `returning`, [(pk, value of that
    column)]: the ids are drawn from the table's sequence first, in one query, and copied with
    the rows. `skip_conflicts`: rows that would break a unique constraint are left out and are
    missing from what is returned (elsewhere nothing is returned): the COPY runs in a savepoint
    and, only if it meets a conflict, the rows go through a temporary table and INSERT … SELECT
    … ON CONFLICT DO NOTHING."""
    if not rows:
        return []
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    defaults = {
        f.attname: now if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False) else f.get_default()
        for f in fields
    }
    if connection.vendor != "postgresql":
        objects = [model(**{**defaults, **row}) for row in rows]
        model.objects.bulk_create(objects, batch_size=BATCH, ignore_conflicts=skip_conflicts)
        return [(o.pk, getattr(o, returning)) for o in objects if o.pk is not None] if returning else []
    quote = connection.ops.quote_name
    table, pk = model._meta.db_table, model._meta.pk
    # Each row as a tuple in the order of `fields`, defaults filled in (Choices are str
    # subclasses: psycopg writes their value).
    attnames = [f.attname for f in fields]
    in_order = operator.itemgetter(*attnames) if len(attnames) > 1 else lambda row: (row[attnames[0]],)
    values = [in_order({**defaults, **row}) for row in rows]
    with connection.cursor() as cursor:
        if not skip_conflicts:
            return _copy_rows(cursor, model, fields, values, returning)
        try:
            # The common case, no conflict: COPY straight into the table, in a savepoint so that
            # a conflict (a row another transaction inserted meanwhile) undoes this attempt only.
            with transaction.atomic(), connection.wrap_database_errors:
                return _copy_rows(cursor, model, fields, values, returning)
        except IntegrityError:
            pass
        staging = f"_bulk_{table}"
        listed = ", ".join(quote(f.column) for f in fields)
        cursor.execute(f"CREATE TEMPORARY TABLE {quote(staging)} AS SELECT {listed} FROM {quote(table)} WITH NO DATA")
        _copy(cursor, quote(staging), fields, values)
        sql = f"INSERT INTO {quote(table)} ({listed}) SELECT {listed} FROM {quote(staging)} ON CONFLICT DO NOTHING"
        if returning:
            sql += f" RETURNING {quote(pk.column)}, {quote(model._meta.get_field(returning).column)}"
        cursor.execute(sql)
        inserted = cursor.fetchall() if returning else []
        cursor.execute(f"DROP TABLE {quote(staging)}")
        return inserted


def _copy_rows(cursor, model, fields: list, values: list[tuple], returning: str | None) -> list[tuple]:
    """COPY `values` (tuples in the order of the model `fields`) into the model's table; with
    `returning`, ids drawn from its sequence first (one query) are copied with the rows and
    [(id, value of `returning`)] is returned."""
    table, pk = model._meta.db_table, model._meta.pk
    if not returning:
        _copy(cursor, connection.ops.quote_name(table), fields, values)
        return []
    # The sequence is looked up once (a materialised CTE): written inside nextval(), the look-up
    # and its text-to-regclass cast ran for every row, five times the cost of drawing the ids.
    cursor.execute(
        "WITH s AS MATERIALIZED (SELECT pg_get_serial_sequence(%s, %s)::regclass AS seq)"
        " SELECT nextval(s.seq) FROM s, generate_series(1, %s)",
        [table, pk.column, len(values)],
    )
    ids = [new_id for (new_id,) in cursor.fetchall()]
    _copy(
        cursor,
        connection.ops.quote_name(table),
        [pk, *fields],
        ((i, *v) for i, v in zip(ids, values, strict=True)),
    )
    position = fields.index(model._meta.get_field(returning))
    return [(i, v[position]) for i, v in zip(ids, values, strict=True)]


def _insert_people(accepted: list[_Accepted]) -> dict[str, int]:
    """{document hash: person id} of the new people, inserted now or, where another enrolment
    inserted the same person at the same moment (the unique hash), read back: two
    institutions enrolling one new person at once both succeed with one Person."""
    new = {a.key: a for a in accepted if a.new is not None}
    created = _bulk_insert(Person, [a.new for a in new.values()], returning="document_hash", skip_conflicts=True)
    person_ids = {hash_: pk for pk, hash_ in created}
    raced = [key for key in new if key not in person_ids]
    if raced:
        for person in Person.objects.filter(document_hash__in=raced):
            mismatch = person_name_mismatch(person, new[person.document_hash].new["name"])
            if mismatch is not None:
                raise DomainError(
                    {
                        "rows": [
                            _row_message({"row": new[person.document_hash].row.row, "errors": mismatch.message_dict})
                        ]
                    }
                )
            person_ids[person.document_hash] = person.pk
    return person_ids


def _approved_promotions(session: Session, accepted: list[_Accepted]) -> dict[int, Promotion]:
    """Approved competition promotions to this session's occupation and level, by person: a
    competition-pathway application of such a person is enrolled on that approval, once
    (certification.services.competitions). Locked: two enrolments cannot spend one approval."""
    people = [e.person.pk for e in accepted if e.person is not None and e.row.pathway == P.COMPETITION]
    if not people or session.level is None:
        return {}
    approved = (
        Promotion.objects.filter(
            person_id__in=people,
            occupation_id=session.occupation_id,
            target_level=session.level,
            state=Promotion.State.APPROVED,
        )
        .order_by("-decided_at")
        .select_for_update()
    )
    return {promotion.person_id: promotion for promotion in approved}  # the earliest wins


def _write(actor: User, session: Session, accepted: list[_Accepted]) -> list[int]:
    promotions = _approved_promotions(session, accepted)
    person_ids = _insert_people(accepted)
    educations, work, applications = [], [], []
    for entry in accepted:
        person_id = entry.person.pk if entry.person is not None else person_ids[entry.key]
        educations += [{**vars(e), "person_id": person_id} for e in entry.educations]
        work += [{**vars(w), "person_id": person_id} for w in entry.work]
        needs_approval = entry.row.pathway in (P.EXCEPTIONAL, P.DIRECT, P.COMPETITION)
        promotion = promotions.get(person_id) if entry.row.pathway == P.COMPETITION else None
        decision = {}
        if promotion is not None:  # already approved by the regulator for this occupation and level
            needs_approval = False
            decision = {
                "decided_by_id": promotion.decided_by_id,
                "decided_at": promotion.decided_at,
                "decision_note": _("竞赛晋升申请 #%(n)d 已批准。") % {"n": promotion.pk},
            }
        applications.append(
            {
                "session_id": session.pk,
                "person_id": person_id,
                "pathway": entry.row.pathway,
                "condition_id": entry.condition.pk if entry.condition else None,
                "reason": entry.row.reason.strip(),
                "evidence": entry.row.evidence.strip(),
                "phone": entry.phone,
                "created_by_id": actor.pk,
                "state": Application.State.PENDING_APPROVAL if needs_approval else Application.State.ENROLLED,
                **decision,
            }
        )
    _bulk_insert(Education, educations)
    _bulk_insert(WorkExperience, work)
    ids = dict(_bulk_insert(Application, applications, returning="person_id"))
    # An approval is spent on the one enrolment it let in: a second session waits for the regulator.
    spent = [
        promotions[a["person_id"]].pk
        for a in applications
        if a["pathway"] == P.COMPETITION and a["person_id"] in promotions and a["state"] == Application.State.ENROLLED
    ]
    if spent:
        Promotion.objects.filter(pk__in=spent).update(state=Promotion.State.USED)
        audit.bulk_record(Promotion.objects.filter(pk__in=spent), user=actor, reason="spent on an enrolment")
    enrolled = {a["person_id"] for a in applications if a["state"] == Application.State.ENROLLED}
    _bulk_insert(Result, [{"application_id": pk} for pk, person_id in ids.items() if person_id in enrolled])
    by_person = {person_id: pk for pk, person_id in ids.items()}
    return [by_person[a["person_id"]] for a in applications]


def _require_enroller(actor: User, session: Session) -> None:
    if not is_admin_of(actor, session.institution_id):
        raise Forbidden(_("只有本机构管理员可以为本批次报名。"))


def lock_for_enrolment(actor: User, session: Session) -> Session:
    """The session, locked, once `actor` may enrol into it and it is still open."""
    # of=self: the joined institution and standard rows are read, not locked (locking the
    # standard would serialise every institution's enrolments in the occupation).
    session = (
        Session.objects.select_for_update(of=("self",)).select_related("institution", "standard").get(pk=session.pk)
    )
    _require_enroller(actor, session)
    _open_session(session)
    # The proportion cap counts across the institution's sessions: serialise its enrolments.
    Institution.objects.select_for_update().filter(pk=session.institution_id).first()
    return session


@transaction.atomic
def application_enrol(
    *,
    actor: User,
    session: Session,
    name: str,
    document_number: object,
    document_type: str = DocumentType.RESIDENT_ID,
    pathway: str = P.NORMAL,
    reason: str = "",
    evidence: str = "",
    phone: str = "",
    on: datetime.date | None = None,
) -> Application:
    """Enrol one candidate. A normal application that meets no condition is refused with the
    conditions it missed; exceptional routes wait for their approval."""
    session = lock_for_enrolment(actor, session)
    row = EnrolRow(1, name, document_number, document_type, pathway, reason, evidence, phone=phone)
    created, problems = enrol_rows(actor=actor, session=session, rows=[row], on=on or timezone.localdate())
    if problems:
        errors: dict[str, list[str]] = {}
        for problem in problems:
            errors.setdefault(problem.field, []).append(problem.message)
        raise DomainError(errors)
    return Application.objects.select_related("person", "condition", "result").get(pk=created[0])


@transaction.atomic
def application_enrol_bulk(*, actor: User, session: Session, rows: list[dict], on: datetime.date | None = None):
    """Enrol many candidates, all or nothing: any bad row refuses the whole list, and the
    error names every bad row (1-based) with its field and reason."""
    session = lock_for_enrolment(actor, session)
    candidates = [
        EnrolRow(
            row=number,
            name=row.get("name", ""),
            document_number=row.get("document_number"),
            document_type=row.get("document_type") or DocumentType.RESIDENT_ID,
            pathway=row.get("pathway") or P.NORMAL,
            reason=row.get("reason", ""),
            evidence=row.get("evidence", ""),
            phone=row.get("phone", ""),
        )
        for number, row in enumerate(rows, start=1)
    ]
    created, problems = enrol_rows(actor=actor, session=session, rows=candidates, on=on or timezone.localdate())
    if problems:
        by_row: dict[int, dict[str, list[str]]] = {}
        for problem in problems:
            by_row.setdefault(problem.row, {}).setdefault(problem.field, []).append(problem.message)
        raise DomainError({"rows": [_row_message({"row": row, "errors": e}) for row, e in by_row.items()]})
    return list(Application.objects.filter(pk__in=created).select_related("person", "condition").order_by("id"))


def _row_message(entry: dict) -> str:
    parts = [f"{field}: {'；'.join(messages)}" for field, messages in entry["errors"].items()]
    return _("第 %(row)d 行 — %(detail)s") % {"row": entry["row"], "detail": " / ".join(parts)}


@transaction.atomic
def application_decide(*, actor: User, application: Application, approve: bool, note: str = "") -> Application:
    """Approve or reject an exceptional route: the regulator for 破格 and competition
    promotion, the employer institution for 直接认定 of its own staff."""
    application = Application.objects.select_for_update().select_related("session").get(pk=application.pk)
    if application.state != Application.State.PENDING_APPROVAL:
        raise DomainError(
            {"state": _("该申报不在待审批状态（当前：%(s)s）。") % {"s": application.get_state_display()}}
        )
    if application.pathway == P.DIRECT:
        if not is_admin_of(actor, application.session.institution_id):
            raise Forbidden(_("直接认定由本用人单位评价机构审批。"))
    elif not user_is_regulator(actor):
        raise Forbidden(_("破格晋升和竞赛晋升由监管部门审批。"))
    if application.created_by_id == actor.id:
        raise Forbidden(_("报名人不能审批自己提交的申报，请由本机构另一位管理员或监管部门审批。"))
    _open_session(application.session)
    if not approve and not note.strip():
        raise DomainError({"note": _("不予通过须写明理由。")})
    application.state = Application.State.ENROLLED if approve else Application.State.REJECTED
    application.decided_by, application.decided_at, application.decision_note = actor, timezone.now(), note.strip()
    application.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
    if approve:
        Result.objects.get_or_create(application=application)
    return application


@transaction.atomic
def application_withdraw(*, actor: User, application: Application, reason: str) -> Application:
    application = Application.objects.select_for_update().select_related("session").get(pk=application.pk)
    if not is_admin_of(actor, application.session.institution_id):
        raise Forbidden(_("只有本机构管理员可以撤回报名。"))
    _open_session(application.session)
    if application.state not in ACTIVE_STATES:
        raise DomainError({"state": _("该申报已是“%(s)s”。") % {"s": application.get_state_display()}})
    if not reason.strip():
        raise DomainError({"reason": _("请填写撤回理由。")})
    application.state = Application.State.WITHDRAWN
    application.decision_note = reason.strip()
    application.save(update_fields=["state", "decision_note"])
    return application
