"""Real lead files for the tests, written the way spreadsheet programs write them."""

from __future__ import annotations

import csv
import datetime
from collections.abc import Sequence
from pathlib import Path
from typing import Any

HEADER = ["First Name", "Last Name", "Email Address", "Phone Number", "Company", "Lead Status"]


def write_csv(
	path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER, *, encoding: str = "utf-8"
) -> Path:
	with open(path, "w", encoding=encoding, newline="") as f:
		writer = csv.writer(f)
		writer.writerow(header)
		writer.writerows(rows)
	return path


def write_xlsx(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
	from openpyxl import Workbook

	book = Workbook()
	sheet = book.active
	sheet.title = "Leads"
	sheet.append(list(header))
	for row in rows:
		sheet.append(list(row))
	book.save(path)
	return path


def write_xls(path: Path, rows: Sequence[Sequence[Any]], header: Sequence[str] = HEADER) -> Path:
	import xlwt

	book = xlwt.Workbook()
	sheet = book.add_sheet("Leads")
	date_style = xlwt.easyxf(num_format_str="YYYY-MM-DD")
	for c, value in enumerate(header):
		sheet.write(0, c, value)
	for r, row in enumerate(rows, start=1):
		for c, value in enumerate(row):
			if isinstance(value, datetime.date):
				sheet.write(r, c, value, date_style)
			else:
				sheet.write(r, c, value)
	book.save(str(path))
	return path


def read_back(path: Path) -> list[list[str]]:
	"""The cells of a CSV or XLSX file as text, header first."""
	if path.suffix == ".csv":
		with open(path, encoding="utf-8-sig", newline="") as f:
			return [list(r) for r in csv.reader(f)]
	from openpyxl import load_workbook

	book = load_workbook(path, read_only=True)
	rows = [["" if v is None else str(v) for v in r] for r in book.active.iter_rows(values_only=True)]
	book.close()
	return rows
