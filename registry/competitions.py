"""Competitions and their promotion rules, loaded as data (`manage.py load_competitions`).

Idempotent: a competition is matched by name and its rule rows are replaced by the file's, so
a corrected file updates in place. Awards already recorded keep the promotion they produced.

File format (JSON): {"competitions": [{"name", "tier", "year", "organiser",
"rules": [{"medal": "gold" | "rank": [1, 3], "target": 4 | null, "one_up_if_held": true,
"cap": 5}]}]} — levels as the ladder's order (1 = 五级 … 5 = 一级), `target` null for
"one level up from the level held".
"""

import json
from pathlib import Path

from django.core.exceptions import ValidationError
from django.db import transaction

from .errors import DomainError
from .levels import Level
from .models import Competition, PromotionRule

DEFAULT_COMPETITIONS = Path(__file__).parent / "data" / "competitions.json"


def _rule(competition: Competition, row: dict, where: str) -> PromotionRule:
    rank = row.get("rank") or [None, None]
    rule = PromotionRule(
        competition=competition,
        medal=row.get("medal", ""),
        rank_from=rank[0],
        rank_to=rank[1],
        target_level=row.get("target"),
        one_up_if_held=row.get("one_up_if_held", True),
        cap_level=row.get("cap", Level.GRADE_1),
    )
    try:
        rule.full_clean(exclude=["competition"])
    except ValidationError as error:
        raise DomainError(f"{where}: {error.messages}") from None
    if bool(rule.medal) == (rule.rank_from is not None):
        raise DomainError(f"{where}: a rule names a medal or a rank range, not both")
    if rule.rank_from is not None and (rule.rank_to is None or rule.rank_to < rule.rank_from):
        raise DomainError(f"{where}: the rank range must be [from, to] with from <= to")
    if rule.target_level is not None and rule.target_level > rule.cap_level:
        raise DomainError(f"{where}: the target level is above the cap")
    return rule


@transaction.atomic
def competitions_load(data: dict) -> int:
    """Create or update the competitions of `data` with their rules; returns how many."""
    count = 0
    for index, row in enumerate(data.get("competitions", []), start=1):
        where = f"competition {index} ({row.get('name', '?')})"
        competition, _ = Competition.objects.get_or_create(
            name=row["name"], defaults={"tier": row["tier"], "year": row["year"]}
        )
        competition.tier, competition.year = row["tier"], row["year"]
        competition.organiser = row.get("organiser", "")
        try:
            competition.full_clean()
        except ValidationError as error:
            raise DomainError(f"{where}: {error.messages}") from None
        competition.save()
        rules = [_rule(competition, rule, f"{where}, rule {n}") for n, rule in enumerate(row.get("rules", []), 1)]
        competition.rules.all().delete()
        PromotionRule.objects.bulk_create(rules)
        count += 1
    return count


def competitions_load_file(path: Path = DEFAULT_COMPETITIONS) -> int:
    return competitions_load(json.loads(Path(path).read_text(encoding="utf-8")))
