"""The parts of an XLSX zip: safe streaming of each part, the workbook's sheets, and its date styles."""

from __future__ import annotations

import codecs
import posixpath
import re
import zipfile
import zlib
from collections.abc import Iterator
from xml.etree import ElementTree

from intellicon_leads.importer.reading.dates import BUILTIN_DATE_FORMATS, format_kind
from intellicon_leads.importer.reading.table import FileRejected, damaged_message

# Hard ceiling on how much any one part may unpack to, whatever the upload limit.
MAX_UNPACKED = 1 << 30
PART_CHUNK = 1 << 20
_FORBIDDEN_XML = ("<!DOCTYPE", "<!ENTITY")
_XML_ENCODING = re.compile(rb"""^<\?xml[^>]*encoding=["']([\w-]+)""")
_OFFICE_DOCUMENT = "/officeDocument"
_READ_ERRORS = (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError, ValueError)


def local_name(tag: str) -> str:
	return tag.rsplit("}", 1)[-1]


class XlsxPackage:
	"""An XLSX zip opened for reading: parts found by name, each streamed within `max_unpacked` bytes."""

	def __init__(self, path: str, name: str, max_unpacked: int) -> None:
		self.name = name
		self.max_unpacked = min(max_unpacked, MAX_UNPACKED)
		try:
			self.zip = zipfile.ZipFile(path)
		except (zipfile.BadZipFile, OSError, ValueError):
			raise FileRejected(damaged_message(name))
		self.unpacked: dict[str, int] = {}
		self._parts = {
			info.filename.replace("\\", "/").lstrip("/").lower(): info for info in self.zip.infolist()
		}

	def close(self) -> None:
		self.zip.close()

	def has(self, part: str) -> bool:
		return part.lower() in self._parts

	def info(self, part: str) -> zipfile.ZipInfo:
		info = self._parts.get(part.lower())
		if info is None:
			raise FileRejected(damaged_message(self.name))
		if info.flag_bits & 0x1:
			raise FileRejected(encrypted_message(self.name))
		if info.file_size > self.max_unpacked:
			raise FileRejected(zip_bomb_message(self.name))
		return info

	def chunks(self, part: str, first: int = PART_CHUNK, size: int = PART_CHUNK) -> Iterator[str]:
		"""The text of one XML part, decoded a chunk at a time; DTDs and oversized parts are refused."""
		info = self.info(part)
		unpacked = 0
		tail = carry = ""
		try:
			with self.zip.open(info) as stream:
				data = stream.read(first)
				decoder = codecs.getincrementaldecoder(_xml_codec(data))("replace")
				while data:
					unpacked += len(data)
					self.unpacked[part] = unpacked
					if unpacked > self.max_unpacked:
						raise FileRejected(zip_bomb_message(self.name))
					text, carry = xml_line_ends(carry + decoder.decode(data))
					_refuse_dtd(tail + text[:16], self.name)
					_refuse_dtd(text, self.name)
					tail = text[-16:]
					yield text
					data = stream.read(size)
				yield xml_line_ends(carry + decoder.decode(b"", final=True) + "\n")[0][:-1]
		except _READ_ERRORS:
			raise FileRejected(damaged_message(self.name))

	def read_text(self, part: str) -> str:
		return "".join(self.chunks(part))

	def parse(self, part: str) -> ElementTree.Element:
		"""A small part (workbook, rels, styles) as an element tree, after the DTD check."""
		try:
			return ElementTree.fromstring(self.read_text(part))
		except ElementTree.ParseError:
			raise FileRejected(damaged_message(self.name))

	def relationships(self, part: str) -> dict[str, tuple[str, str]]:
		"""Relationship id -> (type, target part) for `part`, from its _rels file."""
		folder, base = posixpath.split(part)
		rels_part = posixpath.join(folder, "_rels", base + ".rels")
		if not self.has(rels_part):
			return {}
		found = {}
		for rel in self.parse(rels_part):
			target = rel.get("Target") or ""
			if rel.get("TargetMode") == "External":
				continue
			if target.startswith("/"):
				resolved = target.lstrip("/")
			else:
				resolved = posixpath.normpath(posixpath.join(folder, target))
			found[rel.get("Id") or ""] = (rel.get("Type") or "", resolved)
		return found


