"""What real spreadsheet files do that simple writers do not (issue 8), on files made here.

Each test stands for a class of file found in ../shared/real-files, so the class holds on files the
differential test (test_real_files.py) has never seen.
"""

from __future__ import annotations

import datetime

import pytest
import xlwt
from openpyxl import Workbook
from test_reading_xlsx import raw_xlsx

from intellicon_leads.importer.reading import FileRejected, open_table
from intellicon_leads.importer.reading import xls as xls_reader
from intellicon_leads.importer.reading.xlsx_package import xml_line_ends


def read(path, **options):
	with open_table(path, **options) as table:
		return table, [row.values for row in table.rows()]


def rejected(path, **options) -> str:
	with pytest.raises(FileRejected) as caught:
		open_table(path, **options)
	return str(caught.value)


def xlsx_book(path, sheets: dict[str, list[list]], formats: dict[str, str] | None = None):
	book = Workbook()
	book.remove(book.active)
	for name, rows in sheets.items():
		sheet = book.create_sheet(name)
		for row in rows:
			sheet.append(row)
		for ref, number_format in (formats or {}).items():
			sheet[ref].number_format = number_format
	book.save(path)
	return path


def xls_book(path, sheets: dict[str, list[list]], style: xlwt.XFStyle | None = None):
	book = xlwt.Workbook()
	for name, rows in sheets.items():
		sheet = book.add_sheet(name)
		for r, row in enumerate(rows):
			for c, value in enumerate(row):
				if value is not None:
					sheet.write(r, c, value, style) if style and r else sheet.write(r, c, value)
	book.save(str(path))
	return path


# -- Sheets: the first one with data ---------------------------------------------------------------------

LEADS = [["Name", "Email"], ["Ada", "ada@example.com"]]


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_empty_first_sheet_reads_the_first_sheet_with_data(tmp_path, suffix):
	write = xlsx_book if suffix == "xlsx" else xls_book
	path = write(tmp_path / f"leads.{suffix}", {"Cover": [], "Notes": [[None]], "Leads": LEADS})
	table, rows = read(path)
	assert (table.sheet, table.sheet_names) == ("Leads", ["Cover", "Notes", "Leads"])
	assert (table.header, rows) == (["Name", "Email"], [["Ada", "ada@example.com"]])


@pytest.mark.parametrize("suffix", ["xlsx", "xls"])
def test_workbook_of_empty_sheets_names_them(tmp_path, suffix):
	write = xlsx_book if suffix == "xlsx" else xls_book
	path = write(tmp_path / f"leads.{suffix}", {"Cover": [], "Back": []})
	assert 'every sheet ("Cover", "Back") is empty' in rejected(path)


def test_empty_sheet_chosen_by_name_is_named_and_not_skipped(tmp_path):
	path = xlsx_book(tmp_path / "leads.xlsx", {"Cover": [], "Leads": LEADS})
	assert rejected(path, sheet="Cover").startswith('Sheet "Cover" of leads.xlsx has no header row')


# -- XLS: what xlrd refuses ------------------------------------------------------------------------------


def test_xls_workbook_stream_named_in_upper_case(tmp_path):
	path = xls_book(tmp_path / "leads.xls", {"Leads": LEADS})
	data = path.read_bytes()
	name = "Workbook".encode("utf-16-le")
	assert data.count(name) == 1
	path.write_bytes(data.replace(name, "WORKBOOK".encode("utf-16-le")))
	table, rows = read(path)
	assert (table.header, rows) == (["Name", "Email"], [["Ada", "ada@example.com"]])


def test_xls_that_xlrd_cannot_open_is_read_by_calamine(tmp_path, monkeypatch):
	import xlrd

	def refuse(*args, **kwargs):
		raise xlrd.XLRDError("Workbook corruption: seen[2] == 4")

	monkeypatch.setattr(xlrd, "open_workbook", refuse)
	path = xls_book(tmp_path / "leads.xls", {"Cover": [], "Leads": [*LEADS, ["Bo", 12.0]]})
	table, rows = read(path)
	assert (table.format, table.sheet, table.sheet_names) == ("xls", "Leads", ["Cover", "Leads"])
	assert rows == [["Ada", "ada@example.com"], ["Bo", 12]]


