"""Identifiers: resident ID numbers (GB 11643), credit codes (GB 32100), occupation codes,
and how identity document numbers are protected (encrypted, keyed hash, masked).

Every validator raises django's ValidationError with a message a clerk can act on and never
echoes the full ID number back (it would end up in logs and error pages).
"""

import datetime
import hmac
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from stdnum.cn import ric, uscc
from stdnum.exceptions import ValidationError as StdnumError


class DocumentType(models.TextChoices):
    RESIDENT_ID = "resident_id", _("居民身份证")
    HK_MACAO = "hk_macao", _("港澳居民居住证/来往内地通行证")
    TAIWAN = "taiwan", _("台湾居民居住证/来往大陆通行证")
    FOREIGN_PERMANENT = "foreign_permanent", _("外国人永久居留身份证")
    PASSPORT = "passport", _("护照")


# The documents' full official names and the short names clerks write, beside the labels above
# (a label's parts split at "/" count too). 港澳台居民居住证 is one card for both groups: its number
# begins 810000/820000 (Hong Kong/Macao) or 830000 (Taiwan), and the number decides the type.
DOCUMENT_TYPE_ALIASES = {
    "身份证": DocumentType.RESIDENT_ID,
    "居民身份证号码": DocumentType.RESIDENT_ID,
    "中华人民共和国居民身份证": DocumentType.RESIDENT_ID,
    "港澳居民来往内地通行证": DocumentType.HK_MACAO,
    "港澳通行证": DocumentType.HK_MACAO,
    "回乡证": DocumentType.HK_MACAO,
    "港澳居民居住证": DocumentType.HK_MACAO,
    "香港居民来往内地通行证": DocumentType.HK_MACAO,
    "澳门居民来往内地通行证": DocumentType.HK_MACAO,
    "台湾居民来往大陆通行证": DocumentType.TAIWAN,
    "台胞证": DocumentType.TAIWAN,
    "台湾居民居住证": DocumentType.TAIWAN,
    "港澳台居民居住证": "hmt_residence_permit",  # decided by the number (resolve_document_type)
    "外国人永久居留身份证": DocumentType.FOREIGN_PERMANENT,
    "外国人永久居留证": DocumentType.FOREIGN_PERMANENT,
    "中华人民共和国外国人永久居留身份证": DocumentType.FOREIGN_PERMANENT,
    "永久居留身份证": DocumentType.FOREIGN_PERMANENT,
    "外国护照": DocumentType.PASSPORT,
}
RESIDENT_PERMIT_PREFIXES = {
    "810000": DocumentType.HK_MACAO,
    "820000": DocumentType.HK_MACAO,
    "830000": DocumentType.TAIWAN,
}


HMT_RESIDENCE_PERMIT = "hmt_residence_permit"


def resolve_document_type(value: str, raw_number: object) -> str | None:
    """`value` from DOCUMENT_TYPE_ALIASES or DocumentType, made a DocumentType: a 港澳台居民居住证
    by its number's area code (810000/820000 Hong Kong/Macao, 830000 Taiwan), None when the
    number has none of them."""
    if value == HMT_RESIDENCE_PERMIT:
        return RESIDENT_PERMIT_PREFIXES.get(normalize_document_number(raw_number)[:6])
    return value


# GB/T 2260 province-level codes. The area code is where a number was first issued, not
# where the holder was born, so it is judged by province only (FACTS.md: python-stdnum
# rejects real Pudong numbers issued before 1992 births otherwise).
PROVINCE_CODES = frozenset(
    "11 12 13 14 15 21 22 23 31 32 33 34 35 36 37 41 42 43 44 45 46 50 51 52 53 54 61 62 63 64 65 71 81 82 83".split()
)
OLDEST_BIRTH = datetime.date(1880, 1, 1)
_EXCEL_NUMBER = re.compile(r"^\d(\.\d+)?E\+\d+$|^\d+\.0+$")


