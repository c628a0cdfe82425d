"""Parse and validate one cell value by field type.

`make_parser(field)` returns a closure specialised for that field: it takes one raw cell value
(str, int, float, bool, date, datetime, time or None) and returns the cleaned value, None for an
empty cell, or raises `InvalidValue` with a sentence the user can act on. Parsers are hot, so the
common case (a plain string of the right shape, or the type a spreadsheet cell already has) takes a
short path that raises and catches nothing; only bad values pay for the slower, precise readers.

Decisions worth knowing:
- Required fields and Link existence are not checked here; the pipeline and the store do that.
- A lone "," before exactly three digits groups thousands ("1,234" -> 1234). A lone "." is a
  decimal point ("3.141" -> 3.141), except in Int fields, where "1.234" -> 1234.
- Ambiguous numeric dates (both parts 12 or less) with no `date_order` are read day/month/year.
- Two-digit years: 00-69 are 2000-2069, 70-99 are 1970-1999.
- Datetime offsets ("Z", "+05:30") are dropped, not converted: the wall-clock time is kept.
- Excel serial dates count days from 1899-12-30; a fraction is the time of day.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable, Iterable
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any

from intellicon_leads.importer.fields import Field

ERROR_KINDS: dict[str, str] = {
	"missing_required": "Missing required field",
	"invalid_email": "Invalid email format",
	"invalid_phone": "Invalid phone format",
	"invalid_option": "Value not in dropdown options",
	"invalid_number": "Invalid number",
	"invalid_date": "Invalid date",
	"invalid_check": "Invalid yes/no value",
	"invalid_url": "Invalid URL",
	"too_long": "Value too long",
	"link_not_found": "Linked record not found",
	"duplicate": "Duplicate detected",
	"extra_cells": "Extra cells beyond the header",
	"write_error": "Could not be saved",
	"not_processed": "Not processed",
}

DATE_ORDERS = ("dmy", "mdy")

Parser = Callable[[Any], Any]


class InvalidValue(ValueError):
	"""A cell value its field cannot hold; `message` says why and what would be valid."""

	def __init__(self, message: str, kind: str) -> None:
		super().__init__(message)
		self.message = message
		self.kind = kind


def row_error(row_number: int, header: str, message: str) -> str:
	"""A value error prefixed with where it happened, as written in the failed-records file."""
	return f"Row {row_number}, column '{header}': {message}"


def missing_required_message(field: Field) -> str:
	return f"{field.label} is required but this row has no value for it. Fill it in, or map a column to it."


def missing_one_of_message(fields) -> str:
	labels = [f.label for f in fields]
	listed = ", ".join(labels[:-1]) + f" or {labels[-1]}" if len(labels) > 1 else labels[0]
	return f"This row has no {listed}; a {{doctype}} needs one of them. Fill one in."


def make_parser(field: Field, *, date_order: str | None = None) -> Parser:
	"""A function that cleans one raw cell value for `field`, or raises InvalidValue."""
	if date_order not in (None, *DATE_ORDERS):
		raise ValueError(f"date_order must be 'dmy', 'mdy' or None, not {date_order!r}")
	if field.fieldtype in ("Date", "Datetime"):
		return _make_date_parser(field, date_order)
	return _PARSER_FACTORIES[field.fieldtype](field)


def infer_date_order(samples: Iterable[Any]) -> str | None:
	"""Which order numeric d/m/y strings in `samples` show, "dmy" or "mdy"; None if none or both do."""
	seen = set()
	for sample in samples:
		if sample.__class__ is not str:
			continue
		match = _NUMERIC_DATE(sample.strip())
		# ISO dates (year first) say nothing about the order of day and month.
		if match is None or len(match[1]) > 2:
			continue
		first, second = int(match[1]), int(match[3])
		if 12 < first <= 31 and 1 <= second <= 12:
			seen.add("dmy")
		elif 12 < second <= 31 and 1 <= first <= 12:
			seen.add("mdy")
	return seen.pop() if len(seen) == 1 else None


# --- Shared helpers -------------------------------------------------------------------------

_SHOWN_LENGTH = 60
# Slow paths use regexes with backtracking; nothing this long is a number, date or address.
_MAX_PARSED_LENGTH = 100


def _shown(value: Any) -> str:
	"""The value as quoted in messages: on one line, at most 60 characters."""
	text = " ".join(cell_text(value).split())
	if len(text) > _SHOWN_LENGTH:
		text = text[: _SHOWN_LENGTH - 1] + "…"
	return f"'{text}'"


def cell_text(raw: Any) -> str:
	"""A cell as the text a person sees in the spreadsheet."""
	if raw.__class__ is str:
		return raw
	if raw is True or raw is False:
		# Spreadsheets display booleans this way, and CSV exports of them read the same.
		return "TRUE" if raw else "FALSE"
	if isinstance(raw, float):
		if raw.is_integer():
			return str(int(raw))
		return "" if raw != raw else repr(raw)
	if isinstance(raw, datetime):
		return raw.date().isoformat() if raw.time() == time() else raw.isoformat(sep=" ")
	if isinstance(raw, (date, time)):
		return raw.isoformat()
	if isinstance(raw, Decimal) and raw == raw.to_integral_value():
		return format(raw.normalize(), "f")
	return str(raw)


def value_key(raw: Any) -> str:
	"""How a cell value is looked up in value maps: its text with case and runs of spaces folded."""
	return " ".join(cell_text(raw).split()).casefold()


def _text_or_none(raw: Any) -> str | None:
	"""Trimmed text of any cell, None when empty."""
	if raw is None:
		return None
	return cell_text(raw).strip() or None


def _length_limit(field: Field) -> int:
	"""The longest text `field` stores; Frappe's length 0 means no limit."""
	return field.length if field.length > 0 and field.fieldtype != "Text" else sys.maxsize


