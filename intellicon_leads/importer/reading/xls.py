"""Legacy Excel (BIFF .xls) sheets, through xlrd."""

from __future__ import annotations

import os
from collections.abc import Iterator

from intellicon_leads.importer.reading.dates import format_kind, from_serial
from intellicon_leads.importer.reading.table import FileRejected, damaged_message
from intellicon_leads.importer.reading.xlsx_package import encrypted_message


def open_xls_book(path: str | os.PathLike, name: str) -> object:
	import xlrd

	try:
		return xlrd.open_workbook(os.fspath(path), on_demand=True, formatting_info=True, logfile=_Silent())
	except Exception as exc:  # xlrd raises many types on bad input; all mean the same to the user.
		if "encrypted" in str(exc).lower():
			raise FileRejected(encrypted_message(name))
		raise FileRejected(damaged_message(name))


class _Silent:
	def write(self, text: str) -> None:
		pass


class XlsSource:
	"""One sheet of an .xls workbook; xlrd loads it whole, which the format's 65,536-row cap makes safe."""

	format = "xls"
	encoding = None
	delimiter = None

	def __init__(self, path: str | os.PathLike, name: str, sheet: str | None) -> None:
		self.name = name
		self.book = open_xls_book(path, name)
		self._kinds: dict[int, str] = {}
		self._done = 0
		self._total = 1
		try:
			self.sheet_names = list(self.book.sheet_names())
			self.sheet = self._choose(sheet)
			self._sheet = self._load(self.sheet)
		except BaseException:
			self.close()
			raise

	def _load(self, sheet: str) -> object:
		try:
			return self.book.sheet_by_name(sheet)
		except Exception:
			raise FileRejected(damaged_message(self.name))

	def _choose(self, wanted: str | None) -> str:
		if not self.sheet_names:
			raise FileRejected(
				f"{self.name} has no worksheet with data. Check that you chose the right file."
			)
		if wanted is None:
			hidden = getattr(self.book, "_sheet_visibility", [])
			visible = [n for i, n in enumerate(self.sheet_names) if i >= len(hidden) or not hidden[i]]
			return (visible or self.sheet_names)[0]
		for name in self.sheet_names:
			if name == wanted:
				return name
		for name in self.sheet_names:
			if name.strip().casefold() == wanted.strip().casefold():
				return name
		names = ", ".join(self.sheet_names)
		raise FileRejected(f'{self.name} has no sheet called "{wanted}". Choose one of its sheets: {names}.')

	def records(self) -> Iterator[tuple[int, list]]:
		sheet = self._sheet
		self._total = max(sheet.nrows, 1)
		for index in range(sheet.nrows):
			self._done = index + 1
			try:
				cells = [
					self._value(sheet, index, col, kind, value)
					for col, (kind, value) in enumerate(
						zip(sheet.row_types(index), sheet.row_values(index), strict=True)
					)
				]
			except Exception:
				raise FileRejected(damaged_message(self.name))
			while cells and cells[-1] is None:
				cells.pop()
			yield index + 1, cells

	def _value(self, sheet: object, row: int, col: int, kind: int, value: object) -> object:
		import xlrd

		if kind == xlrd.XL_CELL_TEXT:
			return value
		if kind == xlrd.XL_CELL_NUMBER:
			return int(value) if float(value).is_integer() and abs(value) < 2**53 else value
		if kind == xlrd.XL_CELL_DATE:
			return from_serial(value, self._date_kind(sheet.cell_xf_index(row, col)), self.book.datemode == 1)
		if kind == xlrd.XL_CELL_BOOLEAN:
			return bool(value)
		if kind == xlrd.XL_CELL_ERROR:
			return xlrd.error_text_from_code.get(value, "#ERROR!")
		return None

	def _date_kind(self, xf_index: int) -> str:
		kind = self._kinds.get(xf_index)
		if kind is None:
			try:
				key = self.book.xf_list[xf_index].format_key
				kind = format_kind(self.book.format_map[key].format_str) or "date"
			except (IndexError, KeyError, AttributeError):
				kind = "date"
			self._kinds[xf_index] = kind
		return kind

	def progress(self) -> float:
		return self._done / self._total

	def close(self) -> None:
		self.book.release_resources()
