"""Reading legacy .xls workbooks (BIFF8) through xlrd, and files LibreOffice writes when it is installed."""

from __future__ import annotations

import datetime
import shutil
import subprocess

import pytest
import xlwt

from intellicon_leads.importer.reading import FileRejected, Row, open_table


def xls_book(path, sheets: dict[str, list[list]]):
	book = xlwt.Workbook()
	styles = {
		datetime.datetime: xlwt.easyxf(num_format_str="YYYY-MM-DD hh:mm"),
		datetime.date: xlwt.easyxf(num_format_str="DD/MM/YYYY"),
		datetime.time: xlwt.easyxf(num_format_str="hh:mm:ss"),
	}
	for name, rows in sheets.items():
		sheet = book.add_sheet(name)
		for r, row in enumerate(rows):
			for c, value in enumerate(row):
				if value is None:
					continue
				style = styles.get(type(value))
				sheet.write(r, c, value, style) if style else sheet.write(r, c, value)
	book.save(str(path))
	return path


def read(path, **options):
	with open_table(path, **options) as table:
		return table, list(table.rows())


def test_xls_numbers_dates_and_text(tmp_path):
	path = xls_book(
		tmp_path / "leads.xls",
		{
			"Leads": [
				["Name", "Phone", "Score", "Created", "Met", "Call", "Active"],
				[
					"Zoë",
					4155550100,
					2.5,
					datetime.date(2024, 3, 5),
					datetime.datetime(2024, 3, 5, 14, 30),
					datetime.time(9, 15),
					True,
				],
				[],
				[
					"Bob",
					7,
					-1.25,
					datetime.date(1999, 12, 31),
					datetime.datetime(2000, 1, 1),
					datetime.time(0, 0, 1),
					False,
					"extra",
				],
			]
		},
	)
	table, rows = read(path)
	assert (table.format, table.sheet, table.sheet_names, table.encoding) == ("xls", "Leads", ["Leads"], None)
	assert table.header == ["Name", "Phone", "Score", "Created", "Met", "Call", "Active"]
	assert rows == [
		Row(
			2,
			[
				"Zoë",
				4155550100,
				2.5,
				datetime.date(2024, 3, 5),
				datetime.datetime(2024, 3, 5, 14, 30),
				datetime.time(9, 15),
				True,
			],
			(),
		),
		Row(
			4,
			[
				"Bob",
				7,
				-1.25,
				datetime.date(1999, 12, 31),
				datetime.datetime(2000, 1, 1),
				datetime.time(0, 0, 1),
				False,
			],
			["extra"],
		),
	]
	assert type(rows[0].values[1]) is int


def test_xls_second_sheet_and_unknown_sheet(tmp_path):
	path = xls_book(
		tmp_path / "leads.xls", {"First": [["A"], ["1"]], "Second": [[None, "Email"], [None, "a@x.com"]]}
	)
	table, rows = read(path, sheet="Second")
	assert (table.sheet, table.header, rows) == ("Second", ["", "Email"], [Row(2, [None, "a@x.com"], ())])
	with pytest.raises(FileRejected) as caught:
		open_table(path, sheet="Third")
	assert (
		str(caught.value) == 'leads.xls has no sheet called "Third". Choose one of its sheets: First, Second.'
	)