def _too_long(text: str, limit: int) -> InvalidValue:
	return InvalidValue(
		f"{_shown(text)} is too long: it has {len(text)} characters and the limit is {limit}. "
		f"Shorten it to {limit} characters or fewer.",
		"too_long",
	)


# --- Data, Text, Link -----------------------------------------------------------------------


def _make_text_parser(field: Field) -> Parser:
	limit = _length_limit(field)

	def parse(raw: Any) -> str | None:
		if raw.__class__ is str:
			text = raw.strip()
			if not text:
				return None
			if len(text) <= limit:
				return text
			raise _too_long(text, limit)
		text = _text_or_none(raw)
		if text is None or len(text) <= limit:
			return text
		raise _too_long(text, limit)

	return parse


# --- Email ----------------------------------------------------------------------------------

_ATEXT = r"[\w!#$%&'*+/=?^`{|}~-]"
# Letters and digits (any script) joined by hyphens, never starting or ending with one.
_LABEL = r"[^\W_]+(?:-+[^\W_]+)*"
_DOMAIN = rf"(?:{_LABEL}\.)+(?:[^\W\d_]{{2,}}|xn--[a-z0-9-]+)"
_ANY_EMAIL = re.compile(rf"{_ATEXT}+(?:\.{_ATEXT}+)*@{_DOMAIN}", re.IGNORECASE).fullmatch
# What Frappe's validate_email_address accepts: ASCII only, or the Lead would not save in the desk.
_ASCII_ATEXT = r"[a-z0-9!#$%&'*+/=?^_`{|}~-]"
_ASCII_LABEL = r"[a-z0-9]+(?:-+[a-z0-9]+)*"
_EMAIL = re.compile(
	rf"{_ASCII_ATEXT}+(?:\.{_ASCII_ATEXT}+)*@(?:{_ASCII_LABEL}\.)+(?:[a-z]{{2,}}|xn--[a-z0-9-]+)",
	re.IGNORECASE,
).fullmatch
# "Jane Doe <jane@x.com>" and '"Doe, Jane" <jane@x.com>': the address is the bracketed part.
_NAMED_ADDRESS = re.compile(r'(?:"[^"]*"\s*|[^<>"]*)<\s*([^<>]*?)\s*>').fullmatch
_MAILTO = re.compile(r"mailto:\s*([^?]*)(?:\?.*)?", re.IGNORECASE).fullmatch
_ADDRESS_SEPARATORS = re.compile(r"[\s,;/|]+")


