"""A table's rows written once as JSON lines, so that each part of a split import starts reading at its
first row instead of reading the file up to it.

A part far into a 50 MB file otherwise reads (and for XLSX unzips and parses) everything before it:
on an XLSX of 330,000 rows, about 13 s for the last part, 4 s for a part a third in. The plan's pass
over the whole file writes the spool as it goes; a part seeks to the byte offset of its first row.

	offsets = array("q")
	with open(path, "wb") as out:
		for row in spool_rows(table.header, table.rows(), out, offsets): ...
	with SpooledTable(path, offset) as table:
		table.header, table.rows()  # as the file's Table gives them, from the row at `offset`
"""

from __future__ import annotations

import datetime
import json
import os
from array import array
from collections.abc import Iterable, Iterator
from typing import IO, Any

from intellicon_leads.importer.reading.table import Row

_NO_EXTRA: tuple = ()


def encode_value(value: Any) -> Any:
	"""json.dumps default= for cell values kept in JSON (spools, changes logs, failed rows)."""
	if isinstance(value, datetime.datetime):
		return {"$datetime": value.isoformat()}
	if isinstance(value, datetime.date):
		return {"$date": value.isoformat()}
	if isinstance(value, datetime.time):
		return {"$time": value.isoformat()}
	return str(value)


def decode_value(obj: dict) -> Any:
	"""json.loads object_hook= undoing encode_value: dates and times come back as they were read."""
	if "$datetime" in obj:
		return datetime.datetime.fromisoformat(obj["$datetime"])
	if "$date" in obj:
		return datetime.date.fromisoformat(obj["$date"])
	if "$time" in obj:
		return datetime.time.fromisoformat(obj["$time"])
	return obj


def spool_rows(header: list[str], rows: Iterable[Row], out: IO[bytes], offsets: array) -> Iterator[Row]:
	"""Pass `rows` through, writing each to `out` (after a first line holding the header) and the byte
	offset where it starts to `offsets`."""
	position = out.write(_line(header))
	for row in rows:
		offsets.append(position)
		position += out.write(_line([row.number, row.values, list(row.extra)]))
		yield row


def _line(value: Any) -> bytes:
	return _ENCODER.encode(value).encode() + b"\n"


# One encoder and one decoder for every line: json.dumps and json.loads with options build a new one
# per call.
_ENCODER = json.JSONEncoder(default=encode_value, ensure_ascii=False, separators=(",", ":"))
_DECODER = json.JSONDecoder(object_hook=decode_value)


class SpooledTable:
	"""The spool read back as a Table: the header, and the rows from the one starting at `offset`."""

	format = "spool"

	def __init__(self, path: str | os.PathLike, offset: int = 0) -> None:
		self._file = open(path, "rb")
		self.size = os.fstat(self._file.fileno()).st_size
		self.header: list[str] = json.loads(self._file.readline())
		self._start = max(offset, self._file.tell())

	def __enter__(self) -> SpooledTable:
		return self

	def __exit__(self, *exc_info: object) -> None:
		self.close()

	def close(self) -> None:
		self._file.close()

	def rows(self) -> Iterator[Row]:
		file = self._file
		file.seek(self._start)
		decode = _DECODER.decode
		for line in file:
			number, values, extra = decode(line.decode())
			yield Row(number, values, extra or _NO_EXTRA)

	def progress(self) -> float:
		if self._file.closed:
			return 1.0
		return self._file.tell() / max(self.size, 1)
