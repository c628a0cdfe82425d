"""Differential test: every file in ../shared/real-files read by the engine and by a reference reader.

The references are openpyxl (data_only=True) for XLSX, xlrd for XLS (calamine where xlrd gives up),
the csv module for text and a small browser-like parser for HTML tables. Both sides are presented
the same way (see `presented`) and every cell is written as text the same way (see `cell_text`),
then compared cell by cell. A file must come out the same, or be refused with a reason that is true;
where the reference is wrong, `REFERENCE_WRONG` says so for that file, with the reason.
"""

from __future__ import annotations

import codecs
import csv
import datetime
import io
import re
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest

from intellicon_leads.importer.reading import FileRejected, open_table

REAL_FILES = Path(__file__).resolve().parents[2].parent / "shared" / "real-files"
MISSING = (
	f"real files skipped: {REAL_FILES} is missing (clone the shared folder next to the repo to run them)"
)
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

# Encodings of the text files, as the test suites they come from declare them; the rest are UTF-8.
ENCODINGS = {
	"csvkit__test_latin1.csv": "latin-1",
	"csvkit__test_utf16_big.csv": "utf-16",
	"csvkit__test_utf16_little.csv": "utf-16",
	"frictionless__table-infer-iso-8859-7.csv": "iso-8859-7",
	"phpss__encoding.iso88591.csv": "latin-1",
	"phpss__encoding.utf16le.csv": "utf-16-le",
	"phpss__encoding.utf32be.csv": "utf-32-be",
	"phpss__line_break_escaped_32le.csv": "utf-32-le",
	"phpss__premiere.utf16be.csv": "utf-16-be",
	"phpss__premiere.utf16bebom.csv": "utf-16",
	"phpss__premiere.utf32be.csv": "utf-32-be",
	"phpss__premiere.utf32lebom.csv": "utf-32",
	"phpss__charset.ISO-8859-2.xls": "iso-8859-2",
	"phpss__charset.UTF-16.lebom.xls": "utf-16",
}

# Files the engine refuses although a reference reads them: the words the refusal must contain, and why
# refusing is right.
RIGHTLY_REFUSED: dict[str, tuple[str, str]] = {
	"calamine__issue_182.xlsb": (
		".xlsb",
		"Excel Binary Workbooks are not read; the message says how to save as XLSX",
	),
	"xlrd__sample.xlsb": (
		".xlsb",
		"Excel Binary Workbooks are not read; the message says how to save as XLSX",
	),
}

# Files where we judge the reference wrong: why, and either the cells it gets wrong, as (row, column) of
# the presented rows -> the right text, or a function applied to every cell on both sides before they
# are compared. Every other cell of these files is still compared.
REFERENCE_WRONG: dict[str, tuple[str, dict[tuple[int, int], str] | Callable[[str], str]]] = {
	"calamine__minimal_package.xlsx": (
		'calamine trims inline text written without xml:space="preserve"; XML keeps it, and so does '
		"openpyxl (which cannot open this file) in calamine__whitespace_trim.xlsx",
		str.strip,
	),
	"pycalamine__issue139.xlsx": (
		"openpyxl turns a date serial beyond year 9999 into #VALUE!; the cell holds the number (Excel shows ####)",
		{(1, 0): "2994626"},
	),
	# openpyxl leaves Excel's _x000D_ escape as text; Excel shows a carriage return (ECMA-376 ST_Xstring).
	"calamine__has_x000D_.xlsx": ("openpyxl keeps the _x000D_ escape as text", {(0, 0): "ABC\r\nDEF"}),
	"calamine__has_x000D_inline.xlsx": ("openpyxl keeps the _x000D_ escape as text", {(0, 0): "ABC\r\nDEF"}),
	# xlrd has no duration type: it reads a cell formatted [h]:mm:ss as a date and time in January 1900
	# (or 1904), where Excel shows hours elapsed.
	"calamine__date_1904.xls": ("xlrd reads a [h]:mm:ss duration as a date", {(2, 0): "255:10:10"}),
	"pycalamine__base.xls": ("xlrd reads a [h]:mm:ss duration as a date", {(0, 9): "255:10:10"}),
}

# Files the engine does not read right yet, by the issue class that will fix them: expected to fail.
NOT_YET: dict[str, str] = {}


@dataclass
class Reading:
	"""What one reader made of a file: the presented rows, or why it could not read it."""

	reader: str
	rows: list[list[str]] | None = None
	sheet: str | None = None
	refused: str = ""


