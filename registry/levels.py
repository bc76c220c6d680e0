"""The level ladder (新八级工) and the evaluation types: the one source of truth.

docs/domain.md, "The level ladder" and "The three evaluation types". Levels are stored by their
order on the ladder (0 = 学徒工 … 7 = 首席技师) so that "higher" is a plain comparison;
the national level digit printed in certificate numbers (5 = 五级 … 1 = 一级) is derived.
"""

from dataclasses import dataclass

from django.db import models
from django.utils.translation import gettext_lazy as _


class Level(models.IntegerChoices):
    APPRENTICE = 0, _("学徒工")
    GRADE_5 = 1, _("五级/初级工")
    GRADE_4 = 2, _("四级/中级工")
    GRADE_3 = 3, _("三级/高级工")
    GRADE_2 = 4, _("二级/技师")
    GRADE_1 = 5, _("一级/高级技师")
    PRINCIPAL = 6, _("特级技师")
    CHIEF = 7, _("首席技师")


@dataclass(frozen=True)
class LevelInfo:
    digit: int | None  # national level digit in certificate numbers; None when not examined
    high_skill: bool  # 高技能人才 = 三级 and above
    examined: bool  # obtained by assessment (五级–一级), not by enterprise record or appointment
    review_part: bool  # 综合评审 is required (二级 and 一级 only)


LEVELS: dict[Level, LevelInfo] = {
    Level.APPRENTICE: LevelInfo(digit=None, high_skill=False, examined=False, review_part=False),
    Level.GRADE_5: LevelInfo(digit=5, high_skill=False, examined=True, review_part=False),
    Level.GRADE_4: LevelInfo(digit=4, high_skill=False, examined=True, review_part=False),
    Level.GRADE_3: LevelInfo(digit=3, high_skill=True, examined=True, review_part=False),
    Level.GRADE_2: LevelInfo(digit=2, high_skill=True, examined=True, review_part=True),
    Level.GRADE_1: LevelInfo(digit=1, high_skill=True, examined=True, review_part=True),
    Level.PRINCIPAL: LevelInfo(digit=None, high_skill=True, examined=False, review_part=False),
    Level.CHIEF: LevelInfo(digit=None, high_skill=True, examined=False, review_part=False),
}

EXAMINED_LEVELS = tuple(level for level, info in LEVELS.items() if info.examined)
_BY_DIGIT = {info.digit: level for level, info in LEVELS.items() if info.digit is not None}


def level_from_digit(digit: int) -> Level:
    """The level whose national digit is `digit` (5 = 五级 … 1 = 一级)."""
    try:
        return _BY_DIGIT[int(digit)]
    except (KeyError, ValueError):
        raise ValueError(f"no examined level has the national digit {digit!r}") from None


def level_digit(level: int) -> int:
    digit = LEVELS[Level(level)].digit
    if digit is None:
        raise ValueError(f"{Level(level).label} has no national level digit")
    return digit


class EvaluationType(models.TextChoices):
    QUALIFICATION = "qualification", _("职业资格评价")
    SKILL_LEVEL = "skill_level", _("职业技能等级认定")
    SPECIAL_ABILITY = "special_ability", _("专项职业能力考核")


@dataclass(frozen=True)
class EvaluationTypeInfo:
    has_levels: bool  # special ability is pass/fail, no level
    issued_by_institution: bool  # 谁评价、谁发证 for skill levels; the regulator otherwise


EVALUATION_TYPES: dict[EvaluationType, EvaluationTypeInfo] = {
    EvaluationType.QUALIFICATION: EvaluationTypeInfo(has_levels=True, issued_by_institution=False),
    EvaluationType.SKILL_LEVEL: EvaluationTypeInfo(has_levels=True, issued_by_institution=True),
    EvaluationType.SPECIAL_ABILITY: EvaluationTypeInfo(has_levels=False, issued_by_institution=False),
}


class ExamPart(models.TextChoices):
    THEORY = "theory", _("理论知识考试")
    PRACTICAL = "practical", _("操作技能考核")
    REVIEW = "review", _("综合评审")


PASS_MARK = 60  # docs/domain.md: each required part ≥ 60 of 100

# docs/domain.md, the level ladder: 特级技师 is appointed from holders of 一级, 首席技师 from
# 特级技师 — in the same occupation, whose standard must offer 一级.
APPOINTMENT_PREREQUISITES: dict[Level, Level] = {Level.PRINCIPAL: Level.GRADE_1, Level.CHIEF: Level.PRINCIPAL}
