"""What other CRMs and other languages write for our values, loaded from the data files in vocabularies/."""

from __future__ import annotations

import json
import re
import unicodedata
from functools import cache
from pathlib import Path

FOLDER = Path(__file__).with_name("vocabularies")
# Languages whose country names files most often carry; Babel (CLDR) has them all.
COUNTRY_LANGUAGES = (
	"en", "de", "fr", "es", "it", "pt", "nl", "pl", "sv", "da", "nb", "fi", "cs", "sk", "hu", "ro",
	"el", "tr", "ru", "uk", "ar", "he", "hi", "ja", "zh", "ko", "id", "vi",
)  # fmt: skip
_WORD = re.compile(r"[^\W_]+")


def normal_key(text: str) -> str:
	"""Case, accents, spaces and punctuation folded away: "Mr." -> "mr", "Open - Not Contacted" -> "opennotcontacted"."""
	decomposed = unicodedata.normalize("NFKD", str(text))
	bare = "".join(c for c in decomposed if not unicodedata.combining(c))
	key = ""
	for word in _WORD.findall(bare.casefold()):
		# Numbers stay apart, or "1-10" would be the same as "110".
		key += "/" + word if key[-1:].isdigit() and word[:1].isdigit() else word
	return key


@cache
def _load(name: str) -> dict:
	with open(FOLDER / f"{name}.json", encoding="utf-8") as f:
		return json.load(f)


@cache
def meanings(vocabulary: str) -> dict[str, tuple[str, ...]]:
	"""A vocabulary of other CRMs' values (lead_status, lead_source): normal key -> our values, best first."""
	return {normal_key(value): tuple(ours) for value, ours in _load(vocabulary)["values"].items()}


@cache
def yes_no_words() -> dict[str, int]:
	"""Yes/no words and marks beyond the ones every Check field reads: key -> 1 or 0."""
	data = _load("yes_no")
	words = {normal_key(w) or w: 1 for w in data["yes"]}
	words.update({normal_key(w) or w: 0 for w in data["no"]})
	return words


@cache
def country_codes() -> dict[str, frozenset[str]]:
	"""Every name, code and abbreviation of a country we know -> the ISO 3166 alpha-2 codes it may mean."""
	index: dict[str, set[str]] = {}

	def add(text: str, code: str) -> None:
		key = normal_key(text)
		if key:
			index.setdefault(key, set()).add(code)

	for code, names in _load("countries")["values"].items():
		add(code, code)
		for text in names:
			add(text, code)
	for _language, territories in _territory_names():
		for code, text in territories.items():
			if len(code) == 2 and code.isalpha():
				add(code, code)
				add(text, code)
	return {key: frozenset(codes) for key, codes in index.items()}


@cache
def country_names_in_english() -> dict[str, str]:
	"""ISO alpha-2 code -> the English name, for sites and dry runs that have no Country records."""
	for language, territories in _territory_names():
		if language == "en":
			return {code: name for code, name in territories.items() if len(code) == 2 and code.isalpha()}
	return {}


def _territory_names() -> list[tuple[str, dict[str, str]]]:
	try:
		from babel import Locale
	except ImportError:  # Babel comes with Frappe; without it only codes and abbreviations are known
		return []
	return [(language, dict(Locale.parse(language).territories)) for language in COUNTRY_LANGUAGES]
