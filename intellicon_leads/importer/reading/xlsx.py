"""XLSX sheets streamed straight from the zip and parsed with regular expressions, for speed."""

from __future__ import annotations

import datetime
import re
from collections.abc import Generator, Iterator

from intellicon_leads.importer.reading.dates import from_serial
from intellicon_leads.importer.reading.table import FileRejected, choose_sheet, damaged_message
from intellicon_leads.importer.reading.xlsx_package import Workbook, XlsxPackage
from intellicon_leads.importer.reading.xlsx_strings import SharedStrings, expand_cdata, rich_text, unescape

# Small first chunk so a preview parses little; big ones after for throughput.
FIRST_CHUNK = 64 * 1024
CHUNK = 1 << 20
MAX_INTEGRAL_FLOAT = 2.0**53
STRING_CACHE_SIZE = 1 << 16
DATE_CACHE_SIZE = 50_000
_SHEET_DATA = re.compile(r"<(\w+:)?sheetData\b[^>]*?(/?)>")
_ATTRIBUTE = re.compile(r"""([\w:]+)\s*=\s*(?:"([^"]*)"|'([^']*)')""")
_ROW_NUMBER = re.compile(r"""\br\s*=\s*["'](\d+)""")
_CELL_REF = re.compile(r"\$?([A-Za-z]{1,3})\$?\d*")
_VALUE = re.compile(r"<(?:\w+:)?v\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?v>)")
_INLINE = re.compile(r"<(?:\w+:)?is\b[^>]*>(.*?)</(?:\w+:)?is>", re.S)


class ColumnIndex(dict):
	"""Column letters -> 0-based index, computed once per distinct letters."""

	def __missing__(self, letters: str) -> int:
		index = 0
		for char in letters.upper():
			index = index * 26 + ord(char) - 64
		self[letters] = index - 1
		return index - 1


COLUMNS = ColumnIndex()


def _token_pattern(prefix: str) -> re.Pattern:
	"""One regex for a sheet's rows and cells; common cells match the first, fast branch whole."""
	p = re.escape(prefix)
	return re.compile(
		rf'<{p}c r="([A-Z]{{1,3}})\d+"(?: s="(\d+)")?(?: t="(\w+)")?\s*(?:/>|>'
		rf"(?:(?:<{p}f\b[^>]*?(?:/>|>[^<]*</{p}f>))?<{p}v>([^<]*)</{p}v>|<{p}is><{p}t>([^<]*)</{p}t></{p}is>)"
		rf"</{p}c>)"
		rf'|(<{p}row\b)(?: r="(\d+)")?([^>]*)>'
		rf"|<{p}c\b([^>]*?)(?:/>|>(.*?)</{p}c>)",
		re.S,
	)