_SPACES_AND_DASHES = re.compile(r"[\s\-]")


def normalize_document_number(raw: object) -> str:
    """Full-width digits, lowercase x, spaces and dashes as found in real spreadsheets."""
    text = unicodedata.normalize("NFKC", str(raw if raw is not None else "")).strip().upper()
    # Letters and digits only (the usual case) have no space or dash to remove.
    return text if text.isalnum() else _SPACES_AND_DASHES.sub("", text)


def normalize_code(raw: object) -> str:
    """A credit code or certificate number as stored and looked up: NFKC (full-width letters and
    digits), every whitespace and dash removed, upper case. Typed `s0000 3100…` or `９１３１…`,
    it is the same code."""
    return normalize_document_number(raw)


def normalize_certificate_number(raw: object) -> str:
    """A certificate number as stored and looked up (see normalize_code)."""
    return normalize_code(raw)


# --- Names ---

NAME_MAX_LENGTH = 100  # Person.name
# The separator in transliterated names (阿依古丽·买买提) is U+00B7; these look the same on a form.
NAME_DOTS = str.maketrans(dict.fromkeys("\u30fb\uff65\u2022\u2027\u22c5\u2219\u0387\u2e31\u16eb\u318d", "\u00b7"))
_CJK = re.compile("[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f]")
# Cc (NUL, newlines, tabs), Cf (bidi overrides U+202A–202E and U+2066–2069, zero widths
# U+200B–200D, U+FEFF), Cs (a lone surrogate), Zl/Zp (line and paragraph separators).
_INVISIBLE = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})


def clean_person_name(raw: object) -> str:
    """A person's name as stored: the one rule for every way a name enters (roster import, API,
    activation, admin). Trimmed; inside a Chinese name every space removed (U+3000 included),
    elsewhere runs of spaces made one; dot look-alikes made U+00B7. Nothing else is normalised:
    NFKC would turn CJK compatibility ideographs into other characters, so Extension-B
    characters (𠮷) and the rest stay exactly as typed. Control and format characters are
    refused, never stripped silently: a bidi override or zero-width character makes a name
    look like another."""
    name = "" if raw is None else str(raw)
    # isprintable() is False for every character of the _INVISIBLE categories (and for spaces
    # other than U+0020): a printable name needs no look at each character's category.
    if not name.isprintable() and any(unicodedata.category(char) in _INVISIBLE for char in name):
        raise ValidationError(
            _("姓名中含有不可见的控制字符或格式字符（如换行、制表符、零宽字符、双向控制符），请删除后重新填写。"),
            code="name_control",
        )
    name = name.translate(NAME_DOTS)
    if _CJK.search(name):
        name = "".join(name.split())
    else:
        name = " ".join(name.split())
    if not name:
        raise ValidationError(_("姓名不能为空。"), code="name_empty")
    if len(name) > NAME_MAX_LENGTH:
        raise ValidationError(
            _("姓名过长（%(n)d 个字符），最多 %(max)d 个字符。"),
            params={"n": len(name), "max": NAME_MAX_LENGTH},
            code="name_length",
        )
    return name


# --- Phones ---

MOBILE = re.compile(r"^1[3-9]\d{9}$")


def normalize_mobile(raw: object) -> str:
    """A mainland mobile number as 11 digits: full-width digits, spaces, dashes, brackets and a
    +86 / 0086 / 86 prefix removed; "" for an empty value; a ValidationError otherwise."""
    if raw is None or raw == "":
        return ""
    text = unicodedata.normalize("NFKC", str(raw))
    digits = re.sub(r"[\s\-()（）.]", "", text)
    if not digits:
        return ""
    digits = re.sub(r"^(\+86|0086|86)(?=1\d{10}$)", "", digits)
    if not MOBILE.match(digits):
        raise ValidationError(
            _("手机号码应为 11 位大陆手机号（1 开头，第二位为 3–9），可带 +86。"), code="mobile_format"
        )
    return digits