def real_files() -> list[Path]:
	if not REAL_FILES.is_dir():
		return []
	return sorted(
		p for p in REAL_FILES.iterdir() if p.is_file() and p.name not in ("MANIFEST.tsv", "README.md")
	)


# --- one way to write a cell as text, for both sides -------------------------------------------------


def cell_text(value: object) -> str:
	"""Empty for None; TRUE/FALSE; integral numbers without ".0"; dates ISO, midnight left off; durations h:mm:ss."""
	if value is None:
		return ""
	if isinstance(value, bool):
		return "TRUE" if value else "FALSE"
	if isinstance(value, float) and value.is_integer() and abs(value) < 2**53:
		return str(int(value))
	if isinstance(value, int | float):
		return repr(value)
	if isinstance(value, datetime.datetime):
		value = _to_second(value)
		return value.date().isoformat() if value.time() == datetime.time() else value.isoformat(sep=" ")
	if isinstance(value, datetime.time):
		return _to_second(datetime.datetime.combine(datetime.date(2000, 1, 1), value)).time().isoformat()
	if isinstance(value, datetime.date):
		return value.isoformat()
	if isinstance(value, datetime.timedelta):
		return duration_text(value)
	return str(value)


def _to_second(moment: datetime.datetime) -> datetime.datetime:
	# Readers round sub-second parts of serials differently; what a person sees is seconds.
	return (moment + datetime.timedelta(microseconds=500_000)).replace(microsecond=0)


def duration_text(value: datetime.timedelta) -> str:
	seconds = round(value.total_seconds())
	sign, seconds = ("-", -seconds) if seconds < 0 else ("", seconds)
	return f"{sign}{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


def presented(records: list[list[str]]) -> list[list[str]]:
	"""Rows as the engine presents them: the first non-blank row is the header (cells stripped, trailing
	empty ones dropped); each later non-blank row is cut or padded to the header's width, followed by
	its non-blank cells beyond it."""
	rows: list[list[str]] = []
	width = 0
	for cells in records:
		if all(not c.strip() for c in cells):
			continue
		if not rows:
			header = [c.strip() for c in cells]
			while header and not header[-1]:
				header.pop()
			rows.append(header)
			width = len(header)
			continue
		row = cells[:width] + [""] * (width - len(cells))
		rows.append(row + [c for c in cells[width:] if c.strip()])
	return rows


# --- the engine ----------------------------------------------------------------------------------------


def engine_reading(path: Path) -> Reading:
	"""The engine's reading; where it says it is unsure of a text file's encoding, the reading with the
	encoding the file is declared in, as a user picking it in Preview would get."""
	try:
		with open_table(path) as table:
			unsure = not table.encoding_confident
		options = {"encoding": ENCODINGS[path.name]} if unsure and path.name in ENCODINGS else {}
		with open_table(path, **options) as table:
			rows = [list(table.header)]
			rows += [
				[cell_text(v) for v in row.values] + [cell_text(v) for v in row.extra] for row in table.rows()
			]
			return Reading("engine", rows, table.sheet)
	except FileRejected as exc:
		return Reading("engine", refused=str(exc))


# --- the references ------------------------------------------------------------------------------------


def reference_reading(path: Path) -> Reading:
	head = path.read_bytes()[:8]
	if head.startswith(ZIP_MAGIC):
		return openpyxl_reading(path)
	if head.startswith(OLE_MAGIC):
		return xls_reading(path)
	try:
		text = path.read_bytes().decode(ENCODINGS.get(path.name, "utf-8-sig"))
	except UnicodeDecodeError as exc:
		return Reading("csv", refused=f"not text: {exc}")
	if re.match(r"\s*<", text) and re.search(r"<table", text, re.I):
		return html_reading(text)
	if not text.strip():
		return Reading("csv", refused="an empty file")
	return csv_reading(path, text)


def first_sheet_with_data(
	sheets: list[tuple[str, bool, list[list[str]]]],
) -> tuple[str | None, list[list[str]]]:
	"""The first visible sheet with a non-blank cell, else the first visible sheet."""
	visible = [s for s in sheets if s[1]] or sheets
	for name, _visible, records in visible:
		if any(c.strip() for cells in records for c in cells):
			return name, records
	return (visible[0][0], visible[0][2]) if visible else (None, [])


