"""Reading CSV and HTML files, detecting formats from their bytes, and refusing what cannot be read."""

from __future__ import annotations

import codecs
import inspect
import os
import random

import pytest

from intellicon_leads.importer.reading import MAX_FILE_SIZE, FileRejected, Row, Table, open_table

HEADER = "First Name,Last Name,Email,Phone\r\n"


def write(tmp_path, name: str, content: str | bytes, encoding: str = "utf-8"):
	path = tmp_path / name
	path.write_bytes(content if isinstance(content, bytes) else content.encode(encoding))
	return path


def read(path, **options) -> tuple[Table, list[Row]]:
	with open_table(path, **options) as table:
		return table, list(table.rows())


def values(rows: list[Row]) -> list[list]:
	return [row.values for row in rows]


# -- CSV basics -------------------------------------------------------------------------------------


def test_csv_header_and_rows(tmp_path):
	path = write(
		tmp_path, "leads.csv", HEADER + "Ann,Lee,ann@example.com,4155550100\r\nBob,Ray,bob@example.com,\r\n"
	)
	table, rows = read(path)
	assert (table.format, table.encoding, table.delimiter) == ("csv", "utf-8", ",")
	assert table.header == ["First Name", "Last Name", "Email", "Phone"]
	assert table.header_row == 1
	assert table.sheet_names == [] and table.sheet is None
	assert table.size == os.path.getsize(path)
	assert table.warnings == []
	assert rows == [
		Row(2, ["Ann", "Lee", "ann@example.com", "4155550100"], ()),
		Row(3, ["Bob", "Ray", "bob@example.com", ""], ()),
	]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
def test_csv_delimiter_is_sniffed(tmp_path, delimiter):
	lines = [
		["Name", "Company", "Revenue", "Notes"],
		["Ann", "Acme, Inc.", "1,5", "likes; semicolons"],
		["Bob", "Beta|Gamma", "2,5", "tab\there"],
		["Cy", "Delta", "3", ""],
	]
	# Cells holding the other candidates are quoted, the way spreadsheet programs write them.
	text = "".join(
		delimiter.join(f'"{c}"' if any(d in c for d in ",;\t|") else c for c in line) + "\n" for line in lines
	)
	table, rows = read(write(tmp_path, "leads.csv", text))
	assert table.delimiter == delimiter
	assert table.header == lines[0]
	assert values(rows) == lines[1:]


def test_semicolon_file_with_decimal_commas_is_semicolon(tmp_path):
	text = "Name;Revenue;City\nAnn;1,5;Paris\nBob;2,75;Lyon\nCy;3;Nice\n"
	table, rows = read(write(tmp_path, "leads.csv", text))
	assert table.delimiter == ";"
	assert values(rows)[0] == ["Ann", "1,5", "Paris"]


def test_single_column_csv(tmp_path):
	table, rows = read(write(tmp_path, "emails.csv", "Email\nann@example.com\nbob@example.com\n"))
	assert table.header == ["Email"]
	assert values(rows) == [["ann@example.com"], ["bob@example.com"]]


def test_quoted_newlines_and_doubled_quotes_are_one_row(tmp_path):
	text = HEADER + 'Ann,"Lee\r\nSecond line",ann@example.com,"say ""hi"""\r\nBob,Ray,bob@example.com,1\r\n'
	_, rows = read(write(tmp_path, "leads.csv", text))
	assert rows[0] == Row(2, ["Ann", "Lee\r\nSecond line", "ann@example.com", 'say "hi"'], ())
	# A quoted multi-line cell is one record, so the next row is row 3.
	assert rows[1].number == 3


def test_crlf_lf_and_missing_final_newline(tmp_path):
	_, rows = read(write(tmp_path, "leads.csv", "A,B\r\n1,2\n3,4\r\n5,6"))
	assert values(rows) == [["1", "2"], ["3", "4"], ["5", "6"]]


def test_old_mac_line_endings(tmp_path):
	_, rows = read(write(tmp_path, "leads.csv", "A,B\r1,2\r3,4\r"))
	assert values(rows) == [["1", "2"], ["3", "4"]]