@dataclass(frozen=True)
class ResidentId:
    number: str  # 18 characters, check character verified
    birth_date: datetime.date
    sex: str  # "M" or "F": the sequence code's parity


def parse_resident_id(raw: object, *, today: datetime.date | None = None) -> ResidentId:
    """Validate a 居民身份证号码 and return it in 18-character form with its derived facts."""
    number, birth = _checked_resident_id(raw, today)
    return ResidentId(number=number, birth_date=birth, sex=resident_id_sex(number))


def _checked_resident_id(raw: object, today: datetime.date | None) -> tuple[str, datetime.date]:
    """parse_resident_id's checks: the 18-character number and its birth date."""
    number = normalize_document_number(raw)
    if not number:
        raise ValidationError(_("身份证号码为空。"), code="id_empty")
    if ("." in number or "E+" in number) and _EXCEL_NUMBER.match(number):  # what the pattern needs
        raise ValidationError(
            _("身份证号码被 Excel 存成了数字，末几位已丢失，无法恢复：请把该列设为文本后重新填写。"),
            code="id_excel_number",
        )
    if len(number) == 15:
        if not number.isdigit():
            raise ValidationError(_("15 位身份证号码只能由数字组成。"), code="id_format")
        body = number[:6] + "19" + number[6:]
        number = body + ric.calc_check_digit(body + "0")
    elif len(number) != 18:
        raise ValidationError(
            _("身份证号码应为 18 位（或旧版 15 位），实际为 %(n)d 位。"), params={"n": len(number)}, code="id_length"
        )
    if not number[:17].isdigit() or not (number[17].isdigit() or number[17] == "X"):
        raise ValidationError(_("身份证号码前 17 位须为数字，末位为数字或 X。"), code="id_format")
    if number[:2] not in PROVINCE_CODES:
        raise ValidationError(_("身份证号码的地区码（前两位）不是有效的省级代码。"), code="id_area")
    try:
        birth = resident_id_birth_date(number)
    except ValueError:
        raise ValidationError(_("身份证号码中的出生日期（第 7–14 位）不是真实日期。"), code="id_birth_date") from None
    if not OLDEST_BIRTH <= birth <= (today or datetime.date.today()):
        raise ValidationError(_("身份证号码中的出生日期不在合理范围内。"), code="id_birth_date")
    if ric.calc_check_digit(number) != number[17]:
        raise ValidationError(_("身份证号码校验位错误，请核对是否抄错。"), code="id_checksum")
    return number, birth


def resident_id_birth_date(number: str) -> datetime.date:
    """The birth date that an 18-character resident ID number states (digits 7–14)."""
    return datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))


def resident_id_sex(number: str) -> str:
    """ "M" or "F": the parity of an 18-character resident ID number's sequence code."""
    return "M" if int(number[16]) % 2 else "F"


def validate_document_number(document_type: str, raw: object) -> str:
    """The canonical form of a document number of the given type, or a ValidationError."""
    if document_type == DocumentType.RESIDENT_ID:
        return _checked_resident_id(raw, None)[0]
    if document_type not in DocumentType.values:
        raise ValidationError(_("未知的证件类型。"), code="document_type")
    number = normalize_document_number(raw)
    if not re.fullmatch(r"[A-Z0-9]{5,20}", number):
        raise ValidationError(_("证件号码应为 5–20 位字母或数字。"), code="document_format")
    return number


def validate_credit_code(raw: object) -> str:
    """统一社会信用代码 (GB 32100): 18 characters with a check character."""
    code = normalize_code(raw)
    if code and set(code) == {"0"}:
        raise ValidationError(_("统一社会信用代码不能全为 0。"), code="uscc_zero")
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为 18 位，实际为 %(n)d 位。"), params={"n": len(code)}, code="uscc_length"
        )
    try:
        return uscc.validate(code)
    except StdnumError as error:
        if "checksum" in type(error).__name__.lower():
            raise ValidationError(_("统一社会信用代码校验位错误。"), code="uscc_checksum") from None
        raise ValidationError(_("统一社会信用代码格式不正确。"), code="uscc_format") from None