def xml_line_ends(text: str) -> tuple[str, str]:
	"""Raw CR LF and CR as the LF every XML parser reads them as, and a CR at the end held back for the
	next chunk. Excel writes a carriage return that is meant as _x000D_."""
	if "\r" not in text:
		return text, ""
	carry = ""
	if text.endswith("\r"):
		text, carry = text[:-1], "\r"
	return text.replace("\r\n", "\n").replace("\r", "\n"), carry


def _xml_codec(head: bytes) -> str:
	if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
		return "utf-16"
	match = _XML_ENCODING.match(head.removeprefix(codecs.BOM_UTF8))
	if match:
		try:
			return codecs.lookup(match.group(1).decode("ascii")).name
		except LookupError:
			pass
	return "utf-8-sig"


def _refuse_dtd(text: str, name: str) -> None:
	# "!" is rare in XML and memchr finds it fast; "<" is everywhere, so test for "!" first.
	if "!" in text and "<!" in text and any(marker in text for marker in _FORBIDDEN_XML):
		raise FileRejected(
			f"{name} contains XML features that are not allowed in spreadsheets (a DOCTYPE or ENTITY). "
			"Open it in Excel and save it again as XLSX, or export it as CSV."
		)


def encrypted_message(name: str) -> str:
	return (
		f"{name} is protected with a password, so it cannot be read. "
		"Open it in Excel, remove the password (File > Info > Protect Workbook > Encrypt with Password), "
		"save it and upload it again."
	)


def zip_bomb_message(name: str) -> str:
	return (
		f"{name} unpacks to far more data than a spreadsheet of its size can hold, so it was not opened. "
		"Open it in Excel and save it again as XLSX, or export it as CSV."
	)


class Workbook:
	"""What xl/workbook.xml and its relationships say: sheets, shared strings, styles, date system."""

	def __init__(self, package: XlsxPackage) -> None:
		self.package = package
		self.path = self._workbook_part()
		root = package.parse(self.path)
		rels = package.relationships(self.path)
		self.date1904 = any(
			local_name(el.tag) == "workbookPr" and (el.get("date1904") or "").lower() in ("1", "true")
			for el in root
		)
		self.sheets = self._worksheets(root, rels)
		self.shared_strings = self._related(rels, "/sharedStrings")
		self.styles = self._related(rels, "/styles")

	def _workbook_part(self) -> str:
		for rel_type, target in self.package.relationships("").values():
			if rel_type.endswith(_OFFICE_DOCUMENT) and self.package.has(target):
				return target
		if self.package.has("xl/workbook.xml"):
			return "xl/workbook.xml"
		raise FileRejected(damaged_message(self.package.name))

	def _worksheets(self, root: ElementTree.Element, rels: dict) -> list[tuple[str, str, bool]]:
		"""(name, part, visible) of each worksheet, in tab order."""
		sheets = []
		for el in root.iter():
			if local_name(el.tag) != "sheet":
				continue
			rel_id = next((v for k, v in el.attrib.items() if local_name(k) == "id"), "")
			rel_type, target = rels.get(rel_id, ("", ""))
			if rel_type.endswith("/worksheet") and self.package.has(target):
				sheets.append((el.get("name") or "", target, (el.get("state") or "visible") == "visible"))
		if not sheets:
			raise FileRejected(
				f"{self.package.name} has no worksheet with data. Check that you chose the right file."
			)
		return sheets

	def _related(self, rels: dict, suffix: str) -> str | None:
		for rel_type, target in rels.values():
			if rel_type.endswith(suffix) and self.package.has(target):
				return target
		return None

	def date_styles(self) -> dict[str, str]:
		"""Cell style index (as it appears in s="…") -> date kind, for the styles that show dates."""
		if not self.styles:
			return {}
		formats = dict(BUILTIN_DATE_FORMATS)
		root = self.package.parse(self.styles)
		for el in root.iter():
			if local_name(el.tag) == "numFmt" and (el.get("numFmtId") or "").isdigit():
				formats[int(el.get("numFmtId"))] = format_kind(el.get("formatCode") or "")
		cell_xfs = next((el for el in root if local_name(el.tag) == "cellXfs"), None)
		if cell_xfs is None:
			return {}
		kinds = {}
		for index, xf in enumerate(el for el in cell_xfs if local_name(el.tag) == "xf"):
			number_format = xf.get("numFmtId") or "0"
			kind = formats.get(int(number_format)) if number_format.isdigit() else None
			if kind:
				kinds[str(index)] = kind
		return kinds