def test_ragged_rows_are_padded_and_extra_cells_kept_apart(tmp_path):
	text = "A,B,C\n1\n1,2,3,4,,5\n1,2,3,,,\n"
	_, rows = read(write(tmp_path, "leads.csv", text))
	assert rows == [
		Row(2, ["1", None, None], ()),
		Row(3, ["1", "2", "3"], ["4", "5"]),
		Row(4, ["1", "2", "3"], ()),
	]


def test_blank_rows_are_skipped_but_counted(tmp_path):
	text = "A,B\n1,2\n\n,\n  ,\t\n3,4\n"
	_, rows = read(write(tmp_path, "leads.csv", text))
	assert [(r.number, r.values) for r in rows] == [(2, ["1", "2"]), (6, ["3", "4"])]


def test_header_below_blank_rows(tmp_path):
	table, rows = read(write(tmp_path, "leads.csv", "\n,,\nName,Email\nAnn,a@x.com\n"))
	assert table.header == ["Name", "Email"]
	assert table.header_row == 3
	assert rows == [Row(4, ["Ann", "a@x.com"], ())]


def test_header_cells_are_stripped_and_gaps_warned(tmp_path):
	table, _ = read(write(tmp_path, "leads.csv", " Name ,,Email,email,,\nAnn,x,a@x.com,b@x.com\n"))
	assert table.header == ["Name", "", "Email", "email"]
	assert table.warnings == [
		"Column B has no header; it will be skipped unless you map it.",
		'Columns C and D have the same header "Email"; check that each is mapped to the field you mean.',
	]


def test_apostrophe_before_formula_characters_is_removed(tmp_path):
	text = "A,B,C,D,E,F,G\n'=SUM(A1),'+1 415,'-5,'@handle,'hello,',''=x\n"
	_, rows = read(write(tmp_path, "failed.csv", text))
	assert rows[0].values == ["=SUM(A1)", "+1 415", "-5", "@handle", "'hello", "'", "'=x"]


def test_apostrophe_prefix_is_removed_deep_in_a_large_file(tmp_path):
	filler = "".join(f"name{i},plain{i}\n" for i in range(100_000))
	_, rows = read(write(tmp_path, "failed.csv", "A,B\n" + filler + "'=1+2,'@x\n"))
	assert len(rows) == 100_001
	assert rows[0].values == ["name0", "plain0"]
	assert rows[-1].values == ["=1+2", "@x"]


def test_preview_stops_after_limit(tmp_path):
	path = write(tmp_path, "leads.csv", "A\n" + "".join(f"{i}\n" for i in range(1000)))
	with open_table(path) as table:
		preview = table.preview(5)
		assert [r.values[0] for r in preview] == ["0", "1", "2", "3", "4"]
		assert [r.number for r in preview] == [2, 3, 4, 5, 6]
		# Reading the rows afterwards starts from the top again.
		assert next(table.rows()).values == ["0"]


def test_progress_goes_from_zero_to_one(tmp_path):
	path = write(tmp_path, "leads.csv", "A,B\n" + "".join(f"{i},x\n" for i in range(300_000)))
	with open_table(path) as table:
		assert table.progress() == 0.0
		seen = []
		for row in table.rows():
			if row.number % 50_000 == 0:
				seen.append(table.progress())
		assert 0 < seen[0] < seen[-1] <= 1
		assert table.progress() == 1.0


# -- Encodings ---------------------------------------------------------------------------------------

ACCENTED = "Name,City\nJosé,Zürich\nRenée’s café,€ 100\n"


@pytest.mark.parametrize(
	"encoding, content, reported",
	[
		("utf-8", ACCENTED.encode(), "utf-8"),
		("utf-8-sig", codecs.BOM_UTF8 + ACCENTED.encode(), "utf-8-sig"),
		("cp1252", ACCENTED.encode("cp1252"), "cp1252"),
		("utf-16 with BOM", ACCENTED.replace(",", "\t").encode("utf-16"), "utf-16"),
		("utf-16-le no BOM", ACCENTED.encode("utf-16-le"), "utf-16-le"),
		("utf-16-be no BOM", ACCENTED.encode("utf-16-be"), "utf-16-be"),
	],
)
def test_encodings(tmp_path, encoding, content, reported):
	table, rows = read(write(tmp_path, "leads.csv", content))
	assert table.encoding == reported
	assert table.header == ["Name", "City"]
	assert values(rows) == [["José", "Zürich"], ["Renée’s café", "€ 100"]]


