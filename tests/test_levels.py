import pytest

from registry.levels import LEVELS, Level, level_digit, level_from_digit


def test_national_digits_map_to_examined_levels():
    assert [
        level_digit(level) for level in (Level.GRADE_5, Level.GRADE_4, Level.GRADE_3, Level.GRADE_2, Level.GRADE_1)
    ] == [5, 4, 3, 2, 1]
    assert level_from_digit(3) == Level.GRADE_3
    with pytest.raises(ValueError):
        level_from_digit(6)
    with pytest.raises(ValueError):
        level_digit(Level.PRINCIPAL)


def test_high_skill_means_grade_3_and_above():
    assert [level for level, info in LEVELS.items() if info.high_skill] == [3, 4, 5, 6, 7]


def test_review_part_only_for_grades_2_and_1():
    assert [level for level, info in LEVELS.items() if info.review_part] == [Level.GRADE_2, Level.GRADE_1]
