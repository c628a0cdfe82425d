"""The table every reader produces: a header, then data rows streamed one at a time."""

from __future__ import annotations

import datetime
from collections.abc import Iterator, Sequence
from itertools import islice
from typing import Any, NamedTuple, Protocol

MAX_FILE_SIZE = 50 * 1024 * 1024
MB = 1024 * 1024


class FileRejected(Exception):
	"""A file we cannot read; str(exc) is one sentence telling the user what to do."""


class NoHeaderRow(FileRejected):
	"""The sheet or file read has no non-empty row, so no header."""


class Row(NamedTuple):
	number: int
	values: list
	extra: Sequence


class Source(Protocol):
	"""What a format reader gives the Table: raw rows, each a (row number, cells) pair."""

	format: str
	sheet_names: list[str]
	visible_sheets: list[str]
	sheet: str | None
	encoding: str | None
	delimiter: str | None

	def records(self) -> Iterator[tuple[int, list]]: ...

	def progress(self) -> float: ...

	def close(self) -> None: ...

	def use_sheet(self, sheet: str | None) -> None: ...


class StreamedFile:
	"""progress() and close() for a source that reads one file front to back."""

	size: int = 0
	_file = None
	_finished = False

	def progress(self) -> float:
		file = self._file
		if file is None or file.closed:
			return 1.0 if self._finished else 0.0
		return file.tell() / max(self.size, 1)

	def close(self) -> None:
		self._file = None


class Table:
	"""A sheet or CSV file: `header` from its first non-empty row, then `rows()` streamed after it."""

	def __init__(self, source: Source, *, size: int, name: str) -> None:
		self._source = source
		self.format = source.format
		self.sheet_names = list(source.sheet_names)
		self.sheet = source.sheet
		self.encoding = source.encoding
		# False when a text file's bytes fit more than one alphabet: ask the user to pick its encoding.
		self.encoding_confident: bool = getattr(source, "encoding_confident", True)
		self.delimiter = source.delimiter
		self.size = size
		self.name = name
		self.header, self.header_row = self._find_header()
		self.warnings = header_warnings(self.header)

	def __enter__(self) -> Table:
		return self

	def __exit__(self, *exc_info: object) -> None:
		self.close()

	def close(self) -> None:
		self._source.close()

	def rows(self) -> Iterator[Row]:
		"""Data rows after the header; blank rows are skipped, short rows padded, long rows split."""
		width = len(self.header)
		header_row = self.header_row
		for number, cells in self._source.records():
			if number <= header_row or is_blank(cells):
				continue
			if len(cells) == width:
				yield Row(number, cells, _NO_EXTRA)
			elif len(cells) < width:
				yield Row(number, cells + [None] * (width - len(cells)), _NO_EXTRA)
			else:
				yield Row(
					number, cells[:width], [v for v in cells[width:] if not is_blank_cell(v)] or _NO_EXTRA
				)

	def preview(self, limit: int = 20) -> list[Row]:
		"""The first `limit` data rows, reading no further than they need."""
		rows = self.rows()
		try:
			return list(islice(rows, limit))
		finally:
			rows.close()

	def progress(self) -> float:
		"""Roughly how much of the file has been read, from 0 to 1."""
		return min(max(self._source.progress(), 0.0), 1.0)

	def _find_header(self) -> tuple[list[str], int]:
		records = self._source.records()
		try:
			for number, cells in records:
				if not is_blank(cells):
					return header_cells(cells), number
		finally:
			records.close()
		where = f'Sheet "{self.sheet}" of {self.name}' if self.sheet_names else self.name
		raise NoHeaderRow(
			f"{where} has no header row: every row is empty. "
			"Put the column names in the first row, add your leads below them and upload it again."
		)


# Shared by every row without cells beyond the header: nothing to allocate.
_NO_EXTRA: tuple = ()


def is_blank_cell(value: Any) -> bool:
	return value is None or value == "" or (isinstance(value, str) and value.isspace())


