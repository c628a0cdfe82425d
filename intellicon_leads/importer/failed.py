"""The failed-records file: the rows that failed, as uploaded, with their row number and error."""

from __future__ import annotations

import csv
import datetime
import os
from typing import Any

ROW_HEADER = "Row"
ERROR_HEADER = "Error"
# A cell starting with one of these runs as a formula when a CSV is opened in Excel or LibreOffice.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def failed_file_format(upload_format: str) -> str:
	"""CSV for a CSV upload; XLSX for XLSX, XLS and HTML-table uploads."""
	return "csv" if upload_format == "csv" else "xlsx"


def neutralize_formula(text: str) -> str:
	"""Prefix an apostrophe; our CSV reader takes one off again on re-import.

	A value that already looks neutralised ("'=x") gets one more, so that it too comes back as it was.
	"""
	if text.startswith(FORMULA_PREFIXES) or (text.startswith("'") and text[1:2].startswith(FORMULA_PREFIXES)):
		return "'" + text
	return text


class FailedRecordsWriter:
	"""Streams failed rows to a CSV or XLSX file: Row, Error, then the original columns."""

	def __init__(self, path: str | os.PathLike, headers: list[str], fmt: str = "csv") -> None:
		if fmt not in ("csv", "xlsx"):
			raise ValueError(f"Failed records can be written as csv or xlsx, not {fmt!r}.")
		self.path = os.fspath(path)
		self.headers = list(headers)
		self.format = fmt
		self.count = 0
		self._open()

	def _open(self) -> None:
		columns = [ROW_HEADER, ERROR_HEADER, *self.headers]
		if self.format == "csv":
			# utf-8-sig so that Excel opens accented names correctly.
			self._file = open(self.path, "w", encoding="utf-8-sig", newline="")
			self._csv = csv.writer(self._file)
			self._csv.writerow([neutralize_formula(h) for h in columns])
		else:
			from openpyxl import Workbook

			self._book = Workbook(write_only=True)
			self._sheet = self._book.create_sheet("Failed Records")
			self._sheet.append([self._xlsx_cell(h) for h in columns])

	def add(self, row_number: int, values: list, extra: list, message: str, kinds: tuple = ()) -> None:
		"""`kinds` (the error kinds) are not written: the message says it all."""
		self.count += 1
		cells = [row_number, message, *values, *extra]
		if self.format == "csv":
			self._csv.writerow([_csv_text(v) for v in cells])
		else:
			self._sheet.append([self._xlsx_cell(v) for v in cells])

	def close(self) -> None:
		if self.format == "csv":
			self._file.close()
		elif self._book is not None:
			self._book.save(self.path)
			self._book = None

	def __enter__(self) -> FailedRecordsWriter:
		return self

	def __exit__(self, *exc: object) -> None:
		self.close()

	def _xlsx_cell(self, value: Any) -> Any:
		from openpyxl.cell import WriteOnlyCell
		from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

		if not isinstance(value, str):
			return value
		cell = WriteOnlyCell(self._sheet, value=ILLEGAL_CHARACTERS_RE.sub("", value))
		# A string cell is never evaluated, so '=SUM(...)' stays text without an apostrophe.
		cell.data_type = "s"
		return cell


def _csv_text(value: Any) -> str:
	if value is None:
		return ""
	if isinstance(value, bool):
		return "TRUE" if value else "FALSE"
	if isinstance(value, datetime.datetime):
		return value.isoformat(sep=" ")
	if isinstance(value, datetime.date | datetime.time):
		return value.isoformat()
	if isinstance(value, str):
		return neutralize_formula(value)
	return str(value)