def _make_email_parser(field: Field) -> Parser:
	limit = _length_limit(field)

	def parse_untidy(raw: Any) -> str | None:
		text = _text_or_none(raw)
		if text is None:
			return None
		address = _email_address_in(text) if len(text) <= _MAX_PARSED_LENGTH * 3 else text
		if sum("@" in part for part in _ADDRESS_SEPARATORS.split(address)) > 1:
			raise InvalidValue(
				f"{_shown(text)} contains more than one email address; keep one per row.", "invalid_email"
			)
		if not _EMAIL(address):
			if _ANY_EMAIL(address):
				raise _non_ascii_email(text)
			raise InvalidValue(
				f"{_shown(text)} is not a valid email address. Use the form name@example.com.",
				"invalid_email",
			)
		if len(address) <= limit:
			return address
		raise _too_long(address, limit)

	def parse(raw: Any) -> str | None:
		if raw.__class__ is str:
			text = raw.strip()
			if not text:
				return None
			if _EMAIL(text):
				if len(text) <= limit:
					return text
			elif not text.isascii() and _ANY_EMAIL(text):
				raise _non_ascii_email(text)
		return parse_untidy(raw)

	return parse


def _non_ascii_email(text: str) -> InvalidValue:
	return InvalidValue(
		f"{_shown(text)} contains accented or other non-ASCII letters, which an email address "
		"cannot have here. Use the plain address, e.g. zoe@example.com.",
		"invalid_email",
	)


def _email_address_in(text: str) -> str:
	"""The bare address inside "Name <a@b.com>", "mailto:a@b.com" or "a@b.com;"."""
	named = _NAMED_ADDRESS(text)
	if named is not None:
		text = named[1]
	mailto = _MAILTO(text)
	if mailto is not None:
		text = mailto[1].strip()
	# Outlook copies addresses with a trailing separator.
	return text.rstrip(",; ")


# --- Phone ----------------------------------------------------------------------------------

_EXTENSION = r"(?:ext\.?|extension|x|#)\s*[0-9]{1,10}"
# 5 to 20 digits among separators, an optional leading +, then an optional extension.
_PHONE = re.compile(
	rf"[\s(]*\+?(?:[\s()./-]*[0-9]){{5,20}}[\s()./-]*(?:{_EXTENSION})?", re.IGNORECASE
).fullmatch
_PHONE_CHARACTERS = re.compile(rf"[\s(]*\+?[\s()./0-9-]*(?:{_EXTENSION})?", re.IGNORECASE).fullmatch
_PHONE_EXTENSION = re.compile(rf"{_EXTENSION}$", re.IGNORECASE)
_PHONE_LIST_SEPARATORS = re.compile(r"[,;\n|]|\s+(?:or|and)\s+", re.IGNORECASE)
_NOT_DIGITS = re.compile(r"[^0-9]")
# Frappe's validate_phone_number: at most 20 of 0-9, space and + _ - , . * # ( ).
_FRAPPE_PHONE = re.compile(r"[0-9 +_\-,.*#()]{1,20}").fullmatch
_FRAPPE_PHONE_LENGTH = 20
_EXTENSION_WORD = re.compile(r"\s*(?:ext\.?|extension|x)\s*([0-9]{1,10})$", re.IGNORECASE)


def _make_phone_parser(field: Field) -> Parser:
	limit = min(_length_limit(field), _FRAPPE_PHONE_LENGTH)

	def parse(raw: Any) -> str | None:
		text = raw.strip() if raw.__class__ is str else _text_or_none(raw)
		if not text:
			return None
		if _FRAPPE_PHONE(text) and _PHONE(text):
			return text
		if not _PHONE(text):
			raise _phone_error(text)
		stored = _as_stored_phone(text)
		if len(stored) <= limit:
			return stored
		raise InvalidValue(
			f"{_shown(text)} is too long for a phone number: written as {stored!r} it has {len(stored)} "
			f"characters and at most {limit} are kept. Leave out spaces or the extension, e.g. +14155550100.",
			"invalid_phone",
		)

	return parse


def _as_stored_phone(text: str) -> str:
	"""The number in the characters Frappe stores: an extension word becomes '#', '/' a hyphen."""
	text = _EXTENSION_WORD.sub(r" #\1", text).replace("/", "-")
	return " ".join(text.split())


def _digit_count(text: str) -> int:
	return len(_NOT_DIGITS.sub("", text))


