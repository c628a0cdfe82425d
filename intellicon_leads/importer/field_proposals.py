"""A custom field proposed for a column no lead field takes, judged from every value in the column.

Each column's profile narrows what its values could be, value by value, with the same parsers the
import uses, so a proposed type is one the whole column will import into. Nothing but a few counts
and at most 30 distinct values is kept per column, and `FieldProposer.watch` passes rows on
unchanged, so the proposals ride along the Match Values scan and a 50 MB file is still read once.

Which type wins when several fit: Check, then numbers (Currency, Int, Float), then Date/Datetime,
then Small Text, Select and Data. Digit runs are numbers, never Excel date serials; numbers with a
leading zero, or too large for Int and without decimals, are codes and stay text.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import time
from decimal import Decimal
from typing import Any

from intellicon_leads.importer.fields import Field
from intellicon_leads.importer.reading import Row
from intellicon_leads.importer.values import (
	InvalidValue,
	cell_text,
	infer_date_order,
	make_parser,
	shows_currency,
	value_key,
)

MAX_SELECT_OPTIONS = 30
# Frappe's Data field holds 140 characters; longer text needs Small Text.
DATA_LENGTH = 140
MAX_FIELDNAME_LENGTH = 64

_CHECK = make_parser(Field("proposal", "Proposal", "Check"))
_INT = make_parser(Field("proposal", "Proposal", "Int"))
_FLOAT = make_parser(Field("proposal", "Proposal", "Float"))
_DATETIME = make_parser(Field("proposal", "Proposal", "Datetime"))
_LEADING_ZERO = re.compile(r"[-+]?0[0-9]").match
_DIGITS = re.compile(r"[0-9]+(?:\.[0-9]+)?").fullmatch
# One or two digits after a point or comma: a decimal fraction, even when it is zero ("12.00").
_DECIMALS = re.compile(r"[.,][0-9]{1,2}(?![0-9])").search
_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_NAME = re.compile(r"[^a-z0-9]+")
_ORDER_WORDS = {"dmy": "day/month/year", "mdy": "month/day/year"}


@dataclass(frozen=True)
class FieldProposal:
	"""A custom field to create for a column, with why its type was chosen; the user may edit any part."""

	label: str
	fieldname: str
	fieldtype: str
	options: tuple[str, ...] = ()
	reason: str = ""

	def to_dict(self) -> dict:
		return {
			"label": self.label,
			"fieldname": self.fieldname,
			"fieldtype": self.fieldtype,
			"options": list(self.options),
			"reason": self.reason,
		}


def tidy_label(header: Any, position: int | None = None) -> str:
	"""The header on one line without extra spaces; "Column 3" for a column with no header."""
	label = " ".join(str(header or "").split())[:DATA_LENGTH]
	return label or (f"Column {position}" if position else "New Field")


def fieldname_for(label: str) -> str:
	"""A Frappe-style field name for a label: lower snake case ASCII, at most 64 characters."""
	# casefold before dropping accents, so "Größe" keeps its letters as "grosse".
	text = unicodedata.normalize("NFKD", _CAMEL_HUMP.sub("_", label).casefold())
	name = _NOT_NAME.sub("_", text.encode("ascii", "ignore").decode()).strip("_") or "field"
	if name[0].isdigit():
		name = f"field_{name}"
	return name[:MAX_FIELDNAME_LENGTH].rstrip("_")


def propose_field(header: Any, values: Iterable[Any], *, position: int | None = None) -> FieldProposal:
	"""The custom field for one column's values (raw cells, empty ones ignored)."""
	profile = ColumnProfile()
	for value in values:
		profile.add(value)
	label = tidy_label(header, position)
	return profile.proposal(label, fieldname_for(label))


def propose_fields(
	rows: Iterable[Row], headers: Sequence[Any], indexes: Iterable[int], *, taken: Iterable[str] = ()
) -> list[FieldProposal]:
	"""Read every row once and propose a field for each column in `indexes`."""
	proposer = FieldProposer(headers, indexes, taken=taken)
	for _row in proposer.watch(rows):
		pass
	return proposer.proposals()


class FieldProposer:
	"""Profiles some columns of rows that something else is reading, then proposes their fields.

	`taken` are field names already in use (the Lead's own); proposals never repeat them or each other.
	"""

	def __init__(self, headers: Sequence[Any], indexes: Iterable[int], *, taken: Iterable[str] = ()) -> None:
		self.headers = list(headers)
		self.profiles = {index: ColumnProfile() for index in indexes}
		self.taken = set(taken)

	def watch(self, rows: Iterable[Row]) -> Iterator[Row]:
		"""`rows`, unchanged, each profiled on its way through."""
		columns = list(self.profiles.items())
		for row in rows:
			values = row.values
			for index, profile in columns:
				if index < len(values):
					profile.add(values[index])
			yield row

	def proposals(self) -> list[FieldProposal]:
		proposals = []
		taken = set(self.taken)
		for index, profile in self.profiles.items():
			header = self.headers[index] if index < len(self.headers) else ""
			label = tidy_label(header, index + 1)
			fieldname = _unused(fieldname_for(label), taken)
			taken.add(fieldname)
			proposals.append(profile.proposal(label, fieldname))
		return proposals


