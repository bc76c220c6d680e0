"""Certificate numbers (docs/domain.md, "Certificates").

Skill-level certificates: the 22-character national format
  kind letter (Y employer / S social organisation) + 4-digit national institution code ("0000" when
  filed with the province) + 2-digit province + 6-digit site serial + 2-digit year + level digit +
  6-digit serial per site, year and level.
Qualification and special-ability certificates, issued by the regulator, use the same layout in
their own series: letter Z (职业资格) or T (专项职业能力, level digit 0), with their own counters.
"""

import re

from django.conf import settings

from registry.levels import level_digit
from registry.models import Institution

from .models import Series

SERIES_LETTER = {Series.QUALIFICATION: "Z", Series.SPECIAL_ABILITY: "T"}
NUMBER_PATTERN = re.compile(r"^[YSZT]\d{21}$")
MAX_SERIAL = 999_999


def number_prefix(series: str, institution: Institution, year: int, level: int | None) -> str:
    letter = institution.certificate_letter if series == Series.SKILL_LEVEL else SERIES_LETTER[series]
    digit = 0 if level is None else level_digit(level)
    return f"{letter}{institution.national_code}{settings.PROVINCE_CODE}{institution.site_code}{year % 100:02d}{digit}"


def format_number(prefix: str, serial: int) -> str:
    if not 1 <= serial <= MAX_SERIAL:
        raise ValueError(f"serial {serial} is outside 1–{MAX_SERIAL}")
    return f"{prefix}{serial:06d}"


def is_well_formed(number: str) -> bool:
    return bool(NUMBER_PATTERN.match(number or ""))