def test_truncated_xls_is_refused(tmp_path):
	path = xls_book(tmp_path / "leads.xls", {"Leads": [["Name"]] + [[f"Lead {i}"] for i in range(3000)]})
	data = path.read_bytes()
	path.write_bytes(data[: len(data) // 2])
	with pytest.raises(
		FileRejected, match=r"^leads\.xls is damaged or incomplete and cannot be read\. Open it in Excel"
	):
		with open_table(path) as table:
			list(table.rows())


@pytest.mark.parametrize("marker", [b"\xff\xfe", b"\x00\x00"], ids=["FF FE", "00 00"])
def test_xls_with_a_wrong_byte_order_marker_reads_the_rows_written(tmp_path, marker):
	written = [["Name", "Email", "Met"], ["Ada", "ada@example.com", datetime.date(2024, 3, 5)], ["Bo", 12]]
	path = xls_book(tmp_path / "leads.xls", {"Leads": written})
	data = path.read_bytes()
	# The compound file header's byte-order field (0x1C) must be FE FF; Excel opens the file whatever it says.
	path.write_bytes(data[:0x1C] + marker + data[0x1E:])
	table, rows = read(path)
	assert (table.format, table.header) == ("xls", written[0])
	assert [row.values for row in rows] == [written[1], [*written[2], None]]


SOFFICE = shutil.which("soffice") or shutil.which("libreoffice")


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("target", ["xlsx", "xls"])
def test_files_saved_by_libreoffice(tmp_path, target):
	source = tmp_path / "leads.csv"
	source.write_text(
		"Name,Phone,Created\nZoë,4155550100,2024-03-05\nBob,7,2024-03-06 10:30\n", encoding="utf-8"
	)
	subprocess.run(
		# The filter options say: comma separated, double-quoted, UTF-8 (76), data from line 1.
		[
			SOFFICE,
			"--headless",
			"--infilter=CSV:44,34,76,1",
			"--convert-to",
			target,
			"--outdir",
			str(tmp_path),
			str(source),
		],
		check=True,
		capture_output=True,
		timeout=120,
	)
	table, rows = read(tmp_path / f"leads.{target}")
	assert (table.format, table.header) == (target, ["Name", "Phone", "Created"])
	assert rows[0].values[:2] == ["Zoë", 4155550100]
	assert rows[0].values[2] == datetime.date(2024, 3, 5)
	assert rows[1].values[2] == datetime.datetime(2024, 3, 6, 10, 30)


def soffice_convert(source, target: str, out_dir) -> None:
	out_dir.mkdir(exist_ok=True)
	subprocess.run(
		[SOFFICE, "--headless", "--convert-to", target, "--outdir", str(out_dir), str(source)],
		check=True,
		capture_output=True,
		timeout=120,
	)


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("target", ["xlsx", "xls"])
def test_typed_workbook_resaved_by_libreoffice(tmp_path, target):
	from openpyxl import Workbook

	book = Workbook()
	sheet = book.active
	sheet.title = "Leads"
	sheet.append(["Name", "Phone", "Score", "Active", "Created", "Met"])
	sheet.append(
		["Ann & Co", 4155550100, 1.5, True, datetime.date(2024, 3, 5), datetime.datetime(2024, 3, 5, 14, 30)]
	)
	sheet.append([])
	sheet.append(["Bob", 7, -2, False, datetime.date(1999, 12, 31), datetime.datetime(2000, 1, 1, 8)])
	book.create_sheet("Notes").append(["ignored"])
	book.save(tmp_path / "typed.xlsx")
	soffice_convert(tmp_path / "typed.xlsx", target, tmp_path / "out")
	table, rows = read(tmp_path / "out" / f"typed.{target}")
	assert (table.format, table.sheet_names) == (target, ["Leads", "Notes"])
	assert rows == [
		Row(
			2,
			[
				"Ann & Co",
				4155550100,
				1.5,
				True,
				datetime.date(2024, 3, 5),
				datetime.datetime(2024, 3, 5, 14, 30),
			],
			(),
		),
		Row(4, ["Bob", 7, -2, False, datetime.date(1999, 12, 31), datetime.datetime(2000, 1, 1, 8)], ()),
	]


@pytest.mark.skipif(not SOFFICE, reason="LibreOffice (soffice) is not installed")
def test_ods_saved_by_libreoffice_is_refused(tmp_path):
	source = tmp_path / "leads.csv"
	source.write_text("Name\nAnn\n", encoding="utf-8")
	soffice_convert(source, "ods", tmp_path / "out")
	with pytest.raises(
		FileRejected, match=r"^leads\.ods is an OpenDocument spreadsheet \(\.ods\)\. Open it in"
	):
		open_table(tmp_path / "out" / "leads.ods")