def _unused(fieldname: str, taken: set[str]) -> str:
	if fieldname not in taken:
		return fieldname
	number = 2
	while f"{fieldname[: MAX_FIELDNAME_LENGTH - 4]}_{number}" in taken:
		number += 1
	return f"{fieldname[: MAX_FIELDNAME_LENGTH - 4]}_{number}"


class ColumnProfile:
	"""What every value of one column could be, narrowed one value at a time."""

	def __init__(self) -> None:
		self.values = 0
		self.check = self.number = self.date = True
		self.check_word = False  # a yes/no word or a boolean cell, not only 0 and 1
		self.check_values: set[int] = set()
		self.fraction = False  # some number has decimals, even ".00"
		self.too_big = False  # some whole number is past what an Int holds
		self.currency = False
		self.with_time = False
		self.date_orders: set[str] = set()
		self.long = self.multiline = False
		# Distinct values by value key, as first written; None once there are too many for a Select.
		self.distinct: dict[str, str] | None = {}

	def add(self, raw: Any) -> None:
		text = "" if raw is None else cell_text(raw).strip()
		if not text:
			return
		self.values += 1
		if len(text) > DATA_LENGTH:
			self.long = True
		if "\n" in text or "\r" in text:
			self.multiline = True
		self._count(text)
		if self.check:
			self._add_check(raw, text)
		if self.number:
			self._add_number(raw, text)
		if self.date:
			self._add_date(raw, text)

	def _count(self, text: str) -> None:
		if self.distinct is None:
			return
		key = value_key(text)
		if key in self.distinct:
			return
		if len(self.distinct) == MAX_SELECT_OPTIONS:
			self.distinct = None
		else:
			self.distinct[key] = " ".join(text.split())

	def _add_check(self, raw: Any, text: str) -> None:
		try:
			value = _CHECK(raw)
		except InvalidValue:
			self.check = False
			return
		self.check_values.add(value)
		if text not in ("0", "1"):
			self.check_word = True

	def _add_number(self, raw: Any, text: str) -> None:
		# Leading zeros are codes (zip codes, IDs) that a number would lose.
		if raw.__class__ is str and _LEADING_ZERO(text):
			self.number = False
			return
		try:
			number = _FLOAT(raw)
		except InvalidValue:
			self.number = False
			return
		if raw.__class__ is str and not self.currency and shows_currency(text):
			self.currency = True
		if not float(number).is_integer() or _DECIMALS(text):
			self.fraction = True
		elif not self.too_big:
			try:
				_INT(raw)
			except InvalidValue:
				self.too_big = True

	def _add_date(self, raw: Any, text: str) -> None:
		# Numbers are never read as Excel date serials here: a column of 45000s is a column of numbers.
		if isinstance(raw, (int, float, Decimal)) or _DIGITS(text):
			self.date = False
			return
		try:
			moment = _DATETIME(raw)
		except InvalidValue:
			self.date = False
			return
		if moment.time() != time():
			self.with_time = True
		order = infer_date_order([raw])
		if order:
			self.date_orders.add(order)

	def proposal(self, label: str, fieldname: str) -> FieldProposal:
		fieldtype, reason, options = self._judged()
		return FieldProposal(label, fieldname, fieldtype, options, reason)

	def _judged(self) -> tuple[str, str, tuple[str, ...]]:
		if not self.values:
			return "Data", "the column has no values", ()
		every = "the one value is" if self.values == 1 else f"all {self.values:,} values are"
		if self.check and (self.check_word or self.check_values == {0, 1}):
			return "Check", f"{every} yes/no values", ()
		if self.number:
			return self._number_type(every)
		if self.date:
			if self.with_time:
				return "Datetime", f"{every} dates with a time of day", ()
			order = _ORDER_WORDS.get(next(iter(self.date_orders))) if len(self.date_orders) == 1 else None
			return "Date", f"{every} dates" + (f", written {order}" if order else ""), ()
		if self.long:
			return "Small Text", f"some values are longer than {DATA_LENGTH} characters", ()
		if self.multiline:
			return "Small Text", "some values run over several lines", ()
		return self._text_type()

	def _number_type(self, every: str) -> tuple[str, str, tuple[str, ...]]:
		if self.currency:
			return "Currency", f"{every} amounts, some with a currency sign", ()
		if self.fraction:
			return "Float", f"{every} numbers, some with decimals", ()
		if self.too_big:
			return "Data", "the numbers are too long for a number field (IDs or phone numbers?), so text", ()
		return "Int", f"{every} whole numbers", ()

	def _text_type(self) -> tuple[str, str, tuple[str, ...]]:
		if self.distinct is None:
			return "Data", f"text with more than {MAX_SELECT_OPTIONS} different values", ()
		choices = len(self.distinct)
		# A list of choices repeats: on average each value is used at least twice.
		if self.values >= 2 * choices:
			options = tuple(self.distinct.values())
			return "Select", f"{self.values:,} values repeat {_count(choices, 'choice')}", options
		return "Data", f"text: {_count(choices, 'different value')} in {self.values:,}, too few repeats", ()


def _count(number: int, noun: str) -> str:
	return f"{number:,} {noun}{'' if number == 1 else 's'}"
