"""Excel date serials and number formats: which cells hold dates, and what date they hold."""

from __future__ import annotations

import datetime
import re

# Built-in number formats that show a date or time; 27-36 and 50-58 are the CJK locale ones.
BUILTIN_DATE_FORMATS: dict[int, str] = {
	**dict.fromkeys((14, 15, 16, 17), "date"),
	**dict.fromkeys((18, 19, 20, 21, 45, 47), "time"),
	46: "duration",  # [h]:mm:ss
	22: "datetime",
	**dict.fromkeys((27, 28, 29, 30, 31, 34, 35, 36, 50, 51, 52, 53, 54, 57, 58), "date"),
	**dict.fromkeys((32, 33, 55, 56), "time"),
}

_NOT_TOKENS = re.compile(r'"[^"]*"|\\.|\[[^\]]*\]|[_*].|am/pm|a/p', re.I)
_ELAPSED = re.compile(r"\[(h+|m+|s+)\]", re.I)
_1900 = datetime.datetime(1899, 12, 30)
_1900_BEFORE_LEAP_BUG = datetime.datetime(1899, 12, 31)
_1904 = datetime.datetime(1904, 1, 1)
_MS_PER_DAY = 86_400_000


def format_kind(code: str) -> str | None:
	"""'date', 'datetime', 'time' or 'duration' ([h]:mm) for a number format code that shows one, else None."""
	first = code.split(";", 1)[0]
	if _ELAPSED.search(first):
		return "duration"
	section = _NOT_TOKENS.sub("", first).lower()
	if not section or section == "general":
		return None
	has_date = "y" in section or "d" in section
	has_time = "h" in section or "s" in section
	if has_date:
		return "datetime" if has_time else "date"
	return "time" if has_time else None


def from_serial(serial: float, kind: str, date1904: bool = False) -> object:
	"""The date, datetime or time an Excel serial shows in a format of `kind`; the number if out of range."""
	if kind == "duration":
		return duration_text(serial)
	if date1904:
		epoch = _1904
	else:
		# Excel counts a 29 February 1900 that never was, so serials below 60 start a day later.
		epoch = _1900_BEFORE_LEAP_BUG if serial < 60 else _1900
	days = int(serial // 1)
	ms = round((serial - days) * _MS_PER_DAY)
	if ms >= _MS_PER_DAY:
		days, ms = days + 1, 0
	if kind == "time" and days == 0:
		return (datetime.datetime.min + datetime.timedelta(milliseconds=ms)).time()
	try:
		moment = epoch + datetime.timedelta(days=days, milliseconds=ms)
	except OverflowError:
		return int(serial) if serial.is_integer() else serial
	if kind == "date" and not ms:
		return moment.date()
	return moment


def duration_text(days: float) -> str:
	"""An elapsed time as [h]:mm:ss shows it, rounded to the second: 1.5 -> "36:00:00"."""
	seconds = round(days * 86_400)
	sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
	return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"
