"""Failed rows fixed by hand: a row's values with the user's edits, which cells are wrong, and a table of
such rows that the pipeline can import again. No framework here: the Frappe layer stores the rows."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import Any

from intellicon_leads.importer.fields import Schema
from intellicon_leads.importer.mapping import Constant
from intellicon_leads.importer.reading import Row
from intellicon_leads.importer.values import (
	InvalidValue,
	make_parser,
	missing_required_message,
	value_key,
)

# Rows that failed for a reason outside their values: importing them again as they are may work.
RETRY_AS_IS_KINDS = frozenset({"write_error", "not_processed"})


def apply_edits(values: list, edits: dict[str, Any] | None) -> list:
	"""The row's cells with the user's edits; `edits` maps a column index (as text) to the new value."""
	if not edits:
		return list(values)
	fixed = list(values)
	for index, value in edits.items():
		position = int(index)
		if position >= len(fixed):
			fixed.extend([""] * (position + 1 - len(fixed)))
		fixed[position] = value
	return fixed


def cell_errors(
	schema: Schema,
	fields: list[str | None],
	values: list,
	value_maps: dict[str, dict[str, str]] | None = None,
	constants: dict[str, Constant] | None = None,
) -> dict[int, str]:
	"""What is wrong with each cell of one row, by column index: the checks that need no database.

	A cell whose field a constant sets is never wrong: the pipeline does not read it when the constant
	wins, and fills it when it is empty and the file wins.
	"""
	maps = {f: {value_key(k): v for k, v in m.items()} for f, m in (value_maps or {}).items()}
	set_by = {schema.resolve(f): c for f, c in (constants or {}).items()}
	errors: dict[int, str] = {}
	for index, fieldname in enumerate(fields):
		field_ = schema.get(fieldname) if fieldname else None
		constant = set_by.get(fieldname)
		if field_ is None or (constant is not None and not constant.file_wins):
			continue
		raw = values[index] if index < len(values) else None
		if raw is None or raw == "":
			if field_.required and not field_.default and constant is None:
				errors[index] = missing_required_message(field_)
			continue
		if fieldname in maps:
			raw = maps[fieldname].get(value_key(raw), raw)
		try:
			make_parser(field_)(raw)
		except InvalidValue as exc:
			errors[index] = exc.message
	return errors


def may_retry_as_is(kinds: Iterable[str]) -> bool:
	"""A row that failed only for reasons outside its values (a write error, the import stopped)."""
	kinds = set(kinds)
	return bool(kinds) and kinds <= RETRY_AS_IS_KINDS


class FixedRowsTable:
	"""Rows to import again, for ImportPipeline.run: the file's header and (row number, cells) in order."""

	def __init__(self, header: list[str], rows: Iterable[Row], count: int) -> None:
		self.header = header
		self._rows = rows
		self._count = max(count, 1)
		self._done = 0

	def rows(self) -> Iterator[Row]:
		for row in self._rows:
			self._done += 1
			yield row

	def progress(self) -> float:
		return min(self._done / self._count, 1.0)