def openpyxl_reading(path: Path) -> Reading:
	from openpyxl import load_workbook

	try:
		book = load_workbook(path, data_only=True)
	except Exception as exc:
		return calamine_reading(path, "openpyxl", f"{type(exc).__name__}: {exc}")
	sheets = [
		(
			ws.title,
			ws.sheet_state == "visible",
			[[cell_text(v) for v in row] for row in ws.iter_rows(values_only=True)],
		)
		for ws in book.worksheets
	]
	name, records = first_sheet_with_data(sheets)
	return Reading("openpyxl", presented(records), name)


def xls_reading(path: Path) -> Reading:
	import xlrd

	errors = []
	for options in ({}, {"ignore_workbook_corruption": True}):
		try:
			book = xlrd.open_workbook(str(path), logfile=io.StringIO(), **options)
		except Exception as exc:
			errors.append(f"{type(exc).__name__}: {exc}")
			continue
		sheets = []
		for index, sheet in enumerate(book.sheets()):
			hidden = book._sheet_visibility[index] if index < len(book._sheet_visibility) else 0
			records = [
				[
					_xlrd_text(book, kind, value)
					for kind, value in zip(sheet.row_types(r), sheet.row_values(r), strict=True)
				]
				for r in range(sheet.nrows)
			]
			sheets.append((sheet.name, not hidden, records))
		name, records = first_sheet_with_data(sheets)
		return Reading("xlrd" + (" (ignoring corruption)" if options else ""), presented(records), name)
	return calamine_reading(path, "xlrd", "; ".join(errors))


def _xlrd_text(book: object, kind: int, value: object) -> str:
	import xlrd

	if kind == xlrd.XL_CELL_DATE:
		try:
			moment = xlrd.xldate.xldate_as_datetime(value, book.datemode)
		except Exception:
			return cell_text(value)
		return cell_text(moment.time() if value < 1 else moment)
	if kind == xlrd.XL_CELL_BOOLEAN:
		return cell_text(bool(value))
	if kind == xlrd.XL_CELL_ERROR:
		return xlrd.error_text_from_code.get(value, "#ERROR!")
	if kind == xlrd.XL_CELL_NUMBER:
		return cell_text(value)
	return "" if kind in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK) else str(value)


def calamine_reading(path: Path, first: str, error: str) -> Reading:
	"""calamine, for the files the first reference cannot read."""
	try:
		from python_calamine import CalamineWorkbook
	except ImportError:
		return Reading(first, refused=error)
	try:
		book = CalamineWorkbook.from_path(str(path))
		sheets = [
			(
				meta.name,
				str(meta.visible).lower().endswith("visible"),
				[
					[cell_text(v if v != "" else None) for v in row]
					for row in book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
				],
			)
			for meta in book.sheets_metadata
		]
	except Exception as exc:
		return Reading("calamine", refused=f"{first}: {error}; calamine: {type(exc).__name__}: {exc}")
	name, records = first_sheet_with_data(sheets)
	return Reading(f"calamine ({first} cannot read it)", presented(records), name)


def csv_reading(path: Path, text: str) -> Reading:
	delimiter = "\t" if path.suffix == ".tsv" else _sniffed_delimiter(text)
	try:
		records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
	except csv.Error as exc:
		return Reading("csv", refused=str(exc))
	return Reading("csv", presented(records))


def _sniffed_delimiter(text: str) -> str:
	try:
		return csv.Sniffer().sniff(text[: 64 * 1024], delimiters=",;\t|").delimiter
	except csv.Error:
		return ","


class BrowserTable(HTMLParser):
	"""The first table's cells as a browser shows them: whitespace runs as one space, <br> a new line."""

	def __init__(self) -> None:
		super().__init__(convert_charrefs=True)
		self.rows: list[list[str]] = []
		self.depth = 0
		self.done = False
		self.cell: list[str | None] | None = None

	def handle_starttag(self, tag: str, attrs: list) -> None:
		if self.done:
			return
		if tag == "table":
			self.depth += 1
		elif self.depth == 1 and tag == "tr":
			self._close_cell()
			self.rows.append([])
		elif self.depth == 1 and tag in ("td", "th"):
			self._close_cell()
			if not self.rows:
				self.rows.append([])
			self.cell = []
			# Browsers take the leading digits of colspan="3\"" and ignore the rest.
			digits = re.match(r"\s*(\d*)", dict(attrs).get("colspan") or "").group(1)
			self.span = int(digits) if digits else 1
		elif tag == "br" and self.cell is not None:
			self.cell.append(None)

	def handle_endtag(self, tag: str) -> None:
		if tag == "table" and self.depth:
			self.depth -= 1
			self._close_cell()
			self.done = self.done or (not self.depth and bool(self.rows))
		elif self.depth == 1 and tag in ("td", "th", "tr"):
			self._close_cell()

	def handle_data(self, data: str) -> None:
		if self.cell is not None and not self.done:
			self.cell.append(data)

	def _close_cell(self) -> None:
		if self.cell is not None:
			lines, line = [], []
			for part in [*self.cell, None]:
				if part is None:
					lines.append(" ".join("".join(line).split()))
					line = []
				else:
					line.append(part)
			self.rows[-1].append("\n".join(lines).strip())
			self.rows[-1].extend([""] * (self.span - 1))
		self.cell = None