def _phone_error(text: str) -> InvalidValue:
	"""Why `text` is not a phone number, said as precisely as possible."""
	numbers = [part for part in _PHONE_LIST_SEPARATORS.split(text) if _digit_count(part) >= 5]
	if len(numbers) > 1:
		return InvalidValue(
			f"{_shown(text)} contains more than one phone number; keep one per row.", "invalid_phone"
		)
	digits = _digit_count(_PHONE_EXTENSION.sub("", text))
	if _PHONE_CHARACTERS(text) and digits < 5:
		return InvalidValue(
			f"{_shown(text)} is too short for a phone number: it has {digits} digits and needs at "
			"least 5, e.g. +1 415 555 0100.",
			"invalid_phone",
		)
	if _PHONE_CHARACTERS(text) and digits > 20:
		return InvalidValue(
			f"{_shown(text)} has {digits} digits, more than the 20 a phone number can have. "
			"Keep one number per row.",
			"invalid_phone",
		)
	return InvalidValue(
		f"{_shown(text)} is not a valid phone number. "
		"Use digits, spaces and + ( ) - . only, e.g. +1 415 555 0100.",
		"invalid_phone",
	)


# --- URL ------------------------------------------------------------------------------------

_URL = re.compile(
	rf"(?:https?://)?(?:{_DOMAIN}|localhost|[0-9]{{1,3}}(?:\.[0-9]{{1,3}}){{3}})\.?"
	r"(?::[0-9]{1,5})?(?:[/?#]\S*)?",
	re.IGNORECASE,
).fullmatch


def _make_url_parser(field: Field) -> Parser:
	limit = _length_limit(field)

	def parse(raw: Any) -> str | None:
		text = raw.strip() if raw.__class__ is str else _text_or_none(raw)
		if not text:
			return None
		if not _URL(text):
			raise _url_error(text)
		if len(text) <= limit:
			return text
		raise _too_long(text, limit)

	return parse


def _url_error(text: str) -> InvalidValue:
	reason = ": it contains spaces" if len(text.split()) > 1 else ""
	return InvalidValue(
		f"{_shown(text)} is not a valid URL{reason}. "
		"Use a web address such as https://example.com or example.com.",
		"invalid_url",
	)


# --- Select ---------------------------------------------------------------------------------

_MAX_OPTIONS_SHOWN = 12


def _option_key(text: str) -> str:
	return " ".join(text.split()).casefold()


def _make_select_parser(field: Field) -> Parser:
	options = [option for option in field.options if option.strip()]
	if not options:
		# A Select without options accepts any text, as Frappe does.
		return _make_text_parser(field)
	exact = {option: option for option in options}
	folded = {_option_key(option): option for option in options}
	shown = ", ".join(options[:_MAX_OPTIONS_SHOWN])
	if len(options) > _MAX_OPTIONS_SHOWN:
		shown += ", …"

	def parse(raw: Any) -> str | None:
		if raw.__class__ is str:
			option = exact.get(raw)
			if option is not None:
				return option
			key = _option_key(raw)
		elif raw is None:
			return None
		else:
			key = _option_key(cell_text(raw))
		if not key:
			return None
		option = folded.get(key)
		if option is not None:
			return option
		raise InvalidValue(
			f"{_shown(raw)} is not a valid {field.label}. Use one of: {shown}.", "invalid_option"
		)

	return parse


# --- Int, Float, Currency, Percent ----------------------------------------------------------

# Frappe stores Int in a signed 32-bit column and Float/Currency/Percent as decimal(21, 9).
_INT_MAX = 2**31 - 1
_DECIMAL_LIMIT = 1e12
_CURRENCY = r"(?:[$€£¥₹₨]|US\$|Rs\.?|USD|EUR|GBP|INR|JPY|CNY|AUD|CAD|CHF|SGD|AED)"
_NUMBER = re.compile(
	rf"(?P<open>\()?\s*(?P<sign>[-+\u2212]?)\s*(?:{_CURRENCY}\s*)?(?P<sign2>[-+\u2212]?)\s*"
	# Thousands groups (1,234 / 1.234 / 1 234 / 1'234), Indian lakh groups (12,34,567) or plain digits.
	r"(?P<integer>[1-9][0-9]{0,2}(?:(?P<mark>[,.'\u2019\s])[0-9]{3})(?:(?P=mark)[0-9]{3})*"
	r"|[1-9][0-9]?(?:,[0-9]{2})+,[0-9]{3}|[0-9]*)"
	r"(?:(?P<point>[.,])(?P<fraction>[0-9]*))?"
	rf"\s*(?:{_CURRENCY})?\s*(?P<percent>%?)\s*(?P<close>\)?)",
	re.IGNORECASE,
).fullmatch
_SCIENTIFIC = re.compile(r"[-+]?(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?[0-9]{1,3}").fullmatch
_PLAIN_DECIMAL = re.compile(r"-?[0-9]{1,12}(?:\.[0-9]+)?").fullmatch
_CURRENCY_MARK = re.compile(_CURRENCY, re.IGNORECASE).search