def test_xls_that_no_reader_can_open_is_damaged(tmp_path, monkeypatch):
	path = xls_book(tmp_path / "leads.xls", {"Leads": LEADS})
	data = bytearray(path.read_bytes())
	data[600:2000] = b"\xff" * 1400
	path.write_bytes(bytes(data))
	assert "damaged" in rejected(path)


def test_xls_source_falls_back_only_when_xlrd_calls_the_file_damaged():
	assert issubclass(xls_reader.XlrdCannotRead, FileRejected)


# -- Cell types: durations, headers, out-of-range dates ---------------------------------------------------


def test_durations_read_as_elapsed_hours(tmp_path):
	rows = [["Name", "Talk time"], ["Ada", datetime.timedelta(hours=36, minutes=30)], ["Bo", 0.5]]
	path = xlsx_book(tmp_path / "calls.xlsx", {"Calls": rows}, {"B2": "[h]:mm:ss", "B3": "[mm]:ss"})
	assert read(path)[1] == [["Ada", "36:30:00"], ["Bo", "12:00:00"]]
	style = xlwt.easyxf(num_format_str="[h]:mm:ss")
	xls = xls_book(
		tmp_path / "calls.xls", {"Calls": [["Name", "Talk time"], ["Ada", 1.5208333333333333]]}, style
	)
	assert read(xls)[1] == [["Ada", "36:30:00"]]


def test_date_serial_beyond_year_9999_stays_the_number(tmp_path):
	path = xlsx_book(
		tmp_path / "dates.xlsx", {"Dates": [["Date"], [2994626], [45000.5]]}, {"A2": "yyyy-mm-dd"}
	)
	assert read(path)[1] == [[2994626], [45000.5]]


def test_booleans_and_times_in_the_header_row_read_as_excel_shows_them(tmp_path):
	path = xlsx_book(
		tmp_path / "odd.xlsx", {"Odd": [[True, False, datetime.time(10, 10, 10, 600_000)], [1, 2, 3]]}
	)
	assert read(path)[0].header == ["TRUE", "FALSE", "10:10:11"]


# -- XLSX text: CDATA, raw line ends, time-only t="d" cells ------------------------------------------------


def test_cdata_text_in_inline_shared_and_formula_strings(tmp_path):
	rows = (
		'<row r="1"><c r="A1" t="inlineStr"><is><t><![CDATA[Name]]></t></is></c>'
		'<c r="B1" t="s"><v>0</v></c><c r="C1" t="str"><f>X()</f><v><![CDATA[Notes]]></v></c></row>'
		'<row r="2"><c r="A2" t="inlineStr"><is><t><![CDATA[Ada & <Co>]]></t></is></c>'
		'<c r="B2" t="s"><v>1</v></c><c r="C2" t="inlineStr"><is><t>plain</t></is></c></row>'
	)
	shared = ["<si><t><![CDATA[Email]]></t></si>", "<si><t><![CDATA[ada@example.com]]></t></si>"]
	table, rows = read(raw_xlsx(tmp_path / "cdata.xlsx", rows, shared=shared))
	assert (table.header, rows) == (["Name", "Email", "Notes"], [["Ada & <Co>", "ada@example.com", "plain"]])


def test_raw_cr_lf_in_xlsx_text_is_one_line_break(tmp_path):
	rows = (
		'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Address</t></is></c></row>'
		'<row r="2"><c r="A2" t="s"><v>0</v></c>'
		'<c r="B2" t="inlineStr"><is><t xml:space="preserve">1 Main St\r\nSpringfield\rUSA_x000D_\r\n!</t></is></c></row>'
	)
	shared = ['<si><t xml:space="preserve">Ada\r\nLovelace</t></si>']
	assert read(raw_xlsx(tmp_path / "crlf.xlsx", rows, shared=shared))[1] == [
		["Ada\nLovelace", "1 Main St\nSpringfield\nUSA\r\n!"]
	]


def test_cr_at_the_end_of_a_chunk_waits_for_its_lf():
	first, carry = xml_line_ends("one\r")
	second, _ = xml_line_ends(carry + "\ntwo\r\rthree")
	assert (first + second) == "one\ntwo\n\nthree"


