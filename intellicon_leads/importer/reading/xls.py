"""Legacy Excel (BIFF .xls) sheets, through xlrd, and through calamine for the files xlrd gives up on."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterator

from intellicon_leads.importer.reading.dates import duration_text, format_kind, from_serial
from intellicon_leads.importer.reading.table import FileRejected, choose_sheet, damaged_message
from intellicon_leads.importer.reading.xlsx_package import encrypted_message

# MS-CFB: the compound file header's byte-order field, always FE FF (little-endian) in a valid file.
BYTE_ORDER = slice(0x1C, 0x1E)
LITTLE_ENDIAN = b"\xfe\xff"


class XlrdCannotRead(FileRejected):
	"""xlrd refused the file as damaged; calamine may still read it."""


def xls_source(path: str | os.PathLike, name: str, sheet: str | None) -> XlsSource | CalamineSource:
	"""xlrd for an .xls file, else calamine, which reads files Excel opens but xlrd calls corrupt."""
	try:
		return XlsSource(path, name, sheet)
	except XlrdCannotRead:
		return CalamineSource(path, name, sheet)


def compound_file_bytes(path: str | os.PathLike) -> bytes:
	"""The whole file, its byte-order marker set to little-endian if the header says anything else."""
	with open(path, "rb") as file:
		data = file.read()
	# Excel, calamine and PhpSpreadsheet ignore the marker (compound files are all little-endian); xlrd refuses.
	if data[BYTE_ORDER] == LITTLE_ENDIAN:
		return data
	return data[: BYTE_ORDER.start] + LITTLE_ENDIAN + data[BYTE_ORDER.stop :]


def _has_wrong_byte_order(path: str | os.PathLike) -> bool:
	with open(path, "rb") as file:
		return file.read(BYTE_ORDER.stop)[BYTE_ORDER] != LITTLE_ENDIAN


def open_xls_book(path: str | os.PathLike, name: str) -> object:
	import xlrd

	# Only a file to mend is read into memory here; xlrd maps the others itself.
	contents = compound_file_bytes(path) if _has_wrong_byte_order(path) else None
	# Excel opens many files whose compound-file container xlrd finds corrupt; the second try ignores that.
	for options in ({}, {"ignore_workbook_corruption": True}):
		try:
			return xlrd.open_workbook(
				os.fspath(path),
				file_contents=contents,
				on_demand=True,
				formatting_info=True,
				logfile=_Silent(),
				**options,
			)
		except Exception as exc:  # xlrd raises many types on bad input; all mean the same to the user.
			if "encrypted" in str(exc).lower():
				raise FileRejected(encrypted_message(name))
	raise XlrdCannotRead(damaged_message(name))


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
			hidden = getattr(self.book, "_sheet_visibility", [])
			visible = [i >= len(hidden) or not hidden[i] for i in range(len(self.sheet_names))]
			self.visible_sheets = [n for n, v in zip(self.sheet_names, visible, strict=True) if v]
			self._sheets = list(zip(self.sheet_names, visible, strict=True))
			self.sheet: str | None = None
			self.use_sheet(sheet)
		except BaseException:
			self.close()
			raise

	def use_sheet(self, sheet: str | None) -> None:
		"""Read `sheet` from now on (None: the first visible one), unloading the one read before."""
		chosen = choose_sheet(self.name, self._sheets, sheet)
		if self.sheet is not None:
			self.book.unload_sheet(self.sheet)
		self.sheet, self._sheet = chosen, self._load(chosen)

	def _load(self, sheet: str) -> object:
		try:
			return self.book.sheet_by_name(sheet)
		except Exception:
			raise FileRejected(damaged_message(self.name))

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


class CalamineSource:
	"""One sheet of an .xls workbook that xlrd cannot open, read whole by calamine (65,536 rows at most)."""

	format = "xls"
	encoding = None
	delimiter = None

	def __init__(self, path: str | os.PathLike, name: str, sheet: str | None) -> None:
		from python_calamine import CalamineWorkbook

		self.name = name
		self._done = 0
		self._total = 1
		try:
			self.book = CalamineWorkbook.from_path(os.fspath(path))
			sheets = [(s.name, str(s.visible).endswith(".Visible")) for s in self.book.sheets_metadata]
		except Exception:  # calamine raises its own and Python errors on bad input.
			raise FileRejected(damaged_message(name))
		self.sheet_names = [n for n, _visible in sheets]
		self.visible_sheets = [n for n, visible in sheets if visible]
		self._sheets = sheets
		self.use_sheet(sheet)

	def use_sheet(self, sheet: str | None) -> None:
		"""Read `sheet` from now on (None: the first visible one)."""
		self.sheet = choose_sheet(self.name, self._sheets, sheet)

	def records(self) -> Iterator[tuple[int, list]]:
		try:
			rows = self.book.get_sheet_by_name(self.sheet).to_python(skip_empty_area=False)
		except Exception:
			raise FileRejected(damaged_message(self.name))
		self._total = max(len(rows), 1)
		for index, row in enumerate(rows):
			self._done = index + 1
			cells = [_calamine_value(v) for v in row]
			while cells and cells[-1] is None:
				cells.pop()
			yield index + 1, cells

	def progress(self) -> float:
		return self._done / self._total

	def close(self) -> None:
		self.book = None


def _calamine_value(value: object) -> object:
	if value == "":
		return None
	if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
		return int(value)
	if isinstance(value, datetime.timedelta):
		return duration_text(value.total_seconds() / 86_400)
	return value
