"""Duplicate rules: which fields identify a lead, how their values are compared, what to do on a match."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from intellicon_leads.importer.fields import Schema

SKIP = "Skip"
UPDATE = "Update"
FILL_EMPTY = "Fill empty fields"
ACTIONS = (SKIP, UPDATE, FILL_EMPTY)

IN_FILE_FAIL = "Fail later rows"
IN_FILE_MERGE = "Merge into first row"
IN_FILE_ACTIONS = (IN_FILE_FAIL, IN_FILE_MERGE)

_NON_DIGITS = re.compile(r"\D+")
_EXTENSION = re.compile(r"\s*(?:ext\.?|x|#)\s*\d+\s*$", re.IGNORECASE)


def normalize_email(value: Any) -> str:
	return str(value).strip().casefold()


def normalize_phone(value: Any) -> str:
	"""Digits only, without extension or international '00' prefix: '+1 (415) 555-0100' == '0014155550100'."""
	digits = _NON_DIGITS.sub("", _EXTENSION.sub("", str(value)))
	return digits[2:] if digits.startswith("00") else digits


def normalize_text(value: Any) -> str:
	return " ".join(str(value).split()).casefold()


NORMALIZERS: dict[str, Callable[[Any], str]] = {"Email": normalize_email, "Phone": normalize_phone}


@dataclass(frozen=True)
class DuplicateRule:
	"""A lead is a duplicate when any one of `match_fields` has the same normalised value."""

	match_fields: tuple[str, ...] = ("email_id",)
	action: str = SKIP
	in_file: str = IN_FILE_FAIL

	def __post_init__(self) -> None:
		if self.action not in ACTIONS:
			raise ValueError(f"Duplicate action must be one of: {', '.join(ACTIONS)}.")
		if self.in_file not in IN_FILE_ACTIONS:
			raise ValueError(f"Duplicates inside the file must be one of: {', '.join(IN_FILE_ACTIONS)}.")

	def normalizers(self, schema: Schema) -> list[tuple[str, Callable[[Any], str]]]:
		"""(fieldname, normaliser) for each match field the schema has, under the schema's own name."""
		pairs = []
		for fieldname in dict.fromkeys(filter(None, map(schema.resolve, self.match_fields))):
			pairs.append((fieldname, NORMALIZERS.get(schema[fieldname].fieldtype, normalize_text)))
		return pairs

	def to_dict(self) -> dict:
		return {"match_fields": list(self.match_fields), "action": self.action, "in_file": self.in_file}

	@classmethod
	def from_dict(cls, data: dict) -> DuplicateRule:
		return cls(
			match_fields=tuple(data.get("match_fields") or ("email_id",)),
			action=data.get("action") or SKIP,
			in_file=data.get("in_file") or IN_FILE_FAIL,
		)


def is_empty(value: Any) -> bool:
	return value is None or (isinstance(value, str) and not value.strip())


def changes_for(action: str, existing: dict[str, Any], incoming: dict[str, Any]) -> dict[str, Any]:
	"""The fields an Update or Fill empty fields writes: only those whose value would change."""
	if action == UPDATE:
		return {f: v for f, v in incoming.items() if not _same(existing.get(f), v)}
	if action == FILL_EMPTY:
		return {f: v for f, v in incoming.items() if is_empty(existing.get(f)) and not is_empty(v)}
	return {}


def _same(old: Any, new: Any) -> bool:
	if old == new:
		return True
	if is_empty(old) and is_empty(new):
		return True
	# The database hands back Decimal/date/str where the file gave float/date/str.
	return old is not None and new is not None and str(old) == str(new)