def test_time_only_iso_cells_read_as_times(tmp_path):
	rows = (
		'<row r="1"><c r="A1" t="inlineStr"><is><t>Time</t></is></c><c r="B1" t="inlineStr"><is><t>When</t></is></c></row>'
		'<row r="2"><c r="A2" t="d"><v>23:44:51.894</v></c><c r="B2" t="d"><v>2021-12-31T08:00:00</v></c></row>'
	)
	assert read(raw_xlsx(tmp_path / "times.xlsx", rows))[1] == [
		[datetime.time(23, 44, 51, 894_000), datetime.datetime(2021, 12, 31, 8)]
	]


# -- Text files: control characters, HTML whitespace, encodings --------------------------------------------


def test_csv_with_a_vertical_tab_and_a_nul_is_still_csv(tmp_path):
	path = tmp_path / "leads.csv"
	path.write_bytes(b'Name,Address\nAda,"1 Main St\x0bSpringfield"\nBo,x\x00y\n')
	assert read(path)[1] == [["Ada", "1 Main St\x0bSpringfield"], ["Bo", "x\x00y"]]


def test_html_table_cells_collapse_source_whitespace_like_a_browser(tmp_path):
	path = tmp_path / "export.xls"
	path.write_text(
		"<table><tr><th>Name\n   </th><th>Address</th></tr>"
		"<tr><td colspan='2\"'>  Ada\n    Lovelace  </td></tr>"
		"<tr><td>Bo</td><td>1 Main St<br>\n   Springfield</td></tr></table>"
	)
	table, rows = read(path)
	assert (table.header, rows) == (
		["Name", "Address"],
		[["Ada Lovelace", ""], ["Bo", "1 Main St\nSpringfield"]],
	)


@pytest.mark.parametrize("codec", ["utf-32-le", "utf-32-be"])
def test_utf32_without_bom(tmp_path, codec):
	path = tmp_path / "leads.csv"
	path.write_bytes("Name,City\nRenée,Zürich\n".encode(codec))
	table, rows = read(path)
	assert (table.encoding, rows) == (codec, [["Renée", "Zürich"]])


GREEK = "Όνομα,Πόλη\nΓιάννης Παπαδόπουλος,Θεσσαλονίκη\nΜαρία Κωνσταντίνου,Ηράκλειο\n"
RUSSIAN = "Имя,Город\nИван Петров,Москва\nОльга Смирнова,Новосибирск\n"


@pytest.mark.parametrize(("text", "codec"), [(GREEK, "cp1253"), (RUSSIAN, "cp1251")])
def test_greek_and_cyrillic_code_pages_are_detected(tmp_path, text, codec):
	path = tmp_path / "leads.csv"
	path.write_bytes(text.encode(codec))
	table, rows = read(path)
	assert (table.encoding, table.encoding_confident) == (codec, True)
	assert [table.header, *rows] == [line.split(",") for line in text.splitlines()]


def test_unsure_encoding_is_said_and_the_users_choice_is_read(tmp_path):
	path = tmp_path / "tiny.csv"
	path.write_bytes("id,name\n1,Λεωνιδας\n".encode("iso-8859-7"))
	with open_table(path) as table:
		assert table.encoding_confident is False
	table, rows = read(path, encoding="iso-8859-7")
	assert (table.encoding, table.encoding_confident, rows) == ("iso-8859-7", True, [["1", "Λεωνιδας"]])


def test_preview_carries_the_encoding_and_whether_it_is_sure(tmp_path):
	from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
	from intellicon_leads.importer.preview import preview_file

	path = tmp_path / "tiny.csv"
	path.write_bytes("id,name\n1,Λεωνιδας\n".encode("iso-8859-7"))
	shown = preview_file(path, DEFAULT_LEAD_SCHEMA).to_dict()
	assert (shown["encoding"], shown["encoding_confident"]) == ("cp1252", False)
	chosen = preview_file(path, DEFAULT_LEAD_SCHEMA, encoding="windows-1253").to_dict()
	assert (chosen["encoding"], chosen["encoding_confident"], chosen["rows"][0]["values"]) == (
		"windows-1253",
		True,
		["1", "Λεωνιδας"],
	)


def test_unknown_encoding_name_is_refused_with_choices(tmp_path):
	path = tmp_path / "leads.csv"
	path.write_text("a,b\n1,2\n")
	assert rejected(path, encoding="klingon").startswith('"klingon" is not an encoding we know. Choose one')
