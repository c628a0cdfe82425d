"""Value choices: what to do with a file value that a Select, Link or Check field cannot take as it is.

Every suggestion comes with its reason, and the fallback never fails a row: a Link record is created
where the user may create one, a value is left empty where the field allows, and a required Select
takes its default. Other CRMs' vocabularies are data (vocabularies/*.json), not code.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from typing import Any

from intellicon_leads.importer.fields import Field
from intellicon_leads.importer.values import InvalidValue, Parser, cell_text, make_parser, value_key
from intellicon_leads.importer.vocabulary import country_codes, meanings, normal_key, yes_no_words

MATCH, CREATE, EMPTY, FAIL = "match", "create", "empty", "fail"
ACTIONS = (MATCH, CREATE, EMPTY, FAIL)
# Which rule made a suggestion, so that values one rule sends to one target can be shown as one group.
SPELLING, VOCABULARY, RANGE, TYPO, DEFAULT = "spelling", "vocabulary", "range", "typo", "default"
YES_NO, RECORD, COUNTRY, NEW_RECORD, NO_MATCH = "yes_no", "record", "country", "new_record", "no_match"
CHOICE_TYPES = ("Select", "Link", "Check")
# Records an import must never make up: people, places and money are set up by an administrator.
NEVER_CREATED = frozenset({"User", "Country", "Currency", "Company", "Role", "DocType", "Module Def"})
# Below this, two spellings differ by more than a typo ("Mr" / "Mrs" are 0.8 alike).
FUZZY_MIN_SCORE = 0.86
FUZZY_MIN_LENGTH = 4
# The runner-up must trail by this much, or the guess is a coin toss and not offered.
FUZZY_MARGIN = 0.05
VOCABULARY_FOR_FIELD = {
	"status": "lead_status",
	"source": "lead_source",
	"lead_source": "lead_source",
	"utm_source": "lead_source",
}
VOCABULARY_FOR_DOCTYPE = {
	"Lead Source": "lead_source",
	"UTM Source": "lead_source",
	"CRM Lead Source": "lead_source",
	"Salutation": "salutation",
}
_RANGE = re.compile(r"\s*([0-9][0-9,. ']*)\s*(?:-|–|to)\s*([0-9][0-9,. ']*)\s*", re.IGNORECASE).fullmatch
_OPEN_RANGE = re.compile(
	r"\s*(?:over|more than|above|>)?\s*([0-9][0-9,. ']*)\s*(\+|or more|and more)?\s*"
).fullmatch


@dataclass(frozen=True)
class ValueChoice:
	"""What to write for one file value: another value, a record to create, nothing, or fail the row."""

	action: str
	value: str = ""
	reason: str = ""
	# Not part of the choice (nor of its JSON): only how it was found.
	rule: str = field(default="", compare=False)

	def __post_init__(self) -> None:
		if self.action not in ACTIONS:
			raise ValueError(f"Unknown value choice {self.action!r}; use one of {', '.join(ACTIONS)}")

	def to_dict(self) -> dict:
		return {"action": self.action, "value": self.value, "reason": self.reason}

	@classmethod
	def from_dict(cls, data: Mapping[str, Any]) -> ValueChoice:
		return cls(
			str(data.get("action") or FAIL), str(data.get("value") or ""), str(data.get("reason") or "")
		)


@dataclass(frozen=True)
class LinkRecord:
	"""One record a Link can point to, and the other texts that name it (title, email, ISO code...)."""

	name: str
	title: str = ""
	labels: tuple[str, ...] = ()


@dataclass
class LinkTargets:
	"""The records of one DocType that Link values may name, and whether an import may create more."""

	doctype: str
	records: list[LinkRecord]
	can_create: bool = False
	_by_name: dict[str, str] = field(init=False, repr=False)
	_by_key: dict[str, set[str]] = field(init=False, repr=False)
	_titles: dict[str, str] = field(init=False, repr=False)

	def __post_init__(self) -> None:
		self._by_name = {r.name.casefold(): r.name for r in self.records}
		self._by_key = {}
		self._titles = {r.name: r.title or r.name for r in self.records}
		for record in self.records:
			for text in (record.name, record.title, *record.labels):
				key = normal_key(text) if text else ""
				if key:
					self._by_key.setdefault(key, set()).add(record.name)

	def exact(self, value: str) -> str | None:
		"""The record named `value`, case aside, as the pipeline resolves links."""
		return self._by_name.get(value.strip().casefold())

	def named(self, key: str) -> str | None:
		"""The one record a normal key names (by name, title or label); None if none or several."""
		names = self._by_key.get(key)
		return next(iter(names)) if names and len(names) == 1 else None

	def title(self, name: str) -> str:
		return self._titles.get(name, name)

	def keys(self) -> Iterable[tuple[str, set[str]]]:
		return self._by_key.items()


@dataclass(frozen=True)
class ValueCheck:
	"""Tells whether a value fits a field as it is, and what to do with it when it does not."""

	field: Field
	targets: LinkTargets | None = None
	parse: Parser | None = None

	@classmethod
	def for_field(cls, field_: Field, targets: LinkTargets | None = None) -> ValueCheck:
		parse = make_parser(field_) if field_.fieldtype in ("Select", "Check") else None
		return cls(field_, targets, parse)

	def is_valid(self, raw: Any) -> bool:
		if self.field.fieldtype == "Link":
			return self.targets is None or self.targets.exact(cell_text(raw)) is not None
		try:
			self.parse(raw)
		except InvalidValue:
			return False
		return True

	def suggest(self, raw: Any) -> ValueChoice:
		"""The best choice for a value that is not valid, with the reason it was chosen."""
		text = " ".join(cell_text(raw).split())
		if self.field.fieldtype == "Select":
			return _suggest_option(text, self.field)
		if self.field.fieldtype == "Check":
			return _suggest_yes_no(text)
		return _suggest_record(text, self.field, self.targets)


# --- Select -----------------------------------------------------------------------------------


def _suggest_option(text: str, field_: Field) -> ValueChoice:
	options = [o for o in field_.options if o.strip()]
	by_key = {normal_key(o): o for o in options}
	option = by_key.get(normal_key(text))
	if option is not None:
		return ValueChoice(MATCH, option, f"Same as the option '{option}', written differently.", SPELLING)
	for option in _vocabulary_meanings(text, field_):
		if option in options:
			return ValueChoice(MATCH, option, f"'{text}' in other CRMs means '{option}' here.", VOCABULARY)
	option = _range_for(text, options)
	if option is not None:
		return ValueChoice(MATCH, option, f"{text} falls in the range {option}.", RANGE)
	guess = _closest(normal_key(text), ((normal_key(o), {o}) for o in options))
	if guess is not None:
		return ValueChoice(MATCH, guess[0], f"Looks like '{guess[0]}' ({guess[1]:.0%} alike).", TYPO)
	if field_.required:
		default = field_.default if field_.default in options else options[0]
		return ValueChoice(
			MATCH, default, f"No option is like it; {field_.label} is required, so its default.", DEFAULT
		)
	return ValueChoice(EMPTY, "", f"No {field_.label} option is like it; left empty.", NO_MATCH)


def _vocabulary_meanings(text: str, field_: Field) -> tuple[str, ...]:
	vocabulary = VOCABULARY_FOR_FIELD.get(field_.fieldname) or VOCABULARY_FOR_DOCTYPE.get(field_.link_doctype)
	return meanings(vocabulary).get(normal_key(text), ()) if vocabulary else ()


def _number(text: str) -> float | None:
	digits = re.sub(r"[,. ']", "", text)
	return float(digits) if digits.isdigit() else None


def _bounds(text: str) -> tuple[float, float] | None:
	"""The numbers a range option or value covers: "11-50" -> (11, 50), "1000+" -> (1000, inf)."""
	match = _RANGE(text)
	if match is not None:
		low, high = _number(match[1]), _number(match[2])
		return (low, high) if low is not None and high is not None and low <= high else None
	match = _OPEN_RANGE(text)
	if match is not None:
		number = _number(match[1])
		if number is None:
			return None
		return (
			(number, float("inf"))
			if match[2] or text.strip()[:1].isalpha() or ">" in text
			else (number, number)
		)
	return None


def _range_for(text: str, options: list[str]) -> str | None:
	"""The range option a head count falls in: "10" -> "1-10", "1,200" -> "1000+", "25-50" -> "11-50"."""
	ranges = [(o, b) for o in options if (b := _bounds(o)) is not None and b[0] != b[1]]
	value = _bounds(text)
	if len(ranges) < 2 or value is None:
		return None
	low, high = value
	point = low if high == float("inf") else (low + high) / 2
	# Ranges written "1-10", "11-50" leave gaps between whole numbers; a point in a gap goes up.
	for option, (start, end) in sorted(ranges, key=lambda r: r[1]):
		if point <= end:
			return option if point >= start - 1 else None
	return None


# --- Check ------------------------------------------------------------------------------------


def _suggest_yes_no(text: str) -> ValueChoice:
	value = yes_no_words().get(normal_key(text) or text)
	if value is not None:
		word = "Yes" if value else "No"
		return ValueChoice(MATCH, word, f"'{text}' means {word.lower()}.", YES_NO)
	return ValueChoice(EMPTY, "", "Not a yes/no value; left unchecked.", NO_MATCH)


# --- Link -------------------------------------------------------------------------------------


def _suggest_record(text: str, field_: Field, targets: LinkTargets | None) -> ValueChoice:
	doctype = field_.link_doctype
	if targets is not None:
		found = _find_record(text, field_, targets)
		if found is not None:
			return found
	if targets is not None and targets.can_create and doctype not in NEVER_CREATED:
		return ValueChoice(
			CREATE, text, f"No {doctype} is like it; a new {doctype} '{text}' is created.", NEW_RECORD
		)
	if not field_.required:
		why = "an import does not create them" if doctype in NEVER_CREATED else "you may not create one"
		return ValueChoice(EMPTY, "", f"No {doctype} is like it and {why}; left empty.", NO_MATCH)
	return ValueChoice(FAIL, "", f"No {doctype} is like it, and {field_.label} is required.", NO_MATCH)


def _find_record(text: str, field_: Field, targets: LinkTargets) -> ValueChoice | None:
	key = normal_key(text)
	name = targets.named(key) if key else None
	if name is not None:
		why = f"'{text}' names the {targets.doctype} '{targets.title(name)}'."
		return ValueChoice(MATCH, name, why, RECORD)
	if targets.doctype == "Country":
		name = _country(key, targets)
		if name is not None:
			return ValueChoice(MATCH, name, f"'{text}' is {name}.", COUNTRY)
	for meaning in _vocabulary_meanings(text, field_):
		name = targets.exact(meaning)
		if name is not None:
			return ValueChoice(MATCH, name, f"'{text}' in other CRMs means '{name}' here.", VOCABULARY)
	if targets.doctype in ("User", "Country"):
		return None  # a person or a country is never guessed from a similar spelling
	guess = _closest(key, targets.keys())
	if guess is not None:
		return ValueChoice(
			MATCH, guess[0], f"Looks like the {targets.doctype} '{guess[0]}' ({guess[1]:.0%} alike).", TYPO
		)
	return None


def _country(key: str, targets: LinkTargets) -> str | None:
	names = {name for code in country_codes().get(key, ()) if (name := targets.named(normal_key(code)))}
	return next(iter(names)) if len(names) == 1 else None


def _closest(key: str, candidates: Iterable[tuple[str, set[str]]]) -> tuple[str, float] | None:
	"""The one value whose key is a typo away from `key`, and how alike they are; None if unsure."""
	if len(key) < FUZZY_MIN_LENGTH:
		return None
	matcher = SequenceMatcher(None, "", key, autojunk=False)
	scores: dict[str, float] = {}
	for other, names in candidates:
		if len(names) != 1 or len(other) < FUZZY_MIN_LENGTH:
			continue
		matcher.set_seq1(other)
		if matcher.real_quick_ratio() < FUZZY_MIN_SCORE or matcher.quick_ratio() < FUZZY_MIN_SCORE:
			continue
		(name,) = names
		scores[name] = max(scores.get(name, 0.0), matcher.ratio())
	ranked = sorted(scores.items(), key=lambda s: s[1], reverse=True)
	if not ranked or ranked[0][1] < FUZZY_MIN_SCORE:
		return None
	if len(ranked) > 1 and ranked[0][1] - ranked[1][1] < FUZZY_MARGIN:
		return None
	return ranked[0]


# --- Choices as the pipeline applies them -------------------------------------------------------


def as_value_maps(
	choices: Mapping[str, Mapping[str, ValueChoice]],
) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
	"""Choices per field as value maps (value -> what to write; "" = leave empty) and records to create.

	A value whose choice is to fail is left out of the maps, so it fails as it would have.
	"""
	value_maps: dict[str, dict[str, str]] = {}
	new_links: dict[str, list[str]] = {}
	for fieldname, by_value in choices.items():
		for value, choice in by_value.items():
			if choice.action == FAIL:
				continue
			value_maps.setdefault(fieldname, {})[value_key(value)] = (
				choice.value if choice.action != EMPTY else ""
			)
			if choice.action == CREATE and choice.value:
				new_links.setdefault(fieldname, []).append(choice.value)
	return value_maps, {f: list(dict.fromkeys(names)) for f, names in new_links.items()}
