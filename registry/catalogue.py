"""The occupation catalogue loader: the same code loads demo data and production updates.

Idempotent: occupations are matched by code, standards by (occupation, version), their rows
by natural keys, so loading the same file twice changes nothing and a corrected file updates
in place (rows that applications refer to keep their ids).
"""

import datetime
import json
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .errors import DomainError
from .identity import validate_occupation_code
from .levels import LEVELS, ExamPart, Level, level_from_digit
from .models import EligibilityCondition, ExamRequirement, Occupation, Specialty, StaffingRule, Standard

DEFAULT_CATALOGUE = Path(__file__).parent / "data" / "catalogue.json"


@dataclass
class CatalogueReport:
    occupations_created: int = 0
    occupations_updated: int = 0
    standards: int = 0
    conditions: int = 0


def _levels(digits: list[int], where: str) -> list[int]:
    try:
        return [int(level_from_digit(d)) for d in digits]
    except ValueError as error:
        raise DomainError(f"{where}: {error}") from None


def _date(value: str | None) -> datetime.date | None:
    return datetime.date.fromisoformat(value) if value else None


@transaction.atomic
def catalogue_load(data: dict) -> CatalogueReport:
    report = CatalogueReport()
    related: dict[int, list[str]] = {}
    templates = data.get("eligibility_templates", {})
    staffing_default = data.get("staffing_default", [])
    for row in data["occupations"]:
        code = row["code"]
        where = f"{code} {row.get('name', '')}"
        try:
            validate_occupation_code(code)
            if row.get("code_2015"):
                validate_occupation_code(row["code_2015"])
        except ValidationError as error:
            raise DomainError(f"{where}: {error.messages[0]}") from None
        defaults = {
            "name": row["name"],
            "code_2015": row.get("code_2015", ""),
            "former_names": row.get("former_names", []),
            "urgent_from": _date(row.get("urgent_from")),
            "urgent_until": _date(row.get("urgent_until")),
        }
        # Set only where the file states it (no source confirms most rows): a flag the regulator
        # set in the admin survives a reload.
        if "in_qualification_catalogue" in row:
            defaults["in_qualification_catalogue"] = row["in_qualification_catalogue"]
        occupation, created = Occupation.objects.update_or_create(code=code, defaults=defaults)
        report.occupations_created += created
        report.occupations_updated += not created
        levels = _levels(row["levels"], where)
        Standard.objects.filter(occupation=occupation, is_current=True).exclude(version=row["standard"]).update(
            is_current=False
        )
        standard, _ = Standard.objects.update_or_create(
            occupation=occupation, version=row["standard"], defaults={"levels": levels, "is_current": True}
        )
        report.standards += 1
        for specialty in row.get("specialties", []):
            Specialty.objects.update_or_create(
                occupation=occupation,
                name=specialty["name"],
                defaults={"levels": _levels(specialty.get("levels", []), where)},
            )
        template = templates.get(row.get("template", ""), {})
        if row.get("template") and not template:
            raise DomainError(f"{where}: unknown eligibility template {row['template']!r}")
        own = row.get("conditions", {})  # conditions of this standard beyond the template (entry levels)
        for level in levels:
            digit = str(LEVELS[Level(level)].digit)
            for condition in [*template.get(digit, []), *own.get(digit, [])]:
                fields = dict(condition)
                fields.pop("code")
                if fields.get("prior_level") is not None:
                    fields["prior_level"] = int(level_from_digit(fields["prior_level"]))
                defaults = {
                    "text": fields.pop("text"),
                    "years_in_occupation": fields.pop("years_in_occupation", None),
                    "prior_level": fields.pop("prior_level", None),
                    "years_after_prior": fields.pop("years_after_prior", None),
                    "education": fields.pop("education", []),
                    "apprenticeship": fields.pop("apprenticeship", False),
                    "min_age": fields.pop("min_age", None),
                }
                if fields:
                    raise DomainError(f"{where}: unknown condition fields {sorted(fields)}")
                unknown = set(defaults["education"]) - set(EligibilityCondition.Education.values)
                if unknown:
                    raise DomainError(f"{where}: unknown education kinds {sorted(unknown)}")
                EligibilityCondition.objects.update_or_create(
                    standard=standard, level=level, code=condition["code"], defaults=defaults
                )
                report.conditions += 1
            parts = [ExamPart.THEORY, ExamPart.PRACTICAL]
            if LEVELS[Level(level)].review_part:  # docs/domain.md: 综合评审 only for 二级 and 一级
                parts.append(ExamPart.REVIEW)
            for part in parts:
                ExamRequirement.objects.get_or_create(standard=standard, level=level, part=part)
        if row.get("template") or own:
            unreachable = levels_without_a_way_in(standard)
            if unreachable:
                labels = ", ".join(str(Level(x).label) for x in unreachable)
                raise DomainError(
                    f"{where}: no condition of level(s) {labels} can be met "
                    "without a certificate the standard does not offer: give the entry level its own conditions"
                )
        related[standard.pk] = row.get("related", [])
        overrides = {(r["part"], r["role"]): r for r in row.get("staffing", [])}
        for rule in staffing_default:
            rule = overrides.get((rule["part"], rule["role"]), rule)
            StaffingRule.objects.update_or_create(
                standard=standard,
                part=rule["part"],
                role=rule["role"],
                defaults={k: rule[k] for k in ("candidates_per_staff", "min_count", "min_per_room", "odd")},
            )
    # Related occupations ("本职业或相关职业") may name rows further down the file: a second pass.
    for standard_id, codes in related.items():
        found = {o.code: o for o in Occupation.objects.filter(code__in=codes)}
        unknown = sorted(set(codes) - set(found))
        if unknown:
            raise DomainError(f"standard {standard_id}: unknown related occupation codes {unknown}")
        Standard.objects.get(pk=standard_id).related_occupations.add(*found.values())
    return report


def levels_without_a_way_in(standard: Standard) -> list[int]:
    """Levels of `standard` none of whose conditions a person can meet from within the standard:
    every condition asks for a certificate at a level the standard does not offer (an occupation
    whose standard starts above 五级 needs its own conditions for its entry level)."""
    offered = set(standard.levels)
    ways: dict[int, bool] = {level: False for level in offered}
    for level, prior in standard.conditions.values_list("level", "prior_level"):
        if level in ways and (prior is None or prior in offered):
            ways[level] = True
    return sorted(level for level, ok in ways.items() if not ok)


def catalogue_load_file(path: str | Path = DEFAULT_CATALOGUE) -> CatalogueReport:
    with open(path, encoding="utf-8") as handle:
        return catalogue_load(json.load(handle))
