"""Reading XLSX workbooks: cell types, sheets, dates and the XML variants different programs write."""

from __future__ import annotations

import datetime
import zipfile
from xml.sax.saxutils import escape

import pytest
from openpyxl import Workbook
from openpyxl.utils.datetime import CALENDAR_MAC_1904

from intellicon_leads.importer.reading import FileRejected, Row, open_table

NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
PKG_REL = "http://schemas.openxmlformats.org/package/2006/relationships"
STYLES = (
	f'<styleSheet xmlns="{NS}"><numFmts count="2">'
	'<numFmt numFmtId="164" formatCode="dd/mm/yyyy\\ hh:mm"/><numFmt numFmtId="165" formatCode="&quot;Q&quot;0.00"/>'
	'</numFmts><cellXfs count="6"><xf numFmtId="0"/><xf numFmtId="14"/><xf numFmtId="164"/>'
	'<xf numFmtId="165"/><xf numFmtId="21"/><xf numFmtId="49"/></cellXfs></styleSheet>'
)
DATE, DATETIME, QUOTED_NUMBER, TIME = 1, 2, 3, 4


def raw_xlsx(
	path,
	rows_xml: str,
	*,
	shared: list[str] | None = None,
	styles: str = STYLES,
	workbook_pr: str = "",
	sheet_part: str = "xl/worksheets/data.xml",
	sheet_xml: str | None = None,
	extra_sheets: dict[str, str] | None = None,
):
	"""A minimal XLSX written by hand, to control the exact XML a reader meets."""
	sheets = {
		"Leads": (
			sheet_part,
			sheet_xml or f'<worksheet xmlns="{NS}"><sheetData>{rows_xml}</sheetData></worksheet>',
		)
	}
	for i, (name, xml) in enumerate((extra_sheets or {}).items()):
		sheets[name] = (
			f"xl/worksheets/other{i}.xml",
			f'<worksheet xmlns="{NS}"><sheetData>{xml}</sheetData></worksheet>',
		)
	rels = [f'<Relationship Id="rIdStyles" Type="{REL}/styles" Target="styles.xml"/>']
	entries = []
	for i, (name, (part, _)) in enumerate(sheets.items()):
		rels.append(f'<Relationship Id="rId{i}" Type="{REL}/worksheet" Target="/{part}"/>')
		entries.append(f'<sheet name="{escape(name)}" sheetId="{i + 1}" r:id="rId{i}"/>')
	if shared is not None:
		rels.append(f'<Relationship Id="rIdStrings" Type="{REL}/sharedStrings" Target="strings.xml"/>')
	with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
		book.writestr(
			"[Content_Types].xml",
			'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>',
		)
		book.writestr(
			"_rels/.rels",
			f'<Relationships xmlns="{PKG_REL}"><Relationship Id="r1" Type="{REL}/officeDocument" Target="xl/book.xml"/></Relationships>',
		)
		book.writestr(
			"xl/book.xml",
			f'<workbook xmlns="{NS}" xmlns:r="{REL}">{workbook_pr}<sheets>{"".join(entries)}</sheets></workbook>',
		)
		book.writestr(
			"xl/_rels/book.xml.rels", f'<Relationships xmlns="{PKG_REL}">{"".join(rels)}</Relationships>'
		)
		book.writestr("xl/styles.xml", styles)
		for part, xml in sheets.values():
			book.writestr(part, xml)
		if shared is not None:
			book.writestr("xl/strings.xml", f'<sst xmlns="{NS}">{"".join(shared)}</sst>')
	return path


def read(path, **options):
	with open_table(path, **options) as table:
		return table, list(table.rows())


def values(rows):
	return [row.values for row in rows]


# -- Workbooks written by openpyxl ----------------------------------------------------------------------


def openpyxl_book(path, rows, title="Leads", *, epoch=None, more_sheets=None):
	book = Workbook()
	if epoch:
		book.epoch = epoch
	sheet = book.active
	sheet.title = title
	for row in rows:
		sheet.append(row)
	for name, sheet_rows in (more_sheets or {}).items():
		other = book.create_sheet(name)
		for row in sheet_rows:
			other.append(row)
	book.save(path)
	return path


