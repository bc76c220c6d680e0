"""Eligibility (申报条件): which condition of the standard a person meets for a level.

docs/domain.md: any one condition of the level suffices; each condition row is a conjunction of
requirements (certification years, work years, education, apprenticeship, age), stored as data
on the standard.

Work years ("累计从事本职业或相关职业工作 N 年（含）以上"): work in the occupation or in one the
standard lists as related, over the person's work records merged (overlapping records count
their common time once), each record's end date inclusive. "N years" are N calendar
anniversaries: one unbroken span from 2020-03-01 to 2025-02-28 is exactly 5 years. Spans with
breaks between them are folded into one unbroken interval starting on the first span's start
and as many days long as the spans together; that interval must reach its N-th anniversary.
(Unbroken work therefore counts exactly as the calendar does; broken work counts its days, with
the leap days of the years it starts in.) "N years after level X" ("取得…证书后，累计从事…工作
N 年") counts only the work done after the issue date of the certificate at level X.
"""

import datetime
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from registry.levels import Level
from registry.models import EligibilityCondition, Person

# "含在校应届毕业生": a diploma due within this many days of the application counts.
GRADUATING_YEAR_DAYS = 366


def add_years(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


ONE_DAY = datetime.timedelta(days=1)


def merge_spans(spans) -> list[tuple[datetime.date, datetime.date]]:
    """Inclusive (start, end) spans merged where they overlap or touch, in order."""
    merged: list[list[datetime.date]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1] + ONE_DAY:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(start, end) for start, end in merged]


def span_years(spans, since: datetime.date | None = None) -> tuple[int, int]:
    """(whole years, days beyond them) of the merged inclusive `spans`, counting only days after
    `since`; breaks between spans folded away (see the module docstring)."""
    if since is not None:
        spans = [(max(start, since + ONE_DAY), end) for start, end in spans if end > since]
    if not spans:
        return 0, 0
    first = spans[0][0]
    days = sum((end - start).days + 1 for start, end in spans)
    reached = first + datetime.timedelta(days=days)  # the day after the folded interval
    # The last anniversary reached: the one in `reached`'s year, or the year before.
    years = reached.year - first.year
    if add_years(first, years) > reached:
        years -= 1
    return years, (reached - add_years(first, years)).days


@dataclass(frozen=True)
class Facts:
    """What the registry knows of a person, as far as one occupation (and the occupations its
    standard lists as related) is concerned."""

    on: datetime.date
    birth_date: datetime.date | None
    certificates: list[tuple[int, datetime.date]]  # (level, issued_on) in this or a related occupation
    work_spans: list[tuple[datetime.date, datetime.date]]  # merged, end inclusive, up to `on`
    apprenticeship_completed: bool
    education: set[str]  # kinds of diploma in a related major, obtained or due in the graduating year

    @property
    def work_days(self) -> int:
        return sum((end - start).days + 1 for start, end in self.work_spans)


@dataclass
class Verdict:
    condition: EligibilityCondition | None = None
    missed: list[tuple[EligibilityCondition, list[str]]] = field(default_factory=list)

    @property
    def eligible(self) -> bool:
        return self.condition is not None

    def explain(self) -> str:
        parts = [f"{c.code}「{c.text}」：{'；'.join(reasons)}" for c, reasons in self.missed]
        return _("不符合任何一项申报条件。") + " " + " | ".join(parts)


def person_facts(person: Person, occupation_id: int, on: datetime.date, certificates=(), related_ids=()) -> Facts:
    """Facts about `person` for `occupation_id` (and `related_ids`) on `on`. `certificates` adds
    (level, issued_on) pairs from certificates issued by this registry (certification.selectors
    supplies them). Reads the person's related sets with `.all()`, so prefetched sets cost no query."""
    return facts_from(
        birth_date=person.birth_date,
        prior_certificates=person.prior_certificates.all(),
        work_experiences=person.work_experiences.all(),
        educations=person.educations.all(),
        occupation_id=occupation_id,
        on=on,
        certificates=certificates,
        related_ids=related_ids,
    )


def facts_from(
    *,
    birth_date,
    prior_certificates,
    work_experiences,
    educations,
    occupation_id: int,
    on: datetime.date,
    certificates=(),
    related_ids=(),
) -> Facts:
    """The same facts from plain iterables of records (saved or not): for set-based enrolment.
    `related_ids`: the occupations the standard lists as related ("本职业或相关职业")."""
    occupations = {occupation_id, *related_ids}
    held = [(c.level, c.issued_on) for c in prior_certificates if c.occupation_id in occupations and c.issued_on <= on]
    held += [(level, issued_on) for level, issued_on in certificates if issued_on <= on]
    spans, apprenticeship = [], False
    for job in work_experiences:
        if job.occupation_id not in occupations or job.started > on:
            continue
        spans.append((job.started, min(job.ended or on, on)))
        # Completed: the apprenticeship has an end date, not after `on` (one still running is not).
        if job.apprenticeship and job.ended and job.ended <= on:
            apprenticeship = True
    horizon = on + datetime.timedelta(days=GRADUATING_YEAR_DAYS)
    education = {
        e.kind for e in educations if e.related_occupation_id == occupation_id and e.graduation_date <= horizon
    }
    return Facts(
        on=on,
        birth_date=birth_date,
        certificates=held,
        work_spans=merge_spans(spans),
        apprenticeship_completed=apprenticeship,
        education=education,
    )


def unmet(condition: EligibilityCondition, facts: Facts) -> list[str]:
    """The requirements of `condition` that `facts` do not meet (empty: the condition is met)."""
    reasons = []
    if condition.years_in_occupation is not None:
        years, days = span_years(facts.work_spans)
        if years < condition.years_in_occupation:
            reasons.append(
                _("本职业或相关职业累计工作 %(years)d 年 %(days)d 天，需 %(need)d 年")
                % {"years": years, "days": days, "need": condition.years_in_occupation}
            )
    if condition.prior_level is not None:
        held = sorted(issued for level, issued in facts.certificates if level >= condition.prior_level)
        label = Level(condition.prior_level).label
        if not held:
            reasons.append(_("未持有本职业或相关职业%(level)s及以上证书") % {"level": label})
        elif condition.years_after_prior:
            # The earliest certificate at or above the level leaves the most work after it.
            years, days = span_years(facts.work_spans, since=held[0])
            if years < condition.years_after_prior:
                reasons.append(
                    _(
                        "%(level)s证书于 %(date)s 取得，此后本职业或相关职业工作 %(years)d 年 %(days)d 天，"
                        "需 %(need)d 年"
                    )
                    % {
                        "level": label,
                        "date": held[0],
                        "years": years,
                        "days": days,
                        "need": condition.years_after_prior,
                    }
                )
    if condition.education and not set(condition.education) & facts.education:
        kinds = "、".join(str(EligibilityCondition.Education(k).label) for k in condition.education)
        reasons.append(_("无本专业或相关专业的%(kinds)s学历") % {"kinds": kinds})
    if condition.apprenticeship and not facts.apprenticeship_completed:
        reasons.append(_("无本职业学徒期满记录"))
    if condition.min_age is not None:
        if facts.birth_date is None or add_years(facts.birth_date, condition.min_age) > facts.on:
            reasons.append(_("未满 %(age)d 周岁") % {"age": condition.min_age})
    return reasons


def evaluate(conditions: list[EligibilityCondition], facts: Facts) -> Verdict:
    verdict = Verdict()
    for condition in conditions:
        reasons = unmet(condition, facts)
        if not reasons:
            verdict.condition = condition
            return verdict
        verdict.missed.append((condition, reasons))
    return verdict