def shows_currency(text: str) -> bool:
	"""True when a number is written with a currency sign or code: "$12.00", "1.234,50 EUR"."""
	return _CURRENCY_MARK(text) is not None


def _make_number_parser(field: Field) -> Parser:
	whole = field.fieldtype == "Int"
	percent_ok = field.fieldtype == "Percent"
	if whole:
		usage = "Use digits only, e.g. 42."
	elif percent_ok:
		usage = "Use digits with an optional decimal point, e.g. 12.5 or 12.5%."
	else:
		usage = "Use digits with an optional decimal point, e.g. 1234.56."

	def invalid(raw: Any) -> InvalidValue:
		noun = "whole number" if whole else "number"
		return InvalidValue(f"{_shown(raw)} is not a valid {noun}. {usage}", "invalid_number")

	def checked(raw: Any, number: float | Decimal | None) -> int | float:
		"""`number` in the field's type and range, or the reason it cannot be."""
		if number is None or number != number or abs(number) == math.inf:
			raise invalid(raw)
		if whole and number != int(number):
			raise InvalidValue(f"{_shown(raw)} is not a whole number. {usage}", "invalid_number")
		if whole and abs(number) > _INT_MAX:
			raise InvalidValue(
				f"{_shown(raw)} is too large; the largest whole number this field holds is {_INT_MAX:,}.",
				"invalid_number",
			)
		if abs(number) >= _DECIMAL_LIMIT and not whole:
			raise InvalidValue(
				f"{_shown(raw)} is too large; this field holds numbers below 1,000,000,000,000.",
				"invalid_number",
			)
		return int(number) if whole else float(number)

	def parse_other(raw: Any) -> int | float | None:
		if raw is None:
			return None
		if raw is True or raw is False:
			raise invalid(raw)
		if isinstance(raw, (int, float, Decimal)):
			# NaN is how some readers spell an empty numeric cell.
			return None if raw != raw else checked(raw, raw)
		if not isinstance(raw, str):
			raise invalid(raw)
		text = raw.strip()
		if not text:
			return None
		if len(text) > _MAX_PARSED_LENGTH:
			raise invalid(raw)
		return checked(raw, _read_number(text, percent_ok=percent_ok, lone_dot_groups=whole))

	if whole:

		def parse(raw: Any) -> int | float | None:
			# Nine digits always fit the 32-bit column.
			if raw.__class__ is str and raw.isdigit() and raw.isascii() and len(raw) < 10:
				return int(raw)
			if raw.__class__ is int and -_INT_MAX <= raw <= _INT_MAX:
				return raw
			return parse_other(raw)

	else:

		def parse(raw: Any) -> int | float | None:
			if raw.__class__ is str and _PLAIN_DECIMAL(raw):
				return float(raw)
			if raw.__class__ is float and -_DECIMAL_LIMIT < raw < _DECIMAL_LIMIT:
				return raw
			return parse_other(raw)

	return parse


def _read_number(text: str, *, percent_ok: bool, lone_dot_groups: bool) -> float | None:
	"""The number written in `text` in any common local format, or None if it is not one."""
	if "e" in text.lower() and _SCIENTIFIC(text):
		return float(text)
	match = _NUMBER(text)
	if match is None:
		return None
	opened, sign, sign2, integer, mark, point, fraction, percent, closed = match.groups()
	if (
		(percent and not percent_ok)
		or (sign and sign2)
		or (opened and (sign or sign2))
		or (not opened) != (not closed)
	):
		return None
	if integer and not integer.isdigit():
		mark = mark or ","
		if point == mark:
			return None
		# A lone dot before three digits is a decimal point (3.141), except where only whole numbers go.
		if point is None and mark == "." and integer.count(".") == 1 and not lone_dot_groups:
			integer, point, fraction = integer.partition(".")
		integer = integer.replace(mark, "")
	if (not integer and not fraction) or not (integer + (fraction or "")).isascii():
		return None
	number = float(f"{integer or '0'}.{fraction or '0'}")
	return -number if opened or (sign or sign2) in ("-", "\u2212") else number