def test_latin1_file(tmp_path):
	table, rows = read(
		write(tmp_path, "leads.csv", "Name;Street\nJürgen;Straße 5\nAnaïs;Rue d'Été\n", "latin-1")
	)
	assert table.encoding == "cp1252"
	assert values(rows) == [["Jürgen", "Straße 5"], ["Anaïs", "Rue d'Été"]]


def test_cp1252_bytes_after_megabytes_of_ascii(tmp_path):
	ascii_part = "".join(f"lead{i},city{i}\n" for i in range(150_000)).encode()
	assert len(ascii_part) > 2 * 1024 * 1024
	path = write(tmp_path, "leads.csv", b"Name,City\n" + ascii_part + "Zoë,Köln ’€\n".encode("cp1252"))
	_, rows = read(path)
	assert rows[-1].values == ["Zoë", "Köln ’€"]


def test_utf8_with_a_stray_cp1252_byte(tmp_path):
	content = "Name,City\nJosé,Zürich\n".encode() + "Müller,Graz\n".encode("cp1252")
	_, rows = read(write(tmp_path, "leads.csv", content))
	assert values(rows) == [["José", "Zürich"], ["Müller", "Graz"]]


def test_cp1252_undefined_bytes_fall_back_to_latin1(tmp_path):
	_, rows = read(write(tmp_path, "leads.csv", b"A\nx\x81y\x9dz\xe9\n"))
	assert rows[0].values == ["x\x81y\x9dzé"]


# -- HTML tables (web apps' "Excel" exports) ----------------------------------------------------------

HTML_EXPORT = """<html><head><meta charset="utf-8"><title>Export</title>
<style>td { color: red }</style></head><body>
<table border="1">
<tr><th>Name</th><th>Email</th><th>Notes</th></tr>
<tr><td>Ann &amp; Co</td><td>ann@example.com</td><td>line one<br>line  two</td></tr>
<tr><td></td><td></td><td></td></tr>
<tr><td colspan="2">Bob Wide</td><td>&eacute;t&eacute; &#8364;5</td>
<tr><td>Cy<td>cy@example.com<td>no closing tags
</table><table><tr><td>second table</td></tr></table>
</body></html>"""


def test_html_table_saved_as_xls(tmp_path):
	table, rows = read(write(tmp_path, "export.xls", HTML_EXPORT))
	assert table.format == "html"
	assert table.header == ["Name", "Email", "Notes"]
	assert rows == [
		Row(2, ["Ann & Co", "ann@example.com", "line one\nline two"], ()),
		Row(4, ["Bob Wide", "", "été €5"], ()),
		Row(5, ["Cy", "cy@example.com", "no closing tags"], ()),
	]


def test_html_in_windows_1252(tmp_path):
	page = '<html><head><meta http-equiv="Content-Type" content="text/html; charset=windows-1252"></head>'
	page += "<body><table><tr><td>Name</td></tr><tr><td>Zoë’s</td></tr></table></body></html>"
	table, rows = read(write(tmp_path, "export.xls", page, "cp1252"))
	assert (table.format, table.encoding) == ("html", "cp1252")
	assert values(rows) == [["Zoë’s"]]


def test_web_page_without_a_table_is_refused(tmp_path):
	path = write(tmp_path, "export.xls", "<html><body><p>Session expired, please log in.</p></body></html>")
	with pytest.raises(FileRejected, match=r"export\.xls is a web page without a table of leads"):
		open_table(path)


# -- Formats decided by content -----------------------------------------------------------------------


def test_csv_named_xlsx_is_read_as_csv(tmp_path):
	table, rows = read(write(tmp_path, "leads.xlsx", "Name,Email\nAnn,a@x.com\n"))
	assert table.format == "csv"
	assert values(rows) == [["Ann", "a@x.com"]]


