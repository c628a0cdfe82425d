"""Text files: encoding and delimiter detection, and the streaming CSV reader."""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import sys
from collections import Counter
from collections.abc import Iterator
from itertools import chain
from typing import BinaryIO

from intellicon_leads.importer.reading.table import FileRejected, StreamedFile

CHUNK_SIZE = 1 << 20
SNIFF_SIZE = 64 * 1024
SNIFF_RECORDS = 200
DELIMITERS = (",", ";", "\t", "|")
FALLBACK_ERRORS = "intellicon_cp1252"
MIN_BINARY_CONTROLS = 8
DETECT_SIZE = 256 * 1024
CHAOS_MARGIN = 0.05
MIN_COHERENCE = 0.2
# The 8-bit code pages lead files come in besides Windows-1252: Central European, Cyrillic, Greek.
EIGHT_BIT_ENCODINGS = ("cp1252", "cp1250", "cp1251", "cp1253", "iso8859_7", "iso8859_2", "koi8_r")
_ALPHABETS = {"cp1251": "cyrillic", "koi8_r": "cyrillic", "cp1253": "greek", "iso8859_7": "greek"}

# Our failed-records CSV prefixes these with an apostrophe against formula injection.
_ESCAPED_FORMULA = re.compile(r"'[=+\-@\t\r]")
_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0e-\x1a\x1c-\x1f\x7f]")
_BOMS = (
	(codecs.BOM_UTF32_LE, "utf-32"),
	(codecs.BOM_UTF32_BE, "utf-32"),
	(codecs.BOM_UTF8, "utf-8-sig"),
	(codecs.BOM_UTF16_LE, "utf-16"),
	(codecs.BOM_UTF16_BE, "utf-16"),
)


def _cp1252_fallback(exc: UnicodeError) -> tuple[str, int]:
	"""Decode bytes that are not UTF-8 as Windows-1252, so mixed and legacy files read right."""
	if not isinstance(exc, UnicodeDecodeError):
		raise exc
	bad = exc.object[exc.start : exc.end]
	# Latin-1 covers the five bytes cp1252 leaves undefined.
	return "".join(bytes([b]).decode("cp1252", "ignore") or chr(b) for b in bad), exc.end


codecs.register_error(FALLBACK_ERRORS, _cp1252_fallback)


class TextEncoding:
	"""How to decode a text file (`codec`, `errors`) and what to call its encoding (`name`)."""

	def __init__(
		self, name: str, codec: str, errors: str = FALLBACK_ERRORS, *, confident: bool = True
	) -> None:
		self.name = name
		self.codec = codec
		self.errors = errors
		# False when the bytes fit more than one alphabet: the user should be asked to pick.
		self.confident = confident

	def decoder(self) -> codecs.IncrementalDecoder:
		return codecs.getincrementaldecoder(self.codec)(errors=self.errors)

	def decode_sample(self, data: bytes, final: bool) -> str:
		return self.decoder().decode(data, final=final)


def detect_encoding(head: bytes) -> TextEncoding:
	"""The encoding of a text file from its first bytes: BOM, UTF-16 NUL pattern, else UTF-8 or cp1252."""
	for bom, codec in _BOMS:
		if head.startswith(bom):
			return TextEncoding(codec, codec, FALLBACK_ERRORS if codec == "utf-8-sig" else "replace")
	wide = _utf32_without_bom(head) or _utf16_without_bom(head)
	if wide:
		return TextEncoding(wide, wide, "replace")
	try:
		codecs.getincrementaldecoder("utf-8")().decode(head, final=False)
		return TextEncoding("utf-8", "utf-8")
	except UnicodeDecodeError:
		return _eight_bit_encoding(head)


def chosen_encoding(name: str) -> TextEncoding:
	"""The encoding a user picked, by any name Python knows it by; FileRejected for one it does not."""
	try:
		codec = codecs.lookup(name).name
	except LookupError:
		raise FileRejected(
			f'"{name}" is not an encoding we know. Choose one such as utf-8, windows-1252, windows-1250, '
			"windows-1251, windows-1253 or iso-8859-7."
		)
	return TextEncoding(name, codec, "replace")


def _eight_bit_encoding(head: bytes) -> TextEncoding:
	"""Windows-1252 unless the bytes read better in another alphabet's code page (charset-normalizer)."""
	from charset_normalizer import from_bytes

	matches = list(from_bytes(head[:DETECT_SIZE], cp_isolation=list(EIGHT_BIT_ENCODINGS)))
	if not matches:
		return TextEncoding("cp1252", "utf-8", confident=False)
	best = matches[0]
	close = [m.encoding for m in matches if m.chaos <= best.chaos + CHAOS_MARGIN]
	one_alphabet = len({_ALPHABETS.get(e, "latin") for e in close}) == 1
	if best.encoding in _ALPHABETS and one_alphabet and best.coherence >= MIN_COHERENCE:
		return TextEncoding(best.encoding, best.encoding, "replace")
	# UTF-8 first, Windows-1252 for the bytes that are not: mixed files read right too. Unsure when
	# another alphabet or Central European letters read as well.
	confident = one_alphabet and (best.encoding == "cp1252" or "cp1252" in close)
	return TextEncoding("cp1252", "utf-8", confident=confident)