def html_reading(text: str) -> Reading:
	parser = BrowserTable()
	parser.feed(text)
	parser.close()
	if not parser.rows:
		return Reading("browser-like HTML", refused="no table rows")
	return Reading("browser-like HTML", presented(parser.rows))


# --- the comparison ------------------------------------------------------------------------------------

RESULTS: dict[str, str] = {}


def differences(engine: list[list[str]], reference: list[list[str]], limit: int = 5) -> list[str]:
	found = []
	for number in range(max(len(engine), len(reference))):
		mine = engine[number] if number < len(engine) else None
		theirs = reference[number] if number < len(reference) else None
		if mine != theirs:
			found.append(f"row {number}: engine {mine!r} != reference {theirs!r}")
		if len(found) >= limit:
			break
	return found


def compare(path: Path) -> tuple[str, str]:
	"""('matched' | 'refused' | 'exception' | 'failed', detail) for one file."""
	engine = engine_reading(path)
	reference = reference_reading(path)
	outcome = "matched"
	if path.name in REFERENCE_WRONG and reference.rows is not None:
		_why, corrections = REFERENCE_WRONG[path.name]
		if callable(corrections):
			for rows in (engine.rows or [], reference.rows):
				rows[:] = [[corrections(cell) for cell in row] for row in rows]
		else:
			for (row, column), text in corrections.items():
				reference.rows[row][column] = text
		outcome = "exception"
	if engine.rows is None and reference.rows == []:
		# Nothing but empty sheets: the one true reason to give is that they are empty.
		return ("refused", engine.refused) if "empty" in engine.refused else ("failed", engine.refused)
	if engine.rows is None:
		words, _why = RIGHTLY_REFUSED.get(path.name, ("", ""))
		if reference.rows is not None and not words:
			return "failed", f"engine refused what {reference.reader} reads: {engine.refused}"
		if words and words not in engine.refused:
			return "failed", f"refused without saying {words!r}: {engine.refused}"
		return "refused", engine.refused
	if reference.rows is None:
		return "failed", f"engine read what no reference reads ({reference.refused})"
	if engine.sheet != reference.sheet:
		return "failed", f"engine read sheet {engine.sheet!r}, {reference.reader} {reference.sheet!r}"
	found = differences(engine.rows, reference.rows)
	if found:
		return "failed", f"differs from {reference.reader}:\n" + "\n".join(found)
	return outcome, reference.reader


@pytest.mark.parametrize("path", real_files() or [None], ids=lambda p: p.name if p else "missing")
def test_real_file_reads_like_the_reference(path):
	if path is None:
		RESULTS["missing"] = MISSING
		pytest.skip(MISSING)
	outcome, detail = compare(path)
	RESULTS[path.name] = outcome
	if path.name in NOT_YET:
		assert outcome == "failed", f"{path.name} now reads right: take it out of NOT_YET"
		pytest.xfail(f"{NOT_YET[path.name]}: {detail}")
	assert outcome != "failed", f"{path.name}: {detail}"


def summary_line() -> str | None:
	if "missing" in RESULTS:
		return RESULTS["missing"]
	if not RESULTS:
		return None
	counts = {
		k: sum(1 for v in RESULTS.values() if v == k) for k in ("matched", "refused", "exception", "failed")
	}
	pending = sum(1 for name, v in RESULTS.items() if v == "failed" and name in NOT_YET)
	return (
		f"real files: {len(RESULTS)} compared, {counts['matched']} matched, {counts['refused']} refused, "
		f"{counts['exception']} exceptions, {counts['failed'] - pending} failed"
		+ (f", {pending} not yet read right" if pending else "")
	)