def test_xlsx_cell_types(tmp_path):
	when = datetime.datetime(2024, 3, 5, 14, 30)
	path = openpyxl_book(
		tmp_path / "leads.xlsx",
		[
			["Name", "Phone", "Score", "Active", "Created", "Met at", "Call time", "Note"],
			[
				"Ann & <Co>",
				4155550100,
				1.5,
				True,
				datetime.date(2024, 3, 5),
				when,
				datetime.time(9, 15),
				None,
			],
			[
				"Bob",
				14155550100123,
				-2,
				False,
				datetime.date(1999, 12, 31),
				when.replace(hour=0, minute=0),
				datetime.time(23, 59, 59),
				"  spaced  ",
			],
		],
	)
	table, rows = read(path)
	assert (table.format, table.sheet, table.sheet_names, table.encoding, table.delimiter) == (
		"xlsx",
		"Leads",
		["Leads"],
		None,
		None,
	)
	assert table.header == ["Name", "Phone", "Score", "Active", "Created", "Met at", "Call time", "Note"]
	assert rows[0] == Row(
		2,
		["Ann & <Co>", 4155550100, 1.5, True, datetime.date(2024, 3, 5), when, datetime.time(9, 15), None],
		(),
	)
	assert rows[1].values[:4] == ["Bob", 14155550100123, -2, False]
	assert type(rows[0].values[1]) is int
	assert rows[1].values[4:] == [
		datetime.date(1999, 12, 31),
		datetime.datetime(2024, 3, 5),
		datetime.time(23, 59, 59),
		"  spaced  ",
	]


def test_second_sheet_by_name(tmp_path):
	path = openpyxl_book(
		tmp_path / "leads.xlsx", [["Ignore"], [1]], more_sheets={"March Leads": [["Email"], ["a@x.com"]]}
	)
	table, rows = read(path, sheet="March Leads")
	assert (table.sheet, table.sheet_names, table.header) == (
		"March Leads",
		["Leads", "March Leads"],
		["Email"],
	)
	assert rows == [Row(2, ["a@x.com"], ())]


def test_unknown_sheet_lists_the_sheets(tmp_path):
	path = openpyxl_book(tmp_path / "leads.xlsx", [["A"]], more_sheets={"Other": [["B"]]})
	with pytest.raises(FileRejected) as caught:
		open_table(path, sheet="Missing")
	assert (
		str(caught.value)
		== 'leads.xlsx has no sheet called "Missing". Choose one of its sheets: Leads, Other.'
	)


def test_1904_workbook_dates(tmp_path):
	path = openpyxl_book(
		tmp_path / "mac.xlsx",
		[["Created", "Met"], [datetime.date(2024, 3, 5), datetime.datetime(2021, 1, 2, 3, 4, 5)]],
		epoch=CALENDAR_MAC_1904,
	)
	_, rows = read(path)
	assert rows[0].values == [datetime.date(2024, 3, 5), datetime.datetime(2021, 1, 2, 3, 4, 5)]


def test_blank_rows_and_header_not_on_row_one(tmp_path):
	book = Workbook()
	sheet = book.active
	sheet["B3"] = "Name"
	sheet["C3"] = "Email"
	sheet["B4"] = "Ann"
	sheet["B6"] = "   "
	sheet["C7"] = "cy@x.com"
	sheet["F7"] = "stray"
	book.save(tmp_path / "leads.xlsx")
	table, rows = read(tmp_path / "leads.xlsx")
	assert (table.header, table.header_row) == (["", "Name", "Email"], 3)
	assert table.warnings == ["Column A has no header; it will be skipped unless you map it."]
	assert rows == [Row(4, [None, "Ann", None], ()), Row(7, [None, None, "cy@x.com"], ["stray"])]


# -- Hand-written XML variants ----------------------------------------------------------------------------


def test_shared_strings_rich_text_and_escapes(tmp_path):
	shared = [
		"<si><t>Name</t></si>",
		"<si><t>Email</t></si>",
		"<si><t>Ann &amp; Bob &lt;sales&gt; &quot;A&quot; &apos;B&apos; &#233;&#x20AC;</t></si>",
		'<si><r><rPr><b/></rPr><t>Bold</t></r><r><t xml:space="preserve"> and plain</t></r></si>',
		'<si><t>東京</t><rPh sb="0" eb="2"><t>トウキョウ</t></rPh></si>',
		"<si><t>line_x000D_\nbreak</t></si>",
		"<si/>",
		'<si><t xml:space="preserve">  padded  </t></si>',
	]
	rows_xml = (
		'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
		'<row r="2"><c r="A2" t="s"><v>2</v></c><c r="B2" t="s"><v>3</v></c></row>'
		'<row r="3"><c r="A3" t="s"><v>4</v></c><c r="B3" t="s"><v>5</v></c></row>'
		'<row r="4"><c r="A4" t="s"><v>7</v></c><c r="B4" t="s"><v>6</v></c></row>'
	)
	_, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml, shared=shared))
	assert values(rows) == [
		["Ann & Bob <sales> \"A\" 'B' é€", "Bold and plain"],
		["東京", "line\r\nbreak"],
		["  padded  ", None],
	]