class XlsxSource:
	"""One worksheet of an XLSX file."""

	format = "xlsx"
	encoding = None
	delimiter = None

	def __init__(self, package: XlsxPackage, sheet: str | None) -> None:
		self.package = package
		self.name = package.name
		self.workbook = Workbook(package)
		self.sheet_names = [name for name, _part, _visible in self.workbook.sheets]
		self.visible_sheets = [name for name, _part, visible in self.workbook.sheets if visible]
		self._dates = self.workbook.date_styles()
		self._strings: SharedStrings | None = None
		self._date_cache: dict[tuple[str, str], object] = {}
		self._string_cache: dict[str, str] = {}
		self.use_sheet(sheet)

	def use_sheet(self, sheet: str | None) -> None:
		"""Read `sheet` from now on (None: the first visible one); the workbook's tables stay loaded."""
		self.sheet, self._part = self._choose(sheet)
		self._total = max(self.package.info(self._part).file_size, 1)
		self._tokens = _token_pattern("")

	def _choose(self, wanted: str | None) -> tuple[str, str]:
		sheets = self.workbook.sheets
		name = choose_sheet(self.name, [(n, visible) for n, _part, visible in sheets], wanted)
		return name, next(part for n, part, _visible in sheets if n == name)

	def shared_strings(self) -> SharedStrings:
		# Shared by every pass over the sheet, so the preview and the header share what they loaded.
		if self._strings is None:
			part = self.workbook.shared_strings
			self._strings = SharedStrings(self.package.chunks(part, 256 * 1024, CHUNK) if part else None)
		return self._strings

	def records(self) -> Iterator[tuple[int, list]]:
		number = 0
		for text in self._sheet_data():
			number = yield from self._parse(text, number)

	def _sheet_data(self) -> Iterator[str]:
		"""The inside of <sheetData> in runs of whole rows, each cut just before the last <row> seen."""
		buffer = ""
		row_start = end_tag = None
		for chunk in self.package.chunks(self._part, FIRST_CHUNK, CHUNK):
			searched = max(len(buffer) - 32, 0)
			buffer += chunk
			if end_tag is None:
				match = _SHEET_DATA.search(buffer)
				if not match:
					continue
				if match.group(2):
					return
				prefix = match.group(1) or ""
				self._tokens = _token_pattern(prefix)
				row_start, end_tag = f"<{prefix}row", f"</{prefix}sheetData>"
				buffer = buffer[match.end() :]
				searched = 0
			end = buffer.find(end_tag, searched)
			if end >= 0:
				yield buffer[:end]
				return
			# Rows never nest, so everything before the last row's start is whole rows.
			cut = buffer.rfind(row_start, searched)
			if cut > 0:
				yield buffer[:cut]
				buffer = buffer[cut:]
		raise FileRejected(damaged_message(self.name))

	def _parse(self, text: str, number: int) -> Generator[tuple[int, list], None, int]:
		"""Rows of a run of whole <row> elements, then the last row number.

		The hot loop of XLSX reading: kept in one function, as calls per cell would cost more than the work.
		"""
		strings = self.shared_strings().get
		dates = self._dates
		string_cache = self._string_cache
		columns = COLUMNS
		cells: list | None = None
		position = 0
		for col, style, kind, value, inline, row_tag, row_r, row_attrs, attrs, inner in self._tokens.findall(
			text
		):
			if col:
				try:
					if inline:
						value = unescape(inline) if "&" in inline or "_x" in inline else inline
					elif not value:
						continue
					elif kind == "s":
						# Most shared strings repeat (statuses, cities), so a dict hit skips the table.
						shared = string_cache.get(value)
						if shared is None:
							shared = strings(int(value)) or None
							if shared and len(string_cache) < STRING_CACHE_SIZE:
								string_cache[value] = shared
						value = shared
					elif not kind or kind == "n":
						date_kind = dates.get(style) if style else None
						if date_kind:
							value = self._date(value, date_kind)
						elif "." in value or "E" in value:
							value = _number(value)
						else:
							value = int(value)
					else:
						value = _typed_value(kind, unescape(value))
				except ValueError:
					pass
				index = columns[col]
			elif row_tag:
				if cells is not None:
					yield number, cells
				if not row_r:
					match = _ROW_NUMBER.search(row_attrs)
					row_r = match.group(1) if match else ""
				number = int(row_r) if row_r else number + 1
				cells = []
				position = 0
				continue
			else:
				index, value = self._general_cell(attrs, inner, position)
				position = index + 1
			if value is None or cells is None:
				continue
			if index == len(cells):
				cells.append(value)
			elif index > len(cells):
				cells.extend([None] * (index - len(cells)))
				cells.append(value)
			else:
				cells[index] = value
		if cells is not None:
			yield number, cells
		return number

	def _date(self, serial: str, kind: str) -> object:
		# Lead files repeat dates a lot; converting each distinct serial once halves the cost of date columns.
		key = (serial, kind)
		moment = self._date_cache.get(key)
		if moment is None:
			if len(self._date_cache) >= DATE_CACHE_SIZE:
				self._date_cache.clear()
			moment = self._date_cache[key] = from_serial(float(serial), kind, self.workbook.date1904)
		return moment

	def _general_cell(self, attrs: str, inner: str, position: int) -> tuple[int, object]:
		"""A cell the fast branch did not match: other attribute order, quotes, rich text, no r."""
		found = {name.rsplit(":", 1)[-1]: a or b for name, a, b in _ATTRIBUTE.findall(attrs)}
		ref = _CELL_REF.match(found.get("r", ""))
		index = COLUMNS[ref.group(1).upper()] if ref else position
		kind = found.get("t", "n")
		if inner and "<![CDATA[" in inner:
			inner = expand_cdata(inner)
		if kind == "inlineStr":
			match = _INLINE.search(inner or "")
			return index, rich_text(match.group(1)) if match else None
		match = _VALUE.search(inner or "")
		raw = match.group(1) if match else None
		if raw is None:
			return index, None
		try:
			if kind == "s":
				return index, self.shared_strings().get(int(raw)) or None
			if kind == "n":
				date_kind = self._dates.get(found.get("s", ""))
				if date_kind:
					return index, self._date(raw, date_kind)
				return index, _number(raw) if raw.strip() else None
			return index, _typed_value(kind, unescape(raw))
		except ValueError:
			return index, raw

	def progress(self) -> float:
		return self.package.unpacked.get(self._part, 0) / self._total

	def close(self) -> None:
		self.package.close()


def _number(text: str) -> int | float:
	number = float(text)
	if number.is_integer() and -MAX_INTEGRAL_FLOAT < number < MAX_INTEGRAL_FLOAT:
		return int(number)
	return number


def _typed_value(kind: str, text: str) -> object:
	"""Booleans, errors (#N/A), formula strings and ISO dates, by their t="…" type."""
	if kind == "b":
		return text.strip() in ("1", "true")
	if kind == "d":
		return _iso_date(text)
	if kind == "n":
		return _number(text)
	return text or None


def _iso_date(text: str) -> object:
	text = text.strip()
	try:
		if ":" in text[:3]:
			# A time of day alone, as t="d" cells of time-only formats hold it: 23:44:51.894.
			return datetime.time.fromisoformat(text.removesuffix("Z"))
		if "T" not in text and len(text) <= 10:
			return datetime.date.fromisoformat(text)
		moment = datetime.datetime.fromisoformat(text.removesuffix("Z"))
		if moment.year == 1899 and moment.month == 12 and moment.day in (30, 31):
			return moment.time()
		return moment
	except ValueError:
		return text