def is_blank(cells: list) -> bool:
	# Most rows have a value in their first cell, so this usually returns at once.
	for value in cells:
		if value is not None and (not isinstance(value, str) or (value and not value.isspace())):
			return False
	return True


def header_cells(cells: list) -> list[str]:
	"""Header text per column; trailing empty cells are dropped since nothing names them."""
	header = [header_text(v) for v in cells]
	while header and not header[-1]:
		header.pop()
	return header


def header_text(value: Any) -> str:
	"""A header cell as its spreadsheet shows it: TRUE, not True; times to the second."""
	if value is None:
		return ""
	if isinstance(value, bool):
		return "TRUE" if value else "FALSE"
	if isinstance(value, datetime.datetime | datetime.time) and value.microsecond:
		moment = (
			datetime.datetime.combine(datetime.date(2000, 1, 1), value)
			if isinstance(value, datetime.time)
			else value
		)
		moment = (moment + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)
		value = moment.time() if isinstance(value, datetime.time) else moment
	return str(value).strip()


def choose_sheet(name: str, sheets: Sequence[tuple[str, bool]], wanted: str | None) -> str:
	"""The sheet asked for (its exact name, else ignoring case and spaces), by default the first visible."""
	if not sheets:
		raise FileRejected(f"{name} has no worksheet with data. Check that you chose the right file.")
	if wanted is None:
		return next((sheet for sheet, visible in sheets if visible), sheets[0][0])
	for matches in (lambda n: n == wanted, lambda n: n.strip().casefold() == wanted.strip().casefold()):
		for sheet, _visible in sheets:
			if matches(sheet):
				return sheet
	names = ", ".join(sheet for sheet, _visible in sheets)
	raise FileRejected(f'{name} has no sheet called "{wanted}". Choose one of its sheets: {names}.')


def column_letter(index: int) -> str:
	"""0 -> A, 25 -> Z, 26 -> AA: the column name a spreadsheet program shows."""
	letters = ""
	index += 1
	while index:
		index, rest = divmod(index - 1, 26)
		letters = chr(65 + rest) + letters
	return letters


def header_warnings(header: list[str]) -> list[str]:
	warnings = [
		f"Column {column_letter(i)} has no header; it will be skipped unless you map it."
		for i, text in enumerate(header)
		if not text
	]
	seen: dict[str, list[int]] = {}
	for i, text in enumerate(header):
		if text:
			seen.setdefault(text.casefold(), []).append(i)
	for indexes in seen.values():
		if len(indexes) > 1:
			columns = ", ".join(column_letter(i) for i in indexes[:-1]) + f" and {column_letter(indexes[-1])}"
			warnings.append(
				f'Columns {columns} have the same header "{header[indexes[0]]}"; '
				"check that each is mapped to the field you mean."
			)
	return warnings


def size_text(size: int) -> str:
	"""61.2 MB, 50 MB, 12 KB: one decimal, none when it is whole."""
	for unit, scale in (("MB", MB), ("KB", 1024)):
		if size >= scale:
			text = f"{size / scale:.1f}"
			return f"{text.removesuffix('.0')} {unit}"
	return f"{size} bytes"


def too_large_message(size: int, max_size: int) -> str:
	return (
		f"The file is {size_text(size)}, larger than the {size_text(max_size)} limit. "
		"Split it into smaller batches and import them one by one."
	)


def damaged_message(name: str) -> str:
	return (
		f"{name} is damaged or incomplete and cannot be read. "
		"Open it in Excel and save it again, or export it as CSV, then upload it again."
	)


def not_a_spreadsheet_message(name: str, what: str = "") -> str:
	looks = f" (it looks like {what})" if what else ""
	return (
		f"{name} is not a CSV, XLSX or XLS file{looks}. "
		"Open it in your spreadsheet program, save it as CSV or XLSX and upload that."
	)