def test_inline_strings_formulas_errors_and_typed_cells(tmp_path):
	rows_xml = (
		'<row r="1"><c r="A1" t="inlineStr"><is><t>Name</t></is></c><c r="B1" t="inlineStr"><is><t>Total</t></is></c>'
		'<c r="C1" t="inlineStr"><is><t>Label</t></is></c><c r="D1" t="inlineStr"><is><t>Check</t></is></c>'
		'<c r="E1" t="inlineStr"><is><t>When</t></is></c><c r="F1" t="inlineStr"><is><t>Flag</t></is></c></row>'
		'<row r="2"><c r="A2" t="inlineStr"><is><r><t>Rich</t></r><r><rPr><i/></rPr><t xml:space="preserve"> inline &amp; more</t></r></is></c>'
		'<c r="B2"><f>SUM(X1:X9)</f><v>42</v></c>'
		'<c r="C2" t="str"><f>CONCAT("a","b")</f><v>ab &amp; c</v></c>'
		'<c r="D2" t="e"><f>VLOOKUP(1,Z:Z,2,0)</f><v>#N/A</v></c>'
		'<c r="E2" t="d"><v>2024-03-05T10:20:30</v></c>'
		'<c r="F2" t="b"><v>1</v></c></row>'
		'<row r="3"><c r="A3" t="inlineStr"><is><t>Shared formula</t></is></c>'
		'<c r="B3"><f t="shared" ref="B3:B4" si="0">A3*2</f><v>7.25</v></c>'
		'<c r="E3" t="d"><v>2024-03-06</v></c><c r="F3" t="b"><v>0</v></c></row>'
	)
	_, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml))
	assert values(rows) == [
		["Rich inline & more", 42, "ab & c", "#N/A", datetime.datetime(2024, 3, 5, 10, 20, 30), True],
		["Shared formula", 7.25, None, None, datetime.date(2024, 3, 6), False],
	]


def test_date_styles_from_builtin_and_custom_formats(tmp_path):
	rows_xml = (
		'<row r="1"><c r="A1" t="inlineStr"><is><t>Date</t></is></c><c r="B1" t="inlineStr"><is><t>Moment</t></is></c>'
		'<c r="C1" t="inlineStr"><is><t>Quoted</t></is></c><c r="D1" t="inlineStr"><is><t>Time</t></is></c>'
		'<c r="E1" t="inlineStr"><is><t>Text fmt</t></is></c></row>'
		f'<row r="2"><c r="A2" s="{DATE}"><v>45356</v></c><c r="B2" s="{DATETIME}"><v>45356.75</v></c>'
		f'<c r="C2" s="{QUOTED_NUMBER}"><v>12.5</v></c><c r="D2" s="{TIME}"><v>0.5</v></c><c r="E2" s="5"><v>4155550100</v></c></row>'
		f'<row r="3"><c r="A3" s="{DATE}"><v>45356.5</v></c><c r="B3" s="{DATETIME}"><v>45356</v></c>'
		f'<c r="C3" s="{QUOTED_NUMBER}"><v>3</v></c><c r="D3" s="{TIME}"><v>45356.25</v></c><c r="E3"><v>4.1555501E9</v></c></row>'
	)
	_, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml))
	assert values(rows) == [
		[datetime.date(2024, 3, 5), datetime.datetime(2024, 3, 5, 18), 12.5, datetime.time(12), 4155550100],
		[
			datetime.datetime(2024, 3, 5, 12),
			datetime.datetime(2024, 3, 5),
			3,
			datetime.datetime(2024, 3, 5, 6),
			4155550100,
		],
	]


def test_1904_flag_in_hand_written_workbook(tmp_path):
	rows_xml = f'<row r="1"><c r="A1" t="inlineStr"><is><t>D</t></is></c></row><row r="2"><c r="A2" s="{DATE}"><v>0</v></c></row>'
	_, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml, workbook_pr='<workbookPr date1904="true"/>'))
	assert rows[0].values == [datetime.date(1904, 1, 1)]


