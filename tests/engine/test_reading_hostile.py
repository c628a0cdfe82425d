"""Damaged, disguised and hostile files: each is refused with a sentence that says what to do."""

from __future__ import annotations

import random
import struct
import zipfile
import zlib

import pytest
from openpyxl import Workbook
from test_reading_xlsx import NS, raw_xlsx

from intellicon_leads.importer.reading import FileRejected, open_table

DAMAGED = (
	"{} is damaged or incomplete and cannot be read. "
	"Open it in Excel and save it again, or export it as CSV, then upload it again."
)
ZIP_BOMB = (
	"{} unpacks to far more data than a spreadsheet of its size can hold, so it was not opened. "
	"Open it in Excel and save it again as XLSX, or export it as CSV."
)
DTD = (
	"{} contains XML features that are not allowed in spreadsheets (a DOCTYPE or ENTITY). "
	"Open it in Excel and save it again as XLSX, or export it as CSV."
)
PASSWORD = (
	"{} is protected with a password, so it cannot be read. "
	"Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password), "
	"save it and upload it again."
)


def rejected(path, **options) -> str:
	with pytest.raises(FileRejected) as caught:
		with open_table(path, **options) as table:
			list(table.rows())
	return str(caught.value)


def big_xlsx(path, rows: int = 30_000):
	book = Workbook(write_only=True)
	sheet = book.create_sheet("Leads")
	sheet.append(["Name", "Email", "Note"])
	rng = random.Random(3)
	for i in range(rows):
		sheet.append([f"Lead {i}", f"lead{i}@example.com", rng.randbytes(12).hex()])
	book.save(path)
	return path


def rewrite_zip(path, change):
	"""Rewrite a zip with `change(name, data) -> data` applied to every member."""
	with zipfile.ZipFile(path) as book:
		parts = [(info, book.read(info)) for info in book.infolist()]
	with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
		for info, data in parts:
			book.writestr(info.filename, change(info.filename, data))


