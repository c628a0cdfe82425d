"""Values for every imported lead on the site: read from the wizard, a template, a job or the command
line, named by fieldname or label, checked against the Lead's meta and records (importer.constants)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

import frappe
from frappe import _
from frappe.model import no_value_fields, table_fields

from intellicon_leads.importer.choices import CHOICE_TYPES, LinkTargets
from intellicon_leads.importer.constants import ReadyConstant, check_constants
from intellicon_leads.importer.fields import Schema
from intellicon_leads.importer.mapping import Constant, MappingError, Template, constants_from_dict
from intellicon_leads.lead_import import json_argument
from intellicon_leads.lead_import.schema import NEVER_IMPORTED, engine_type


def of_job(job) -> dict[str, Constant]:
	"""The values a job sets for every lead, as it was created with them."""
	return constants_from_dict(_json_dict(job.get("constants")))


def of_template_doc(doc) -> dict[str, Constant]:
	return constants_from_dict(_json_dict(doc.get("constants")))


def merged(schema: Schema, template: Template | None, given: Any = None) -> dict[str, Constant]:
	"""A template's values for every lead, then the given ones ({field: {"value", "file_wins"}} as JSON,
	parsed, or Constants) over them, under this site's fieldnames. A field given as null drops the template's
	value: the user removed it in the wizard."""
	chosen: dict[str, Constant] = {}
	for name, constant in (template.constants if template else {}).items():
		chosen[fieldname_for(schema, name)] = constant
	for name, data in (json_argument(given) or {}).items():
		fieldname = fieldname_for(schema, str(name))
		if data is None:
			chosen.pop(fieldname, None)
		else:
			chosen[fieldname] = data if isinstance(data, Constant) else Constant.from_dict(data)
	return chosen


def fieldname_for(schema: Schema, name: str) -> str:
	"""The schema's fieldname for a field named by fieldname (any Lead's) or by label; else the name as
	given, which the check refuses by name."""
	name = name.strip()
	if fieldname := schema.resolve(name):
		return fieldname
	wanted = name.casefold()
	labelled = [f.fieldname for f in schema.fields if f.label.casefold() == wanted]
	if len(labelled) == 1:
		return labelled[0]
	meta = frappe.get_meta(schema.doctype)
	others = [df.fieldname for df in meta.fields if (df.label or "").casefold() == wanted]
	return others[0] if len(others) == 1 else name


def check(
	schema: Schema,
	constants: Mapping[str, Constant],
	value_maps: Mapping | None = None,
	new_links: Mapping | None = None,
	targets_for: Callable[[str], LinkTargets | None] | None = None,
) -> list[ReadyConstant]:
	"""Each value for every lead as the import will write it, or one refusal naming each that cannot be
	used: a field the Lead does not have or an import cannot write, an invalid value, a record that
	neither exists nor is chosen to be created."""
	try:
		return check_constants(
			schema,
			constants,
			value_maps=value_maps,
			new_links=new_links,
			targets_for=targets_for,
			unsettable=unsettable(schema.doctype),
		)
	except MappingError as exc:
		refuse(exc)


def check_before_values(schema: Schema, constants: Mapping[str, Constant]) -> None:
	"""At Map Fields: what can be told before Match Values. A dropdown, link or yes/no value is matched
	there like the file's values, so only its field is checked now."""
	later = {
		name
		for name, constant in constants.items()
		if constant.value.strip()
		and (fieldname := schema.resolve(name))
		and schema[fieldname].fieldtype in CHOICE_TYPES
	}
	check(schema, {name: c for name, c in constants.items() if name not in later})


def refuse(exc: MappingError) -> None:
	frappe.throw(
		"<br>".join(frappe.utils.escape_html(m) for m in exc.messages),
		title=_("Check the values for every lead"),
	)


def unsettable(doctype: str) -> dict[str, str]:
	"""Why each field of the Lead that an import cannot write is left out, by fieldname."""
	reasons = {}
	for df in frappe.get_meta(doctype).fields:
		if df.fieldtype in table_fields:
			reasons[df.fieldname] = _("a table")
		elif df.fieldtype in no_value_fields:
			continue
		elif df.fieldname in NEVER_IMPORTED:
			reasons[df.fieldname] = _("set by the {0} itself").format(_(doctype))
		elif df.read_only:
			reasons[df.fieldname] = _("read-only")
		elif df.hidden:
			reasons[df.fieldname] = _("hidden on the form")
		elif engine_type(df) is None:
			reasons[df.fieldname] = _("of type {0}, which an import cannot fill").format(df.fieldtype)
	return reasons


def _json_dict(value: Any) -> dict:
	if isinstance(value, dict):
		return value
	return json.loads(value) if value else {}