def test_attribute_order_quotes_missing_refs_and_self_closing(tmp_path):
	rows_xml = (
		'<row r="1" spans="1:3"><c t="inlineStr" r="A1"><is><t>A</t></is></c><c r=\'B1\' t=\'inlineStr\'><is><t>B</t></is></c>'
		'<c r="C1" t="inlineStr" s="0"><is><t>C</t></is></c></row>'
		'<row r="2"/>'
		'<row r="3" ht="20" customHeight="1"><c r="A3" s="0"/><c r="B3" cm="1"><v>5</v></c><c r="C3" t="n" ><v>6</v></c></row>'
		"<row><c><v>7</v></c><c/><c><v>9</v></c></row>"
		'<row r="7"><c r="C7"><v>3</v></c><c r="A7"><v>1</v></c></row>'
		'<row r="8" spans="1:3"></row>'
	)
	_, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml))
	assert rows == [Row(3, [None, 5, 6], ()), Row(4, [7, None, 9], ()), Row(7, [1, None, 3], ())]


def test_namespace_prefixed_sheet(tmp_path):
	sheet = (
		f'<x:worksheet xmlns:x="{NS}"><x:sheetData>'
		'<x:row r="1"><x:c r="A1" t="inlineStr"><x:is><x:t>Email</x:t></x:is></x:c></x:row>'
		'<x:row r="2"><x:c r="A2" t="inlineStr"><x:is><x:t>a@x.com</x:t></x:is></x:c><x:c r="B2"><x:v>2</x:v></x:c></x:row>'
		"</x:sheetData></x:worksheet>"
	)
	table, rows = read(raw_xlsx(tmp_path / "book.xlsx", "", sheet_xml=sheet))
	assert table.header == ["Email"]
	assert rows == [Row(2, ["a@x.com"], [2])]


def test_first_visible_sheet_is_found_through_relationships(tmp_path):
	# The sheet part is not sheet1.xml, and the workbook lists a hidden sheet first.
	path = raw_xlsx(
		tmp_path / "book.xlsx",
		'<row r="1"><c r="A1" t="inlineStr"><is><t>Visible</t></is></c></row>',
		sheet_part="xl/worksheets/zz_custom_name.xml",
		extra_sheets={"Second": '<row r="1"><c r="A1" t="inlineStr"><is><t>Other</t></is></c></row>'},
	)
	with zipfile.ZipFile(path) as book:
		parts = {name: book.read(name) for name in book.namelist()}
	parts["xl/book.xml"] = parts["xl/book.xml"].replace(
		b'<sheet name="Leads"', b'<sheet state="hidden" name="Hidden"', 1
	)
	parts["xl/book.xml"] = parts["xl/book.xml"].replace(b"<sheets>", b"<sheets>", 1)
	with zipfile.ZipFile(path, "w") as book:
		for name, data in parts.items():
			book.writestr(name, data)
	with open_table(path) as table:
		assert (table.sheet, table.sheet_names, table.header) == ("Second", ["Hidden", "Second"], ["Other"])
	with open_table(path, sheet="hidden") as table:
		assert (table.sheet, table.header) == ("Hidden", ["Visible"])


def test_many_rows_across_chunks_keep_their_numbers(tmp_path):
	rows_xml = '<row r="1"><c r="A1" t="inlineStr"><is><t>N</t></is></c><c r="B1" t="inlineStr"><is><t>Text</t></is></c></row>'
	rows_xml += "".join(
		f'<row r="{n}"><c r="A{n}"><v>{n}</v></c><c r="B{n}" t="inlineStr"><is><t>{"x" * (n % 50)}</t></is></c></row>'
		for n in range(2, 40_002)
		if n % 1000
	)
	table, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml))
	assert len(rows) == 40_000 - 40
	assert all(row.number == row.values[0] for row in rows)
	assert rows[-1].values == [40_001, "x"]
	assert table.progress() == pytest.approx(1.0, abs=0.01)


def test_tens_of_thousands_of_shared_strings(tmp_path):
	count = 50_000
	shared = ["<si><t>Email</t></si>"] + [f"<si><t>lead{i}@example.com</t></si>" for i in range(count)]
	# Rows point at strings out of order, and back at early ones, as Excel's table is built per workbook.
	order = list(range(1, count + 1))
	order = order[::2] + order[1::2]
	rows_xml = (
		'<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="inlineStr"><is><t>Referrer</t></is></c></row>'
	)
	rows_xml += "".join(
		f'<row r="{n}"><c r="A{n}" t="s"><v>{index}</v></c><c r="B{n}" t="s"><v>{index // 7 + 1}</v></c></row>'
		for n, index in enumerate(order, start=2)
	)
	table, rows = read(raw_xlsx(tmp_path / "book.xlsx", rows_xml, shared=shared))
	assert table.header == ["Email", "Referrer"]
	assert len(rows) == count
	assert all(
		row.values == [f"lead{i - 1}@example.com", f"lead{i // 7}@example.com"]
		for row, i in zip(rows, order, strict=True)
	)
