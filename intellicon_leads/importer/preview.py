"""The preview of an uploaded file: its columns, first rows and suggested mapping, JSON-ready."""

from __future__ import annotations

import datetime
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from intellicon_leads.importer.fields import Schema
from intellicon_leads.importer.mapping import MappingSuggestion, Template, rank_templates, suggest_mapping
from intellicon_leads.importer.reading import MAX_FILE_SIZE, open_table

PREVIEW_ROWS = 20


@dataclass
class FilePreview:
	filename: str
	format: str
	size: int
	sheet: str | None
	sheet_names: list[str]
	encoding: str | None
	encoding_confident: bool
	delimiter: str | None
	header: list[str]
	header_row: int
	rows: list[tuple[int, list[Any]]]
	warnings: list[str]
	suggestion: MappingSuggestion
	templates: list[tuple[Template, float]]

	def to_dict(self) -> dict:
		return {
			"filename": self.filename,
			"format": self.format,
			"size": self.size,
			"sheet": self.sheet,
			"sheet_names": self.sheet_names,
			"encoding": self.encoding,
			"encoding_confident": self.encoding_confident,
			"delimiter": self.delimiter,
			"header": self.header,
			"header_row": self.header_row,
			"rows": [{"row": n, "values": [display_value(v) for v in values]} for n, values in self.rows],
			"warnings": self.warnings,
			"mapping": self.suggestion.to_dict(),
			"templates": [{"name": t.name, "score": round(score, 3)} for t, score in self.templates],
		}


def preview_file(
	path: str | os.PathLike,
	schema: Schema,
	*,
	filename: str | None = None,
	sheet: str | None = None,
	encoding: str | None = None,
	max_size: int = MAX_FILE_SIZE,
	limit: int = PREVIEW_ROWS,
	templates: Iterable[Template] = (),
	template: Template | None = None,
	learned: Mapping[str, str] | None = None,
) -> FilePreview:
	"""Read the first rows only, and suggest a mapping (from `template`, else the best matching one)."""
	with open_table(path, filename=filename, sheet=sheet, max_size=max_size, encoding=encoding) as table:
		rows = table.preview(limit)
		ranked = rank_templates(table.header, templates)
		chosen = template or (ranked[0][0] if ranked and ranked[0][1] >= 1.0 else None)
		suggestion = suggest_mapping(table.header, schema, template=chosen, learned=learned)
		warnings = list(table.warnings) + [
			f"Row {r.number} has more values than the header has columns; it will fail unless fixed."
			for r in rows
			if r.extra
		]
		return FilePreview(
			filename=filename or os.path.basename(os.fspath(path)),
			format=table.format,
			size=table.size,
			sheet=table.sheet,
			sheet_names=list(table.sheet_names),
			encoding=table.encoding,
			encoding_confident=table.encoding_confident,
			delimiter=table.delimiter,
			header=list(table.header),
			header_row=table.header_row,
			rows=[(r.number, list(r.values)) for r in rows],
			warnings=warnings,
			suggestion=suggestion,
			templates=ranked,
		)


def display_value(value: Any) -> Any:
	"""A cell as JSON can carry it: dates as ISO text, the rest unchanged."""
	if isinstance(value, datetime.datetime):
		return value.isoformat(sep=" ")
	if isinstance(value, datetime.date | datetime.time):
		return value.isoformat()
	return value
