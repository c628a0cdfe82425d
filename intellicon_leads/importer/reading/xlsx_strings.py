"""Text in XLSX parts: entity and _xHHHH_ unescaping, and the shared strings table, loaded lazily."""

from __future__ import annotations

import re
from array import array
from collections.abc import Iterator
from html import unescape as _unescape_entities

_XML_ESCAPE = re.compile(r"_x([0-9A-Fa-f]{4})_")
_PHONETIC = re.compile(r"<(?:\w+:)?rPh\b.*?</(?:\w+:)?rPh>", re.S)
_TEXT_RUN = re.compile(r"<(?:\w+:)?t\b[^>]*?(?:/>|>([^<]*)</(?:\w+:)?t>)")
_PREFIX = re.compile(r"<(\w+:)?sst\b")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.S)


def unescape(text: str) -> str:
	"""XML entities (&amp; &#233;) and Excel's _x000D_ escapes turned back into characters."""
	if "&" in text:
		text = _unescape_entities(text)
	if "_x" in text:
		text = _XML_ESCAPE.sub(lambda m: chr(int(m.group(1), 16)), text)
	return text


def expand_cdata(text: str) -> str:
	"""<![CDATA[a < b]]> written as the escaped text it stands for (a &lt; b), which the parsers read."""
	return _CDATA.sub(lambda m: m.group(1).replace("&", "&amp;").replace("<", "&lt;"), text)


def rich_text(inner: str) -> str:
	"""The text of an <si> or <is> element: its <t> runs joined, phonetic guides left out."""
	if "<![CDATA[" in inner:
		inner = expand_cdata(inner)
	if "rPh" in inner:
		inner = _PHONETIC.sub("", inner)
	return unescape("".join(_TEXT_RUN.findall(inner)))


class SharedStrings:
	"""Excel's shared strings, parsed only as far as the highest index asked for so far.

	Strings are kept as one joined str per block plus an array of offsets, not one object each:
	a large workbook can hold millions of them.
	"""

	BLOCK_BITS = 14
	BLOCK = 1 << BLOCK_BITS

	def __init__(self, chunks: Iterator[str] | None) -> None:
		self._chunks = chunks
		self._carry = ""
		self._texts: list[str] = []
		self._offsets: list[array] = []
		self._pending: list[str] = []
		self._items: re.Pattern | None = None
		self._end = ""
		self.loaded = 0

	def get(self, index: int) -> str:
		"""String number `index`, or "" when the table has no such string."""
		if index >= self.loaded and not self._load_through(index):
			return ""
		block = index >> self.BLOCK_BITS
		if block < len(self._texts):
			offsets = self._offsets[block]
			position = index & (self.BLOCK - 1)
			return self._texts[block][offsets[position] : offsets[position + 1]]
		return self._pending[index & (self.BLOCK - 1)]

	def _load_through(self, index: int) -> bool:
		while index >= self.loaded and self._chunks is not None:
			chunk = next(self._chunks, None)
			if chunk is None:
				self._finish()
				break
			self._parse(self._carry + chunk)
		return index < self.loaded

	def _parse(self, text: str) -> None:
		if self._items is None:
			match = _PREFIX.search(text)
			if not match:
				self._carry = text
				return
			self._items = _item_pattern(match.group(1) or "")
			self._end = f"</{match.group(1) or ''}si>"
		cut = text.rfind(self._end)
		cut = max(cut + len(self._end) if cut >= 0 else 0, text.rfind("<si/>") + 5 if "<si/>" in text else 0)
		self._carry = text[cut:]
		pending = self._pending
		for plain, preserved, rich in self._items.findall(text, 0, cut):
			value = plain or preserved
			if value:
				pending.append(unescape(value) if "&" in value or "_x" in value else value)
			else:
				pending.append(rich_text(rich) if rich else "")
			if len(pending) == self.BLOCK:
				self._seal()
				pending = self._pending
		self.loaded = len(self._texts) * self.BLOCK + len(pending)

	def _seal(self) -> None:
		offsets = array("I", [0])
		position = 0
		for value in self._pending:
			position += len(value)
			offsets.append(position)
		self._texts.append("".join(self._pending))
		self._offsets.append(offsets)
		self._pending = []

	def _finish(self) -> None:
		self._chunks = None
		self._carry = ""


def _item_pattern(prefix: str) -> re.Pattern:
	p = re.escape(prefix)
	return re.compile(
		rf'<{p}si>(?:<{p}t>([^<]*)</{p}t>|<{p}t xml:space="preserve">([^<]*)</{p}t>|(.*?))</{p}si>|<{p}si/>',
		re.S,
	)