OCCUPATION_CODE = re.compile(r"^[1-8]-\d{2}-\d{2}-\d{2}$")


def validate_occupation_code(value: str) -> None:
    """国家职业分类大典 code: 大类-中类-小类-细类, e.g. 6-31-01-03."""
    if not OCCUPATION_CODE.match(value or ""):
        raise ValidationError(
            _("职业编码“%(code)s”格式不正确，应为 D-DD-DD-DD（如 6-31-01-03），大类为 1–8。"),
            params={"code": value},
            code="occupation_code",
        )


# --- Protection of document numbers at rest ---


@lru_cache(maxsize=1)
def _fernet() -> MultiFernet:
    return MultiFernet([Fernet(key.encode()) for key in settings.FIELD_ENCRYPTION_KEYS])


def encrypt(plain: str) -> str:
    return _fernet().encrypt(plain.encode()).decode("ascii")


def encrypt_many(plains: list[str]) -> list[str]:
    """[encrypt(p) for p in plains] with one MultiFernet: the numbers of one import."""
    fernet = _fernet()
    return [fernet.encrypt(plain.encode()).decode("ascii") for plain in plains]


def decrypt(token: str) -> str:
    try:
        return _fernet().decrypt(token.encode("ascii")).decode()
    except InvalidToken:
        raise ValueError("document number cannot be decrypted with the configured keys") from None


def document_hash(document_type: str, number: str) -> str:
    """Keyed hash for exact look-up: equal numbers of the same type give equal hashes
    (HMAC-SHA256 of "type:number" with ID_HASH_KEY; hmac.digest is OpenSSL's one-shot HMAC)."""
    return hmac.digest(settings.ID_HASH_KEY.encode(), f"{document_type}:{number}".encode(), "sha256").hex()


# The public form of a resident ID number shows the 6-digit area code and nothing else. With the
# name and the certificate number beside it, the common mask 310113********2015 left only the birth
# date to guess (about 2,000 candidates, each confirmed by one verification). Hiding the birth date
# and the sequence code (the check character follows from them) leaves, for births 1926–2010,
# 31,046 dates x 1,000 sequences ≈ 3.1 x 10^7 candidates (≥ 1.5 x 10^7 with the sex known):
# docs/domain.md asks for at least 10^6. tests/test_identity.py counts them.
PUBLIC_AREA_DIGITS = 6


def _is_resident_id_shape(number: str) -> bool:
    return len(number) == 18 and number[:17].isdigit()


def mask_document_number(number: str) -> str:
    """The PUBLIC form, shown to everyone but the holder and the regulator (pages, API answers,
    PDFs, results publicity, error messages): 310113************ for a resident ID number; other
    documents show their first character only (all hidden when short)."""
    number = number or ""
    if _is_resident_id_shape(number):
        return number[:PUBLIC_AREA_DIGITS] + "*" * (len(number) - PUBLIC_AREA_DIGITS)
    if len(number) >= 8:
        return number[:1] + "*" * (len(number) - 1)
    return "*" * len(number)


def partial_document_number(number: str) -> str:
    """The holder's and the regulator's form, which shows more: 310113********2015 (area and the
    last four). Never on a page or in an answer that someone else can see."""
    number = number or ""
    if len(number) <= 8:
        return number[:1] + "*" * max(len(number) - 2, 0) + number[-1:]
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def compose_resident_id(area: str, birth: datetime.date, sequence: int) -> str:
    """A well-formed number for demo data and tests: area + birth date + sequence + check."""
    body = f"{area}{birth:%Y%m%d}{sequence:03d}"
    return body + ric.calc_check_digit(body + "0")


def compose_credit_code(body: str) -> str:
    """A well-formed 统一社会信用代码 from its 17-character body (demo data and tests)."""
    return body + uscc.calc_check_digit(body)