def test_tab_separated_text_named_xls_is_read_as_text(tmp_path):
	table, rows = read(write(tmp_path, "leads.xls", "Name\tEmail\nAnn\ta@x.com\n".encode("utf-16")))
	assert (table.format, table.delimiter, table.encoding) == ("csv", "\t", "utf-16")
	assert values(rows) == [["Ann", "a@x.com"]]


def test_random_bytes_named_csv_are_refused(tmp_path):
	path = write(tmp_path, "leads.csv", random.Random(7).randbytes(20_000))
	with pytest.raises(FileRejected) as caught:
		open_table(path)
	assert str(caught.value) == (
		"leads.csv is not a CSV, XLSX or XLS file. "
		"Open it in your spreadsheet program, save it as CSV or XLSX and upload that."
	)


def test_pdf_named_csv_says_what_it_is(tmp_path):
	path = write(tmp_path, "leads.csv", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n")
	with pytest.raises(
		FileRejected, match=r"leads\.csv is not a CSV, XLSX or XLS file \(it looks like a PDF document\)"
	):
		open_table(path)


def test_spreadsheetml_2003_is_refused(tmp_path):
	xml = (
		'<?xml version="1.0"?>\n<?mso-application progid="Excel.Sheet"?>\n'
		'<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" '
		'xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"><Worksheet ss:Name="Leads"><Table>'
		'<Row><Cell><Data ss:Type="String">Name</Data></Cell></Row></Table></Worksheet></Workbook>'
	)
	with pytest.raises(FileRejected) as caught:
		open_table(write(tmp_path, "leads.xml", xml))
	assert str(caught.value) == (
		"leads.xml is an Excel 2003 XML Spreadsheet, which cannot be imported. "
		"Open it in Excel, save it as XLSX (Excel Workbook) or CSV and upload that."
	)


def test_filename_is_used_in_messages(tmp_path):
	path = write(tmp_path, "upload-8f3a.bin", random.Random(1).randbytes(5000))
	with pytest.raises(FileRejected, match=r"^My Leads\.csv is not a CSV"):
		open_table(path, filename="My Leads.csv")


# -- Empty and oversized files ------------------------------------------------------------------------


def test_empty_file_is_refused(tmp_path):
	with pytest.raises(FileRejected) as caught:
		open_table(write(tmp_path, "leads.csv", b""))
	assert str(caught.value) == "leads.csv is empty. Choose a file with a header row and at least one lead."


def test_file_of_blank_lines_has_no_header(tmp_path):
	with pytest.raises(FileRejected) as caught:
		open_table(write(tmp_path, "leads.csv", "\r\n,,,\r\n \r\n"))
	assert str(caught.value) == (
		"leads.csv has no header row: every row is empty. "
		"Put the column names in the first row, add your leads below them and upload it again."
	)


def test_header_only_file_has_no_rows(tmp_path):
	table, rows = read(write(tmp_path, "leads.csv", "Name,Email\n"))
	assert table.header == ["Name", "Email"] and rows == []


def test_oversized_file_is_refused_before_parsing(tmp_path):
	path = tmp_path / "huge.csv"
	with open(path, "wb") as file:
		# A sparse file: 61.2 MB on paper, nothing on disk, and NUL bytes that would fail any parse.
		file.truncate(int(61.2 * 1024 * 1024))
	with pytest.raises(FileRejected) as caught:
		open_table(path)
	assert str(caught.value) == (
		"The file is 61.2 MB, larger than the 50 MB limit. Split it into smaller batches and import them one by one."
	)


def test_max_size_parameter(tmp_path):
	path = write(tmp_path, "leads.csv", "Name\n" + "Ann\n" * 600)
	with pytest.raises(FileRejected) as caught:
		open_table(path, max_size=1024)
	assert str(caught.value) == (
		"The file is 2.3 KB, larger than the 1 KB limit. Split it into smaller batches and import them one by one."
	)
	with open_table(path, max_size=4096) as table:
		assert table.header == ["Name"]


def test_default_limit_is_50_mb():
	assert MAX_FILE_SIZE == 50 * 1024 * 1024
	assert inspect.signature(open_table).parameters["max_size"].default == MAX_FILE_SIZE


def test_missing_file(tmp_path):
	with pytest.raises(FileRejected, match=r"gone\.csv could not be found"):
		open_table(tmp_path / "gone.csv")
