"""Values set for every imported lead (constants): checked once, up front, as a cell of their field is.

A constant goes through the same Match Values choices as the file's values of its field (a value map
keyed by the constant's text, a record to create), then the field's own parser. A constant that is
still invalid is refused with one sentence before any row is read: failing every row it fills would
hide one mistake in a failed-records file as long as the import.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from intellicon_leads.importer.choices import CHOICE_TYPES, LinkTargets
from intellicon_leads.importer.fields import Field, Schema
from intellicon_leads.importer.mapping import Constant, MappingError
from intellicon_leads.importer.values import InvalidValue, make_parser, value_key

# Where a constant's values are shown among the file's columns, and named in row errors.
SET_FOR_EVERY_LEAD = "Set for every lead"


@dataclass(frozen=True)
class ReadyConstant:
	"""A constant checked for one schema: the field under the schema's name, the value as it is written
	(None when the Match Values choices leave it empty: then it sets nothing), and who wins."""

	fieldname: str
	value: Any
	file_wins: bool
	text: str


def check_constants(
	schema: Schema,
	constants: Mapping[str, Constant] | None,
	*,
	value_maps: Mapping[str, Mapping[str, str]] | None = None,
	new_links: Mapping[str, list[str]] | None = None,
	targets_for: Callable[[str], LinkTargets | None] | None = None,
	unsettable: Mapping[str, str] | None = None,
	date_order: str | None = None,
) -> list[ReadyConstant]:
	"""Each constant parsed as a cell of its field would be, after the value choices; or MappingError
	with one sentence per constant that cannot be used.

	`targets_for` checks Link values against existing records (without it, they are checked when the
	import starts). `unsettable` says why fields the schema leaves out cannot be written
	({"lead_name": "read-only", "notes": "a table"}), for a message that names the reason.
	"""
	maps = {f: {value_key(k): v for k, v in m.items()} for f, m in (value_maps or {}).items()}
	ready, problems = [], []
	for name, constant in (constants or {}).items():
		fieldname = schema.resolve(name)
		if fieldname is None:
			problems.append(_unknown_field_message(name, schema, unsettable or {}))
			continue
		field_ = schema[fieldname]
		if not constant.value.strip():
			problems.append(
				f"{field_.label} is set for every lead with no value. Give it a value, or remove it."
			)
			continue
		try:
			value = _parse(field_, constant.value, maps.get(fieldname), date_order)
		except InvalidValue as exc:
			problems.append(_invalid_message(field_, exc.message))
			continue
		if field_.fieldtype == "Link" and value is not None and targets_for and field_.link_doctype:
			targets = targets_for(field_.link_doctype)
			if targets is not None:
				name_ = targets.exact(value)
				if name_ is None and not will_be_created(value, (new_links or {}).get(fieldname)):
					problems.append(missing_link_message(field_, value))
					continue
				value = name_ or value
		ready.append(ReadyConstant(fieldname, value, constant.file_wins, constant.value))
	if problems:
		raise MappingError(problems)
	return ready


def _parse(field_: Field, text: str, value_map: Mapping[str, str] | None, date_order: str | None) -> Any:
	if value_map is not None:
		chosen = value_map.get(value_key(text))
		if chosen == "":
			return None  # left empty in Match Values
		text = text if chosen is None else chosen
	return make_parser(field_, date_order=date_order)(text)


def will_be_created(value: str, new_links: list[str] | None) -> bool:
	return value_key(value) in {value_key(n) for n in new_links or ()}


def _unknown_field_message(name: str, schema: Schema, unsettable: Mapping[str, str]) -> str:
	if name in unsettable:
		return f"'{name}' cannot be set for every lead: it is {unsettable[name]}. Remove it from the values for every lead."
	return (
		f"'{name}' cannot be set for every lead: it is not a {schema.doctype} field an import can write "
		"(there is no such field, or it is read-only or a table). Pick one of the fields of the mapping."
	)


def _invalid_message(field_: Field, why: str) -> str:
	message = f"The value set for every lead's {field_.label} cannot be used: {why}"
	if field_.fieldtype in CHOICE_TYPES:
		message += " Or choose what to import it as in Match Values."
	return message


def missing_link_message(field_: Field, value: str) -> str:
	doctype = field_.link_doctype
	return (
		f"The value set for every lead's {field_.label} cannot be used: '{value}' is not an existing "
		f"{doctype}. Choose an existing {doctype}, Create or Leave empty for it in Match Values."
	)