# --- Date, Datetime -------------------------------------------------------------------------

_EXCEL_EPOCH = datetime(1899, 12, 30)
_EXCEL_MAX_SERIAL = 2958465  # 9999-12-31
# Digit-only strings in this range are serials (1954-2119); other digit runs are not dates.
_SERIAL_TEXT_RANGE = (20000, 80000)
_MIN_YEAR = 1000  # the smallest year a MariaDB DATE column holds
_DAYS_IN_MONTH = (0, 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)
_MONTH_NAMES = (
	"january",
	"february",
	"march",
	"april",
	"may",
	"june",
	"july",
	"august",
	"september",
	"october",
	"november",
	"december",
)
_MONTHS = {
	**{name: number for number, name in enumerate(_MONTH_NAMES, start=1)},
	**{name[:3]: number for number, name in enumerate(_MONTH_NAMES, start=1)},
	"sept": 9,
}
_ORDER_NAMES = {"dmy": "day/month/year", "mdy": "month/day/year"}

_NUMERIC_DATE = re.compile(r"([0-9]{1,4})([-/.])([0-9]{1,2})\2([0-9]{1,4})(?![0-9])").match
_COMPACT_DATE = re.compile(r"([0-9]{4})([0-9]{2})([0-9]{2})(?![0-9])").match
_SERIAL_TEXT = re.compile(r"[0-9]{5}(?:\.[0-9]+)?").fullmatch
_WEEKDAY = re.compile(r"(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?,?\s+", re.IGNORECASE).match
_ORDINAL = r"(?:st|nd|rd|th)?"
_DAY_MONTH_NAME = re.compile(
	rf"([0-9]{{1,2}}){_ORDINAL}[\s./-]*([a-z]{{3,9}})\.?[\s,./-]*([0-9]{{4}}|[0-9]{{2}})(?![0-9])",
	re.IGNORECASE,
).match
_MONTH_NAME_DAY = re.compile(
	rf"([a-z]{{3,9}})\.?[\s./-]*([0-9]{{1,2}}){_ORDINAL}[\s,./-]*([0-9]{{4}}|[0-9]{{2}})(?![0-9])",
	re.IGNORECASE,
).match
_TIME = re.compile(
	r"\s*[T,]?\s*([0-9]{1,2})(?::([0-9]{2})(?::([0-9]{2})(?:[.,]([0-9]{1,9}))?)?)?"
	r"\s*(?:([ap])\.?m\.?)?\s*(?:z|utc|gmt|[-+][0-9]{2}(?::?[0-9]{2})?)?",
	re.IGNORECASE,
).fullmatch

# Why a date text failed: impossible values, or a month over 12 in the column's order.
_IMPOSSIBLE, _AGAINST_ORDER = "impossible", "against_order"


def _valid_ymd(year: int, month: int, day: int) -> bool:
	if not (_MIN_YEAR <= year <= 9999 and 1 <= month <= 12 and 1 <= day <= _DAYS_IN_MONTH[month]):
		return False
	return month != 2 or day < 29 or (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0))


def _full_year(text: str) -> int:
	year = int(text)
	if len(text) == 2:
		return year + (2000 if year < 70 else 1900)
	return year if len(text) == 4 else -1


def _read_date(text: str, order: str | None) -> tuple[date | str, str]:
	"""The date at the start of `text` and the text after it, or why there is none."""
	match = _NUMERIC_DATE(text)
	if match is not None:
		first, _, middle, last = match.groups()
		if len(first) == 4:
			year, month, day = int(first), int(middle), (int(last) if len(last) <= 2 else -1)
		else:
			a, b = int(first), int(middle)
			# Only a value that cannot be day/month says month/day on its own.
			reading = order or ("mdy" if a <= 12 < b else "dmy")
			year, month, day = (_full_year(last), b, a) if reading == "dmy" else (_full_year(last), a, b)
			if order and month > 12:
				return _AGAINST_ORDER, text
		if _valid_ymd(year, month, day):
			return date(year, month, day), text[match.end() :]
		return _IMPOSSIBLE, text
	match = _COMPACT_DATE(text)
	if match is not None:
		year, month, day = int(match[1]), int(match[2]), int(match[3])
		if _valid_ymd(year, month, day):
			return date(year, month, day), text[match.end() :]
		return _IMPOSSIBLE, text
	return _read_named_date(text)


