from __future__ import annotations

import datetime

from lead_files import read_back

from intellicon_leads.importer.failed import FailedRecordsWriter, failed_file_format, neutralize_formula
from intellicon_leads.importer.reading import open_table


def test_csv_uploads_get_csv_failed_files_and_spreadsheets_get_xlsx():
	assert [failed_file_format(f) for f in ("csv", "xlsx", "xls", "html")] == ["csv", "xlsx", "xlsx", "xlsx"]


def test_formula_prefixes_are_neutralised_in_csv():
	for text in ("=1+1", "+1 415", "-5", "@SUM(A1)", "\tx", "\rx"):
		assert neutralize_formula(text) == "'" + text
	assert neutralize_formula("Ann") == "Ann"
	assert neutralize_formula("'=x") == "''=x"
	assert neutralize_formula("'quoted") == "'quoted"


def test_values_that_look_neutralised_already_round_trip_through_csv(tmp_path):
	path = tmp_path / "failed.csv"
	originals = ["'=x", "=x", "'+1", "'quoted", "-5"]
	with FailedRecordsWriter(path, ["A", "B", "C", "D", "E"], "csv") as writer:
		writer.add(2, originals, [], "Row 2: bad")
	with open_table(path) as table:
		[row] = list(table.rows())
	assert row.values[2:] == originals


def test_csv_failed_file_reads_back_with_original_values(tmp_path):
	path = tmp_path / "failed.csv"
	with FailedRecordsWriter(path, ["Name", "Phone", "When"], "csv") as writer:
		writer.add(7, ["Zoë", "+1 415", datetime.date(2024, 3, 15)], [], "Row 7: bad")
	assert read_back(path) == [
		["Row", "Error", "Name", "Phone", "When"],
		["7", "Row 7: bad", "Zoë", "'+1 415", "2024-03-15"],
	]
	with open_table(path) as table:
		[row] = list(table.rows())
	assert row.values == ["7", "Row 7: bad", "Zoë", "+1 415", "2024-03-15"]


def test_xlsx_failed_file_keeps_types_and_never_writes_formulas(tmp_path):
	path = tmp_path / "failed.xlsx"
	with FailedRecordsWriter(path, ["Name", "Formula", "Amount"], "xlsx") as writer:
		writer.add(3, ["Ann\x07", '=HYPERLINK("http://x")', 12.5], [], "Row 3: bad")
	from openpyxl import load_workbook

	sheet = load_workbook(path).active
	assert [c.value for c in sheet[2]] == [3, "Row 3: bad", "Ann", '=HYPERLINK("http://x")', 12.5]
	assert sheet["D2"].data_type == "s"
