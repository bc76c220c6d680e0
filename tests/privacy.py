"""How many resident ID numbers fit the public form shown beside a name: the attacker's count
(docs/domain.md: whatever the public sees leaves at least 10^6 candidates)."""

import datetime
import itertools

from stdnum.cn import ric

FIRST_BIRTH, LAST_BIRTH = datetime.date(1926, 1, 1), datetime.date(2010, 12, 31)


def _fits(pattern: str, text: str) -> bool:
    return all(p == "*" or p == c for p, c in zip(pattern, text, strict=True))


def candidates_for_public_form(
    public: str, first: datetime.date = FIRST_BIRTH, last: datetime.date = LAST_BIRTH
) -> int:
    """Valid 18-character numbers (births `first`..`last`, any sequence, the check character
    that follows) that agree with every visible character of `public`. Hidden area digits are
    counted as one area (a lower bound: the attacker is assumed to know the district)."""
    assert len(public) == 18, public
    area, birth, sequence, check = public[:6], public[6:14], public[14:17], public[17]
    area = "".join("0" if c == "*" else c for c in area)
    visible_sequences = [
        "".join(digits) for digits in itertools.product(*[("0123456789" if c == "*" else c) for c in sequence])
    ]
    count = 0
    day = first
    while day <= last:
        text = f"{day:%Y%m%d}"
        if _fits(birth, text):
            if check == "*":
                count += len(visible_sequences)
            else:
                for seq in visible_sequences:
                    if ric.calc_check_digit(area + text + seq + "0") == check:
                        count += 1
        day += datetime.timedelta(days=1)
    return count
