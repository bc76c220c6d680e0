"""Eligibility (申报条件): which condition of the standard a person meets for a level.

DOMAIN.md: any one condition of the level suffices; each condition row is a conjunction of
requirements (certification years, work years, education, apprenticeship, age), stored as data
on the standard. "N years after level X" counts from the issue date of the certificate at X.
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


@dataclass(frozen=True)
class Facts:
    """What the registry knows of a person, as far as one occupation is concerned."""

    on: datetime.date
    birth_date: datetime.date | None
    certificates: list[tuple[int, datetime.date]]  # (level, issued_on) in this occupation
    work_days: int  # days worked in this occupation up to `on`
    apprenticeship_completed: bool
    education: set[str]  # kinds of diploma in a related major, obtained or due in the graduating year


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


def person_facts(person: Person, occupation_id: int, on: datetime.date, certificates=()) -> Facts:
    """Facts about `person` for `occupation_id` on `on`. `certificates` adds (level, issued_on)
    pairs from certificates issued by this registry (certification.selectors supplies them).
    Reads the person's related sets with `.all()`, so prefetched sets cost no query."""
    return facts_from(
        birth_date=person.birth_date,
        prior_certificates=person.prior_certificates.all(),
        work_experiences=person.work_experiences.all(),
        educations=person.educations.all(),
        occupation_id=occupation_id,
        on=on,
        certificates=certificates,
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
) -> Facts:
    """The same facts from plain iterables of records (saved or not): for set-based enrolment."""
    held = [
        (c.level, c.issued_on) for c in prior_certificates if c.occupation_id == occupation_id and c.issued_on <= on
    ]
    held += [(level, issued_on) for level, issued_on in certificates if issued_on <= on]
    spans, apprenticeship = [], False
    for job in work_experiences:
        if job.occupation_id != occupation_id or job.started > on:
            continue
        spans.append((job.started, min(job.ended or on, on)))
        if job.apprenticeship and job.ended and job.ended <= on:
            apprenticeship = True
    # Overlapping records (two rosters, two employers at once) count their common time once.
    work_days, covered_until = 0, None
    for start, end in sorted(spans):
        if covered_until is not None and start < covered_until:
            start = covered_until
        if end > start:
            work_days += (end - start).days
        covered_until = max(covered_until or end, end)
    horizon = on + datetime.timedelta(days=GRADUATING_YEAR_DAYS)
    education = {
        e.kind for e in educations if e.related_occupation_id == occupation_id and e.graduation_date <= horizon
    }
    return Facts(
        on=on,
        birth_date=birth_date,
        certificates=held,
        work_days=work_days,
        apprenticeship_completed=apprenticeship,
        education=education,
    )


def unmet(condition: EligibilityCondition, facts: Facts) -> list[str]:
    """The requirements of `condition` that `facts` do not meet (empty: the condition is met)."""
    reasons = []
    if condition.years_in_occupation is not None:
        years = facts.work_days / 365.25
        if years + 1e-9 < condition.years_in_occupation:
            reasons.append(
                _("本职业累计工作 %(have).1f 年，需 %(need)d 年")
                % {"have": years, "need": condition.years_in_occupation}
            )
    if condition.prior_level is not None:
        held = sorted(issued for level, issued in facts.certificates if level >= condition.prior_level)
        label = Level(condition.prior_level).label
        if not held:
            reasons.append(_("未持有本职业%(level)s及以上证书") % {"level": label})
        elif condition.years_after_prior and add_years(held[0], condition.years_after_prior) > facts.on:
            reasons.append(
                _("%(level)s证书于 %(date)s 取得，需满 %(need)d 年（%(until)s 起）")
                % {
                    "level": label,
                    "date": held[0],
                    "need": condition.years_after_prior,
                    "until": add_years(held[0], condition.years_after_prior),
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
