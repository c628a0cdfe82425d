"""open_table: size check, format detection from the bytes themselves, then the matching reader."""

from __future__ import annotations

import os

from intellicon_leads.importer.reading.html import HtmlSource, html_encoding
from intellicon_leads.importer.reading.table import (
	MAX_FILE_SIZE,
	FileRejected,
	NoHeaderRow,
	Source,
	Table,
	damaged_message,
	not_a_spreadsheet_message,
	too_large_message,
)
from intellicon_leads.importer.reading.text import CsvSource, chosen_encoding, detect_encoding, looks_binary
from intellicon_leads.importer.reading.xls import compound_file_bytes, xls_source
from intellicon_leads.importer.reading.xlsx import XlsxSource
from intellicon_leads.importer.reading.xlsx_package import XlsxPackage, encrypted_message

HEAD_SIZE = 1 << 20
MIN_UNPACKED = 16 << 20
ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06")
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# Whole-file magic numbers of things people upload by mistake.
OTHER_FILES = (
	(b"%PDF", "a PDF document"),
	(b"\x89PNG", "an image"),
	(b"\xff\xd8\xff", "an image"),
	(b"GIF8", "an image"),
	(b"\x1f\x8b", "a compressed .gz archive"),
	(b"Rar!", "a RAR archive"),
	(b"7z\xbc\xaf", "a 7-Zip archive"),
	(b"{\\rtf", "a Rich Text document"),
)
SPREADSHEET_2003 = "urn:schemas-microsoft-com:office:spreadsheet"


def open_table(
	path: str | os.PathLike,
	*,
	filename: str | None = None,
	sheet: str | None = None,
	max_size: int = MAX_FILE_SIZE,
	encoding: str | None = None,
) -> Table:
	"""Open a CSV, XLSX, XLS or HTML-table file for streaming; FileRejected says why one cannot be read.

	`encoding` is the one a user picked for a text file; without it the bytes decide (Table.encoding,
	and Table.encoding_confident False when they fit more than one alphabet).
	"""
	name = filename or os.path.basename(os.fspath(path))
	try:
		size = os.path.getsize(path)
	except OSError:
		raise FileRejected(f"{name} could not be found. Upload it again.")
	if size > max_size:
		raise FileRejected(too_large_message(size, max_size))
	if size == 0:
		raise FileRejected(f"{name} is empty. Choose a file with a header row and at least one lead.")
	with open(path, "rb") as file:
		head = file.read(HEAD_SIZE)
	source = _source(path, name, head, size, sheet, max_size, encoding)
	try:
		return Table(source, size=size, name=name)
	except NoHeaderRow:
		if sheet is None and len(source.visible_sheets) > 1:
			return _first_sheet_with_data(source, size, name)
		source.close()
		raise
	except BaseException:
		source.close()
		raise


def _first_sheet_with_data(source: Source, size: int, name: str) -> Table:
	"""The first visible sheet that has a header row; its Table still lists every sheet."""
	sheets = source.visible_sheets
	try:
		for sheet in sheets[1:]:
			source.use_sheet(sheet)
			try:
				return Table(source, size=size, name=name)
			except NoHeaderRow:
				continue
	except BaseException:
		source.close()
		raise
	source.close()
	names = ", ".join(f'"{sheet}"' for sheet in sheets[:5]) + (
		f" and {len(sheets) - 5} more" if len(sheets) > 5 else ""
	)
	raise NoHeaderRow(
		f"{name} has no header row: every sheet ({names}) is empty. "
		"Put the column names in the first row of a sheet, add your leads below them and upload it again."
	)


def _source(
	path: str | os.PathLike,
	name: str,
	head: bytes,
	size: int,
	sheet: str | None,
	max_size: int,
	encoding: str | None = None,
) -> Source:
	if head.startswith(ZIP_MAGIC):
		return _zip_source(path, name, sheet, max_size)
	if head.startswith(OLE_MAGIC):
		_check_ole(path, name)
		return xls_source(path, name, sheet)
	for magic, what in OTHER_FILES:
		if head.startswith(magic):
			raise FileRejected(not_a_spreadsheet_message(name, what))
	return _text_source(path, name, head, size, encoding)