def _read_named_date(text: str) -> tuple[date | str, str]:
	"""Dates with an English month name: "15 Mar 2024", "March 15, 2024", "Fri, 15-Mar-24"."""
	weekday = _WEEKDAY(text)
	if weekday is not None:
		text = text[weekday.end() :]
	match = _DAY_MONTH_NAME(text)
	if match is not None:
		day, month_name, year = match.groups()
	else:
		match = _MONTH_NAME_DAY(text)
		if match is None:
			return _IMPOSSIBLE, text
		month_name, day, year = match.groups()
	month = _MONTHS.get(month_name.lower(), 0)
	year_number = _full_year(year)
	if _valid_ymd(year_number, month, int(day)):
		return date(year_number, month, int(day)), text[match.end() :]
	return _IMPOSSIBLE, text


def _read_time(text: str) -> time | None:
	"""The time of day written after a date ("" is midnight); a UTC offset is dropped."""
	if not text:
		return time()
	match = _TIME(text)
	if match is None:
		return None
	hour_text, minute_text, second_text, fraction, meridiem = match.groups()
	hour, minute, second = int(hour_text), int(minute_text or 0), int(second_text or 0)
	if meridiem is not None:
		if not 1 <= hour <= 12:
			return None
		hour = hour % 12 + (12 if meridiem in "pP" else 0)
	elif minute_text is None:
		return None
	if hour > 23 or minute > 59 or second > 59:
		return None
	return time(hour, minute, second, int((fraction or "0")[:6].ljust(6, "0")))


def _serial_to_datetime(serial: float) -> datetime | None:
	"""An Excel serial number (days since 1899-12-30, fraction = time of day) as a datetime."""
	if not 1 <= serial < _EXCEL_MAX_SERIAL + 1:
		return None
	return _EXCEL_EPOCH + timedelta(seconds=round(serial * 86400))


def _make_date_parser(field: Field, date_order: str | None) -> Parser:
	with_time = field.fieldtype == "Datetime"
	noun = "date and time" if with_time else "date"
	usage = (
		"Use YYYY-MM-DD HH:MM, e.g. 2024-03-15 14:30." if with_time else "Use YYYY-MM-DD, e.g. 2024-03-15."
	)

	def invalid(raw: Any, reason: str = _IMPOSSIBLE) -> InvalidValue:
		if reason == _AGAINST_ORDER:
			return InvalidValue(
				f"{_shown(raw)} is not a valid {noun}: this column was read as "
				f"{_ORDER_NAMES[date_order]} from its other values. {usage}",
				"invalid_date",
			)
		return InvalidValue(f"{_shown(raw)} is not a valid {noun}. {usage}", "invalid_date")

	def from_serial(raw: Any, serial: float) -> date | datetime:
		moment = _serial_to_datetime(serial)
		if moment is None:
			raise invalid(raw)
		return moment if with_time else moment.date()

	def from_text(raw: str) -> date | datetime | None:
		text = raw.strip()
		if not text:
			return None
		if len(text) > _MAX_PARSED_LENGTH:
			raise invalid(raw)
		if _SERIAL_TEXT(text) and _SERIAL_TEXT_RANGE[0] <= float(text) <= _SERIAL_TEXT_RANGE[1]:
			return from_serial(raw, float(text))
		day, rest = _read_date(text, date_order)
		if day.__class__ is str:
			raise invalid(raw, day)
		moment = _read_time(rest)
		if moment is None:
			raise invalid(raw)
		return datetime.combine(day, moment) if with_time else day

	def from_other(raw: Any) -> date | datetime | None:
		if raw is None:
			return None
		if isinstance(raw, datetime):
			moment = raw.replace(tzinfo=None)
			return moment if with_time else moment.date()
		if isinstance(raw, date):
			return datetime.combine(raw, time()) if with_time else raw
		if isinstance(raw, (int, float)) and not isinstance(raw, bool):
			return None if raw != raw else from_serial(raw, raw)
		if isinstance(raw, str):
			return from_text(raw)
		raise invalid(raw)

	if with_time:

		def parse(raw: Any) -> date | datetime | None:
			if raw.__class__ is str:
				return _fast_datetime(raw) or from_text(raw)
			if raw.__class__ is datetime and raw.tzinfo is None:
				return raw
			return from_other(raw)

	else:

		def parse(raw: Any) -> date | datetime | None:
			if raw.__class__ is str:
				return _fast_date(raw, date_order) or from_text(raw)
			if raw.__class__ is datetime:
				return raw.date()
			return from_other(raw)

	return parse