def _utf32_without_bom(head: bytes) -> str | None:
	sample = head[: SNIFF_SIZE - SNIFF_SIZE % 4]
	if len(sample) < 8 or sample.count(0) < len(sample) // 2:
		return None
	if not sample[2::4].strip(b"\0") and not sample[3::4].strip(b"\0"):
		return "utf-32-le"
	if not sample[0::4].strip(b"\0") and not sample[1::4].strip(b"\0"):
		return "utf-32-be"
	return None


def _utf16_without_bom(head: bytes) -> str | None:
	sample = head[:SNIFF_SIZE]
	half = len(sample) // 2
	if half < 2:
		return None
	even, odd = sample[0::2].count(0), sample[1::2].count(0)
	if odd > 0.3 * half and even < 0.05 * half:
		return "utf-16-le"
	if even > 0.3 * half and odd < 0.05 * half:
		return "utf-16-be"
	return None


def looks_binary(text: str) -> bool:
	"""True for decoded bytes no one typed: more than 1% control characters, NUL included.

	A few are not enough: real CSV files carry the odd vertical tab or NUL inside a quoted value.
	"""
	sample = text[:SNIFF_SIZE]
	controls = len(_CONTROL_CHARS.findall(sample))
	return controls > MIN_BINARY_CONTROLS and controls > len(sample) / 100


def sniff_delimiter(sample: str, complete: bool) -> str:
	"""The candidate that splits the sample's records into the same number of cells most consistently."""
	if not complete:
		# The last line of a sample may be cut short.
		cut = max(sample.rfind("\n"), sample.rfind("\r"))
		sample = sample[:cut] if cut > 0 else sample
	best, best_score = DELIMITERS[0], None
	for preference, delimiter in enumerate(DELIMITERS):
		widths = _record_widths(sample, delimiter)
		if not widths:
			continue
		width, count = Counter(widths).most_common(1)[0]
		score = (width > 1, round(count / len(widths), 2), width, -preference)
		if best_score is None or score > best_score:
			best, best_score = delimiter, score
	if best_score is None or not best_score[0]:
		# One column: Excel's "Unicode text" is tab separated, everything else comma.
		return "\t" if sample.count("\t") else ","
	return best


def _record_widths(sample: str, delimiter: str) -> list[int]:
	reader = csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)
	widths = []
	try:
		for record in reader:
			if any(cell.strip() for cell in record):
				widths.append(len(record))
			if len(widths) >= SNIFF_RECORDS:
				break
	except csv.Error:
		pass
	return widths


def unescape_formula(value: str) -> str:
	"""Undo the failed-records writer: one apostrophe off before apostrophes and a formula character."""
	if len(value) > 1 and value[0] == "'":
		rest = value[1:].lstrip("'")
		if rest and rest[0] in "=+-@\t\r":
			return value[1:]
	return value


class CsvSource(StreamedFile):
	"""A delimited text file, decoded and parsed a megabyte at a time by the csv module."""

	format = "csv"
	sheet_names: list[str] = []
	visible_sheets: list[str] = []
	sheet = None

	def __init__(
		self,
		path: str | os.PathLike,
		name: str,
		size: int,
		encoding: TextEncoding,
		sample: str,
		complete: bool,
	) -> None:
		self.path = path
		self.name = name
		self.size = size
		self._encoding = encoding
		self.encoding = encoding.name
		self.encoding_confident = encoding.confident
		self.delimiter = sniff_delimiter(sample, complete)
		self._file: BinaryIO | None = None
		self._finished = False
		self._escaped = False
		csv.field_size_limit(min(sys.maxsize, 2**31 - 1))

	def records(self) -> Iterator[tuple[int, list]]:
		with open(self.path, "rb") as file:
			self._file = file
			self._escaped = self._finished = False
			reader = csv.reader(chain.from_iterable(self._line_chunks(file)), delimiter=self.delimiter)
			try:
				for number, cells in enumerate(reader, 1):
					if self._escaped:
						cells = [unescape_formula(v) for v in cells]
					yield number, cells
				self._finished = True
			except csv.Error:
				raise FileRejected(
					f"{self.name} could not be read as CSV near line {reader.line_num}. "
					"Open it in your spreadsheet program, save it as CSV or XLSX and upload it again."
				)

	def _line_chunks(self, file: BinaryIO) -> Iterator[io.StringIO]:
		"""Decoded text cut at line ends, so the csv module never sees half a line."""
		decoder = self._encoding.decoder()
		carry = ""
		while True:
			data = file.read(CHUNK_SIZE)
			text = carry + decoder.decode(data, final=not data)
			if not data:
				if text:
					yield self._lines(text)
				return
			cut = text.rfind("\n") + 1 or text.rfind("\r", 0, len(text) - 1) + 1
			if cut:
				carry = text[cut:]
				yield self._lines(text[:cut])
			else:
				carry = text

	def _lines(self, text: str) -> io.StringIO:
		if not self._escaped and _ESCAPED_FORMULA.search(text):
			self._escaped = True
		return io.StringIO(text, newline="")