def _zip_source(path: str | os.PathLike, name: str, sheet: str | None, max_size: int) -> Source:
	# Sheets compress about 10:1; 20 times the upload limit leaves room without letting a zip bomb through.
	package = XlsxPackage(os.fspath(path), name, max_unpacked=max(20 * max_size, MIN_UNPACKED))
	try:
		_check_zip_is_xlsx(package)
		return XlsxSource(package, sheet)
	except BaseException:
		package.close()
		raise


def _check_zip_is_xlsx(package: XlsxPackage) -> None:
	name = package.name
	if package.has("mimetype"):
		mimetype = package.zip.read(package.info("mimetype"))[:100]
		if b"opendocument.spreadsheet" in mimetype:
			raise FileRejected(
				f"{name} is an OpenDocument spreadsheet (.ods). "
				"Open it in LibreOffice or Excel, save it as XLSX or CSV and upload that."
			)
		raise FileRejected(not_a_spreadsheet_message(name, "an OpenDocument file"))
	if package.has("word/document.xml"):
		raise FileRejected(not_a_spreadsheet_message(name, "a Word document"))
	if package.has("ppt/presentation.xml"):
		raise FileRejected(not_a_spreadsheet_message(name, "a PowerPoint presentation"))
	if package.has("xl/workbook.bin"):
		raise FileRejected(
			f"{name} is an Excel Binary Workbook (.xlsb). "
			"Open it in Excel, save it as XLSX (Excel Workbook) or CSV and upload that."
		)
	if not package.has("[Content_Types].xml") and not package.has("xl/workbook.xml"):
		raise FileRejected(
			f"{name} is a ZIP archive, not a spreadsheet. Unzip it and upload the CSV or XLSX file inside."
		)


def _check_ole(path: str | os.PathLike, name: str) -> None:
	"""Old Office files and password-protected new ones share this container; tell them apart."""
	from xlrd import compdoc

	try:
		streams = {
			entry.name for entry in compdoc.CompDoc(compound_file_bytes(path), logfile=_Silent()).dirlist
		}
	except Exception:
		raise FileRejected(damaged_message(name))
	if "EncryptedPackage" in streams or "EncryptionInfo" in streams:
		raise FileRejected(encrypted_message(name))
	if "WordDocument" in streams:
		raise FileRejected(not_a_spreadsheet_message(name, "a Word document"))
	if "PowerPoint Document" in streams:
		raise FileRejected(not_a_spreadsheet_message(name, "a PowerPoint presentation"))
	# Some writers name the workbook stream in upper case (WORKBOOK, BOOK); Excel and xlrd accept it.
	if not {stream.casefold() for stream in streams} & {"workbook", "book"}:
		raise FileRejected(not_a_spreadsheet_message(name))


class _Silent:
	def write(self, text: str) -> None:
		pass


def _text_source(
	path: str | os.PathLike, name: str, head: bytes, size: int, chosen: str | None = None
) -> Source:
	encoding = chosen_encoding(chosen) if chosen else detect_encoding(head)
	complete = len(head) >= size
	text = encoding.decode_sample(head, final=complete)
	if looks_binary(text):
		raise FileRejected(not_a_spreadsheet_message(name))
	start = text.lstrip("\ufeff \t\r\n")[:4096].lower()
	if start.startswith("<"):
		if SPREADSHEET_2003 in start or "<workbook" in start:
			raise FileRejected(
				f"{name} is an Excel 2003 XML Spreadsheet, which cannot be imported. "
				"Open it in Excel, save it as XLSX (Excel Workbook) or CSV and upload that."
			)
		if any(tag in text[:HEAD_SIZE].lower() for tag in ("<table", "<html", "<!doctype html")):
			return HtmlSource(path, name, size, encoding if chosen else html_encoding(head, encoding))
		if start.startswith("<?xml"):
			raise FileRejected(not_a_spreadsheet_message(name, "an XML file"))
	return CsvSource(path, name, size, encoding, text[: 64 * 1024], complete)