def test_truncated_xlsx(tmp_path):
	path = big_xlsx(tmp_path / "leads.xlsx", 2000)
	data = path.read_bytes()
	path.write_bytes(data[: len(data) * 2 // 3])
	assert rejected(path) == DAMAGED.format("leads.xlsx")


def test_damage_found_mid_stream_fails_rows_but_not_preview(tmp_path):
	path = big_xlsx(tmp_path / "leads.xlsx")
	with zipfile.ZipFile(path) as book:
		info = book.getinfo("xl/worksheets/sheet1.xml")
	data = bytearray(path.read_bytes())
	start = info.header_offset + 30 + len(info.filename) + len(info.extra)
	middle = start + info.compress_size * 3 // 4
	data[middle : middle + 64] = bytes(64)
	path.write_bytes(bytes(data))
	with open_table(path) as table:
		preview = table.preview(20)
		assert [r.values[0] for r in preview[:2]] == ["Lead 0", "Lead 1"]
		with pytest.raises(FileRejected) as caught:
			for _row in table.rows():
				pass
	assert str(caught.value) == DAMAGED.format("leads.xlsx")


def test_preview_reads_only_the_shared_strings_it_needs(tmp_path):
	count = 60_000
	shared = ["<si><t>Name</t></si>"] + [f"<si><t>Lead number {i}</t></si>" for i in range(count)]
	# Hostile markup at the very end of the strings: only a full read reaches it.
	shared.append('<si><t>x</t></si><!DOCTYPE boom [<!ENTITY a "a">]>')
	rows_xml = '<row r="1"><c r="A1" t="s"><v>0</v></c></row>' + "".join(
		f'<row r="{i + 2}"><c r="A{i + 2}" t="s"><v>{i + 1}</v></c></row>' for i in range(count)
	)
	path = raw_xlsx(tmp_path / "leads.xlsx", rows_xml, shared=shared)
	with open_table(path) as table:
		assert [r.values for r in table.preview(3)] == [
			["Lead number 0"],
			["Lead number 1"],
			["Lead number 2"],
		]
	assert rejected(path) == DTD.format("leads.xlsx")


def test_zip_bomb_is_refused(tmp_path):
	row = '<row><c t="inlineStr"><is><t>aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa</t></is></c></row>'
	path = raw_xlsx(
		tmp_path / "bomb.xlsx",
		'<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c></row>' + row * 400_000,
	)
	assert path.stat().st_size < 200_000
	assert rejected(path, max_size=200_000) == ZIP_BOMB.format("bomb.xlsx")


def declare_size(path, part: str, size: int) -> None:
	"""Overwrite the uncompressed size the central directory gives for `part`; the data stays as it is."""
	data = bytearray(path.read_bytes())
	central = data.find(b"PK\x01\x02")
	while central >= 0:
		name_length = struct.unpack_from("<H", data, central + 28)[0]
		if data[central + 46 : central + 46 + name_length] == part.encode():
			struct.pack_into("<I", data, central + 24, size)
			path.write_bytes(bytes(data))
			return
		central = data.find(b"PK\x01\x02", central + 4)
	raise AssertionError(f"{part} not found")


def test_zip_that_declares_a_huge_part_is_refused(tmp_path):
	path = raw_xlsx(tmp_path / "bomb.xlsx", '<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c></row>')
	declare_size(path, "xl/worksheets/data.xml", 3_000_000_000)
	assert rejected(path) == ZIP_BOMB.format("bomb.xlsx")


def test_part_that_lies_about_its_size_is_refused(tmp_path):
	path = raw_xlsx(
		tmp_path / "liar.xlsx", '<row r="1"><c r="A1" t="inlineStr"><is><t>Header</t></is></c></row>' * 50
	)
	declare_size(path, "xl/worksheets/data.xml", 40)
	assert rejected(path) == DAMAGED.format("liar.xlsx")


@pytest.mark.parametrize("part", ["sheet", "workbook", "strings"])
def test_doctype_and_entities_are_refused(tmp_path, part):
	evil = '<!DOCTYPE lol [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;">]>'
	path = raw_xlsx(
		tmp_path / "evil.xlsx",
		"",
		sheet_xml=(evil if part == "sheet" else "")
		+ f'<worksheet xmlns="{NS}"><sheetData><row r="1"><c r="A1" t="s"><v>0</v></c></row></sheetData></worksheet>',
		shared=["<si><t>&lol2;</t></si>" if part == "strings" else "<si><t>Name</t></si>"],
	)
	if part == "strings":
		rewrite_zip(path, lambda name, data: evil.encode() + data if name == "xl/strings.xml" else data)
	if part == "workbook":
		rewrite_zip(path, lambda name, data: evil.encode() + data if name == "xl/book.xml" else data)
	assert rejected(path) == DTD.format("evil.xlsx")


def zip_with(path, members: dict[str, bytes]):
	with zipfile.ZipFile(path, "w") as book:
		for name, data in members.items():
			book.writestr(name, data)
	return path


def test_ods_is_refused(tmp_path):
	path = zip_with(
		tmp_path / "leads.xlsx",
		{"mimetype": b"application/vnd.oasis.opendocument.spreadsheet", "content.xml": b"<x/>"},
	)
	assert rejected(path) == (
		"leads.xlsx is an OpenDocument spreadsheet (.ods). "
		"Open it in LibreOffice or Excel, save it as XLSX or CSV and upload that."
	)


def test_docx_is_refused(tmp_path):
	path = zip_with(
		tmp_path / "leads.xlsx", {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w/>"}
	)
	assert rejected(path) == (
		"leads.xlsx is not a CSV, XLSX or XLS file (it looks like a Word document). "
		"Open it in your spreadsheet program, save it as CSV or XLSX and upload that."
	)


def test_xlsb_is_refused(tmp_path):
	path = zip_with(tmp_path / "leads.xlsb", {"[Content_Types].xml": b"<Types/>", "xl/workbook.bin": b"\0"})
	assert "leads.xlsb is an Excel Binary Workbook (.xlsb)" in rejected(path)


def test_zip_of_csv_is_refused(tmp_path):
	path = zip_with(tmp_path / "leads.zip", {"leads.csv": b"Name\nAnn\n"})
	assert (
		rejected(path)
		== "leads.zip is a ZIP archive, not a spreadsheet. Unzip it and upload the CSV or XLSX file inside."
	)


def test_password_protected_zip_member_is_refused(tmp_path):
	path = raw_xlsx(
		tmp_path / "locked.xlsx", '<row r="1"><c r="A1" t="inlineStr"><is><t>H</t></is></c></row>'
	)
	data = bytearray(path.read_bytes())
	central = data.find(b"PK\x01\x02")
	while central >= 0:
		struct.pack_into("<H", data, central + 8, struct.unpack_from("<H", data, central + 8)[0] | 1)
		central = data.find(b"PK\x01\x02", central + 4)
	path.write_bytes(bytes(data))
	assert rejected(path) == PASSWORD.format("locked.xlsx")


def compound_file(streams: list[str]) -> bytes:
	"""A minimal OLE2 compound file holding empty streams with these names."""
	end, free, fat_sector, none = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD, 0xFFFFFFFF
	header = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(16)
	header += struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6) + bytes(6)
	header += struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, end, 0, end, 0)
	header += struct.pack("<109I", 0, *([free] * 108))
	fat = struct.pack("<128I", fat_sector, end, *([free] * 126))

	def entry(name: str, kind: int, child: int = none, right: int = none) -> bytes:
		raw = name.encode("utf-16-le") + b"\0\0"
		links = struct.pack("<HBBIII", len(raw), kind, 1, none, right, child)
		return raw.ljust(64, b"\0") + links + bytes(36) + struct.pack("<IQ", end, 0)

	entries = [entry("Root Entry", 5, child=1)]
	entries += [
		entry(name, 2, right=i + 1 if i < len(streams) else none) for i, name in enumerate(streams, 1)
	]
	return header + fat + b"".join(entries).ljust(512, b"\0")


def test_password_protected_xlsx_is_refused(tmp_path):
	path = tmp_path / "locked.xlsx"
	path.write_bytes(compound_file(["EncryptionInfo", "EncryptedPackage"]))
	assert rejected(path) == PASSWORD.format("locked.xlsx")


def test_word_97_document_is_refused(tmp_path):
	path = tmp_path / "leads.xls"
	path.write_bytes(compound_file(["WordDocument", "1Table"]))
	assert "leads.xls is not a CSV, XLSX or XLS file (it looks like a Word document)" in rejected(path)


def test_damaged_compound_file_is_refused(tmp_path):
	path = tmp_path / "leads.xls"
	path.write_bytes(compound_file(["Workbook"])[:700])
	assert rejected(path) == DAMAGED.format("leads.xls")


def test_gzip_is_refused(tmp_path):
	path = tmp_path / "leads.csv"
	path.write_bytes(b"\x1f\x8b\x08\x00" + zlib.compress(b"Name\nAnn\n"))
	assert "(it looks like a compressed .gz archive)" in rejected(path)
