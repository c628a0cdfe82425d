"""HTML tables, which many web apps export with an .xls name and call "Excel"."""

from __future__ import annotations

import codecs
import os
import re
from collections.abc import Iterator
from html.parser import HTMLParser
from typing import BinaryIO

from intellicon_leads.importer.reading.table import FileRejected, StreamedFile
from intellicon_leads.importer.reading.text import CHUNK_SIZE, TextEncoding

_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?([\w.:-]+)""", re.I)
_SKIPPED = frozenset({"script", "style", "head", "title"})
_LEADING_DIGITS = re.compile(r"\s*(\d+)")
# Stands for <br> inside a cell's text until the cell ends; no page holds this character.
_LINE_BREAK = "\uffff"


def html_encoding(head: bytes, detected: TextEncoding) -> TextEncoding:
	"""A BOM wins, then a <meta charset>, then what the bytes look like."""
	if detected.codec.startswith("utf") and detected.codec != "utf-8":
		return detected
	match = _META_CHARSET.search(head[:8192])
	if not match:
		return detected
	try:
		codec = codecs.lookup(match.group(1).decode("ascii")).name
	except LookupError:
		return detected
	if codec in ("utf-8", "latin-1", "iso8859-1", "ascii", "cp1252"):
		# Browsers read Latin-1 pages as Windows-1252; UTF-8 keeps its cp1252 fallback.
		return TextEncoding(
			"utf-8" if codec == "utf-8" else "cp1252", "utf-8" if codec == "utf-8" else "cp1252"
		)
	return TextEncoding(codec, codec, "replace")


class TableParser(HTMLParser):
	"""Collects the rows of the first table that has any, one list of cell texts per <tr>."""

	def __init__(self) -> None:
		super().__init__(convert_charrefs=True)
		self.rows: list[list[str]] = []
		self.done = False
		self.found = False
		self._depth = 0
		self._skip = 0
		self._row: list[str] | None = None
		self._cell: list[str] | None = None
		self._span = 1

	def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
		if self.done:
			return
		if tag in _SKIPPED:
			self._skip += 1
		elif tag == "table":
			self._depth += 1
		elif self._depth == 1 and tag == "tr":
			self._end_row()
			self._row = []
		elif self._depth == 1 and tag in ("td", "th"):
			if self._row is None:
				self._row = []
			self._end_cell()
			self._cell = []
			self._span = _colspan(attrs)
		elif tag == "br" and self._cell is not None:
			self._cell.append(_LINE_BREAK)

	def handle_endtag(self, tag: str) -> None:
		if self.done:
			return
		if tag in _SKIPPED:
			self._skip = max(self._skip - 1, 0)
		elif tag == "table" and self._depth:
			self._depth -= 1
			if not self._depth:
				self._end_row()
				self.done = self.found
		elif self._depth == 1 and tag == "tr":
			self._end_row()
		elif self._depth == 1 and tag in ("td", "th"):
			self._end_cell()

	def handle_data(self, data: str) -> None:
		if self._cell is not None and not self._skip:
			self._cell.append(data)

	def _end_cell(self) -> None:
		if self._cell is not None and self._row is not None:
			# As browsers show it: runs of whitespace, line ends included, are one space; <br> breaks a line.
			lines = "".join(self._cell).split(_LINE_BREAK)
			self._row.append("\n".join(" ".join(line.split()) for line in lines).strip())
			self._row.extend([""] * (self._span - 1))
		self._cell = None

	def _end_row(self) -> None:
		self._end_cell()
		if self._row is not None:
			self.rows.append(self._row)
			self.found = True
		self._row = None


def _colspan(attrs: list[tuple[str, str | None]]) -> int:
	for name, value in attrs:
		# Browsers read the leading digits: colspan='3"' spans three columns.
		digits = _LEADING_DIGITS.match(value or "") if name == "colspan" else None
		if digits and digits.group(1):
			return min(max(int(digits.group(1)), 1), 1000)
	return 1


class HtmlSource(StreamedFile):
	"""The first table of an HTML file, fed to html.parser a megabyte at a time."""

	format = "html"
	sheet_names: list[str] = []
	visible_sheets: list[str] = []
	sheet = None
	delimiter = None

	def __init__(self, path: str | os.PathLike, name: str, size: int, encoding: TextEncoding) -> None:
		self.path = path
		self.name = name
		self.size = size
		self._encoding = encoding
		self.encoding = encoding.name
		self.encoding_confident = encoding.confident
		self._file: BinaryIO | None = None
		self._finished = False

	def records(self) -> Iterator[tuple[int, list]]:
		number = 0
		with open(self.path, "rb") as file:
			self._file = file
			self._finished = False
			decoder = self._encoding.decoder()
			parser = TableParser()
			while not parser.done:
				data = file.read(CHUNK_SIZE)
				parser.feed(decoder.decode(data, final=not data))
				if not data:
					parser.close()
					parser.handle_endtag("table")
				rows, parser.rows = parser.rows, []
				for cells in rows:
					number += 1
					yield number, cells
				if not data:
					break
			self._finished = True
		if not number:
			raise FileRejected(
				f"{self.name} is a web page without a table of leads. "
				"Open it in your spreadsheet program, save it as CSV or XLSX and upload that."
			)
