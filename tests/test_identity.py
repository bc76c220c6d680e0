import datetime
import hmac

import pytest
from django.core.exceptions import ValidationError

from registry import identity
from tests.privacy import candidates_for_public_form

VALID = ["11010519491231002X", "440524188001010014", "34052419800101001X", "513101198201130014"]


@pytest.mark.parametrize("number", VALID)
def test_known_valid_resident_ids_are_accepted(number):
    assert identity.parse_resident_id(number).number == number


def test_pudong_number_issued_before_the_district_existed_is_accepted():
    # FACTS.md: stdnum rejects 310115 for births before 1992; the registry must not.
    number = identity.compose_resident_id("310115", datetime.date(1985, 6, 1), 123)
    parsed = identity.parse_resident_id(number)
    assert parsed.birth_date == datetime.date(1985, 6, 1)
    assert parsed.sex == "M"  # 123 is odd


def test_sex_is_the_parity_of_the_sequence_code():
    assert identity.parse_resident_id(identity.compose_resident_id("310101", datetime.date(1990, 1, 1), 124)).sex == "F"


@pytest.mark.parametrize(
    "raw",
    ["１１０１０５１９４９１２３１００２ｘ", " 110105 1949 1231 002x ", "110105-19491231-002X"],
)
def test_spreadsheet_forms_are_normalised(raw):
    assert identity.parse_resident_id(raw).number == "11010519491231002X"


def test_legacy_fifteen_digit_number_is_converted():
    eighteen = identity.compose_resident_id("310101", datetime.date(1965, 4, 3), 17)
    fifteen = eighteen[:6] + eighteen[8:17]
    assert identity.parse_resident_id(fifteen).number == eighteen


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("", "id_empty"),
        ("11010519491231002", "id_length"),
        ("110105194912310021", "id_checksum"),
        ("11010519491331002X", "id_birth_date"),  # month 13
        ("99010519491231002X", "id_area"),
        ("1101051949123100AX", "id_format"),
        ("3.10101199001011E+17", "id_excel_number"),
        ("310101199001011234.0", "id_excel_number"),
        ("11010528491231002X", "id_birth_date"),  # born in 2849
    ],
)
def test_invalid_resident_ids_are_refused_with_a_specific_code(raw, code):
    with pytest.raises(ValidationError) as caught:
        identity.parse_resident_id(raw)
    assert caught.value.code == code


def test_error_messages_never_echo_the_number():
    number = "110105194912310021"
    with pytest.raises(ValidationError) as caught:
        identity.parse_resident_id(number)
    assert number not in " ".join(caught.value.messages)


def test_other_document_types_are_checked_for_shape():
    assert identity.validate_document_number("passport", " e1234567 ") == "E1234567"
    with pytest.raises(ValidationError):
        identity.validate_document_number("passport", "12")
    with pytest.raises(ValidationError):
        identity.validate_document_number("nonsense", "E1234567")


def test_credit_code_check_character():
    code = identity.compose_credit_code("91310115MA1G00001")
    assert identity.validate_credit_code(code.lower()) == code
    wrong = code[:-1] + ("0" if code[-1] != "0" else "1")
    with pytest.raises(ValidationError) as caught:
        identity.validate_credit_code(wrong)
    assert caught.value.code == "uscc_checksum"
    with pytest.raises(ValidationError) as caught:
        identity.validate_credit_code("9131011")
    assert caught.value.code == "uscc_length"
    with pytest.raises(ValidationError) as caught:
        identity.validate_credit_code("9131A115MA1G00001X")
    assert caught.value.code == "uscc_format"


@pytest.mark.parametrize("code", ["6-31-01-03", "4-04-05-05", "1-01-00-01"])
def test_occupation_code_format_accepts_real_codes(code):
    identity.validate_occupation_code(code)


@pytest.mark.parametrize("code", ["6310103", "6-31-1-03", "9-31-01-03", "0-31-01-03", "6-31-01-03 ", "X-31-01-03"])
def test_occupation_code_format_refuses(code):
    with pytest.raises(ValidationError):
        identity.validate_occupation_code(code)


# The old mask 110105********002X (the rule the previous test encoded) left ~2,800 candidates
# beside a name and certificate number: the public form now shows the area code only.
def test_public_form_shows_the_area_code_only():
    assert identity.mask_document_number("11010519491231002X") == "110105************"
    assert identity.mask_document_number("E12345678") == "E********"
    assert identity.mask_document_number("E123456") == "*******"


def test_public_form_leaves_at_least_a_million_candidates():
    number = identity.compose_resident_id("310113", datetime.date(1990, 6, 15), 201)
    public = identity.mask_document_number(number)
    assert number[6:] not in public
    assert candidates_for_public_form(public) >= 10**6


def test_the_old_mask_left_only_thousands_of_candidates():
    """The counter itself: the form the holder sees would be rebuilt in ~2,800 tries."""
    number = identity.compose_resident_id("310113", datetime.date(1990, 6, 15), 201)
    count = candidates_for_public_form(identity.partial_document_number(number))
    assert 1_000 < count < 10_000


def test_holder_form_shows_more_than_the_public_form():
    assert identity.partial_document_number("11010519491231002X") == "110105********002X"
    assert identity.partial_document_number("E1234567") == "E******7"


def test_encryption_round_trip_and_keyed_hash():
    token = identity.encrypt("11010519491231002X")
    assert "11010519491231002X" not in token
    assert identity.decrypt(token) == "11010519491231002X"
    assert identity.document_hash("resident_id", "X") == identity.document_hash("resident_id", "X")
    assert identity.document_hash("resident_id", "X") != identity.document_hash("passport", "X")


@pytest.mark.parametrize("key", [b"dev-only-id-hash-key", b"k" * 64, b"a longer key than SHA-256's block " * 3, b""])
def test_keyed_hash_is_hmac_sha256(key, settings):
    settings.ID_HASH_KEY = key.decode()
    message = b"resident_id:11010519491231002X"
    assert identity.document_hash("resident_id", "11010519491231002X") == hmac.new(key, message, "sha256").hexdigest()


def test_encrypt_many_tokens_decrypt_with_the_configured_keys():
    numbers = [identity.compose_resident_id("310115", datetime.date(1980, 1, 1), n) for n in range(50)]
    tokens = identity.encrypt_many(numbers)
    assert len(set(tokens)) == 50  # a fresh IV each
    assert [identity.decrypt(t) for t in tokens] == numbers