def _fast_date(raw: str, order: str | None) -> date | None:
	"""Dates shaped YYYY-MM-DD, DD/MM/YYYY or MM/DD/YYYY, read by the C parser; None for the rest."""
	if len(raw) != 10:
		return None
	if raw[4] == "-" and raw[7] == "-":
		iso = raw
	elif raw[2] == raw[5] and raw[2] in "/.-":
		# Comparing two-digit strings compares the numbers; non-digits fail in fromisoformat anyway.
		day_first = order == "dmy" or (order is None and not raw[:2] <= "12" < raw[3:5])
		iso = f"{raw[6:]}-{raw[3:5]}-{raw[:2]}" if day_first else f"{raw[6:]}-{raw[:2]}-{raw[3:5]}"
	else:
		return None
	try:
		value = date.fromisoformat(iso)
	except ValueError:
		return None  # impossible values get their message from the full reader
	return value if value.year >= _MIN_YEAR else None


def _fast_datetime(raw: str) -> datetime | None:
	"""Datetimes shaped YYYY-MM-DD HH:MM[:SS] (space or T), read by the C parser; None for the rest."""
	size = len(raw)
	if size != 19 and size != 16:
		return None
	if (
		raw[4] != "-"
		or raw[7] != "-"
		or raw[13] != ":"
		or raw[10] not in "T "
		or (size == 19 and raw[16] != ":")
	):
		return None
	try:
		value = datetime.fromisoformat(raw)
	except ValueError:
		return None  # impossible values get their message from the full reader
	return value if value.year >= _MIN_YEAR else None


# --- Check ----------------------------------------------------------------------------------

_CHECK_WORDS = {
	**dict.fromkeys(("1", "yes", "y", "true", "t", "x", "on", "checked"), 1),
	**dict.fromkeys(("0", "no", "n", "false", "f", "off", "unchecked"), 0),
}
# The spellings spreadsheets actually hold, found before paying for strip() and lower().
_CHECK_SPELLINGS = {
	**_CHECK_WORDS,
	**{word.capitalize(): value for word, value in _CHECK_WORDS.items()},
	**{word.upper(): value for word, value in _CHECK_WORDS.items()},
}


def _make_check_parser(field: Field) -> Parser:
	def invalid(raw: Any) -> InvalidValue:
		return InvalidValue(
			f"{_shown(raw)} is not a yes/no value. Use Yes or No (1/0 and True/False work too).",
			"invalid_check",
		)

	def parse_other(raw: Any) -> int | None:
		if raw is None:
			return None
		if raw is True or raw is False:
			return int(raw)
		if isinstance(raw, (int, float)):
			if raw != raw:
				return None  # NaN is how some readers spell an empty cell.
			if raw in (0, 1):
				return int(raw)
			raise invalid(raw)
		if not isinstance(raw, str):
			raise invalid(raw)
		text = raw.strip().lower()
		if not text:
			return None
		value = _CHECK_WORDS.get(text)
		if value is None:
			raise invalid(raw)
		return value

	def parse(raw: Any) -> int | None:
		if raw.__class__ is str:
			value = _CHECK_SPELLINGS.get(raw)
			if value is not None:
				return value
		return parse_other(raw)

	return parse


_PARSER_FACTORIES: dict[str, Callable[[Field], Parser]] = {
	"Data": _make_text_parser,
	"Text": _make_text_parser,
	"Link": _make_text_parser,
	"Email": _make_email_parser,
	"Phone": _make_phone_parser,
	"URL": _make_url_parser,
	"Select": _make_select_parser,
	"Int": _make_number_parser,
	"Float": _make_number_parser,
	"Currency": _make_number_parser,
	"Percent": _make_number_parser,
	"Check": _make_check_parser,
}
