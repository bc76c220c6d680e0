"""The English catalogue is complete, faithful to its placeholders, and compiled.

The interface is written in Chinese; English comes from locale/en/LC_MESSAGES/django.po, filled
by `make messages` (makemessages, scripts/translate_en.py, compilemessages). A string left out of
the table shows in Chinese on an English page, and a fuzzy entry is a guess msgmerge made from
some other msgid (补发 once came out as "Row"): both fail here, as does a .mo that was not
recompiled after the .po changed (the pages read the .mo).
"""

import gettext
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse

PO = Path(settings.BASE_DIR) / "locale" / "en" / "LC_MESSAGES" / "django.po"
MO = PO.with_suffix(".mo")

ESCAPES = {"n": "\n", "t": "\t", '"': '"', "\\": "\\", "r": "\r"}


def unquote(line):
    body = line[line.index('"') + 1 : line.rindex('"')]
    return re.sub(r"\\(.)", lambda m: ESCAPES.get(m.group(1), "\\" + m.group(1)), body)


def entries():
    """Every live entry of the .po: {"flags", "msgid", "msgid_plural", "msgstr", "msgstr[0]", ...}.
    Obsolete entries (#~) are not used by gettext and are skipped."""
    found = []
    for block in PO.read_text(encoding="utf-8").split("\n\n"):
        lines = [line for line in block.strip().split("\n") if line and not line.startswith("#~")]
        entry, key = {"flags": set()}, None
        for line in lines:
            if line.startswith("#,"):
                entry["flags"] |= {flag.strip() for flag in line[2:].split(",")}
            elif line.startswith("#"):
                continue
            elif line.startswith('"'):
                entry[key] += unquote(line)
            else:
                key = line.split(" ", 1)[0]
                entry[key] = unquote(line)
        if "msgid" in entry:
            found.append(entry)
    return found


def translations(entry):
    return [value for key, value in entry.items() if key.startswith("msgstr")]


PLACEHOLDER = re.compile(r"%\(\w+\)[sdif]|%[sdif]|\{\w*\}|</?\w+[^>]*>")


def test_english_catalogue_has_no_untranslated_or_fuzzy_entry():
    live = [entry for entry in entries() if entry["msgid"]]  # msgid "" is the header
    assert len(live) > 500  # the parse found the catalogue
    untranslated = [entry["msgid"] for entry in live if not all(translations(entry))]
    fuzzy = [entry["msgid"] for entry in live if "fuzzy" in entry["flags"]]
    assert untranslated == [], f"add these to EN in scripts/translate_en.py: {untranslated}"
    assert fuzzy == [], f"fuzzy guesses, translate them in scripts/translate_en.py: {fuzzy}"


def test_english_catalogue_header_is_not_fuzzy():
    # compilemessages skips a fuzzy header, and with it the charset and the plural forms
    (header,) = [entry for entry in entries() if entry["msgid"] == ""]
    assert "fuzzy" not in header["flags"]
    assert "charset=UTF-8" in header["msgstr"] and "Plural-Forms:" in header["msgstr"]


def test_english_translations_keep_every_placeholder_and_tag():
    wrong = []
    for entry in entries():
        if not entry["msgid"]:
            continue
        expected = sorted(PLACEHOLDER.findall(entry["msgid"]))
        for english in translations(entry):
            if sorted(PLACEHOLDER.findall(english)) != expected:
                wrong.append((entry["msgid"], english))
    assert wrong == []


def test_compiled_english_catalogue_matches_the_po():
    with MO.open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)._catalog
    missing = []
    for entry in entries():
        if not entry["msgid"]:
            continue
        if "msgid_plural" in entry:
            for n in (0, 1):
                if compiled.get((entry["msgid"], n)) != entry[f"msgstr[{n}]"]:
                    missing.append(entry["msgid"])
        elif compiled.get(entry["msgid"]) != entry["msgstr"]:
            missing.append(entry["msgid"])
    assert missing == [], "run `make messages` (compilemessages) after editing the .po"


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_language_switcher_names_each_language_in_itself(client, language):
    client.post(reverse("set_language"), {"language": language, "next": "/"})
    body = client.get(reverse("verify")).content.decode()
    options = dict(re.findall(r'<option value="([\w-]+)"[^>]*>([^<]*)</option>', body))
    assert options == {"zh-hans": "中文", "en": "English"}
    assert f'<html lang="{language}">' in body
