"""A new Custom Field on the Lead for a column no field takes: proposed from the whole column, then made.

The engine judges the column (field_proposals); this module reads the uploaded file for it, and makes
the field the user settled on through Frappe's own Custom Field, on the Lead the site imports into.
"""

from __future__ import annotations

import frappe
from frappe import _
from frappe.model import no_value_fields

from intellicon_leads.importer.field_proposals import (
	MAX_FIELDNAME_LENGTH,
	fieldname_for,
	propose_field,
	tidy_label,
)
from intellicon_leads.lead_import import imports, json_argument, target
from intellicon_leads.lead_import.schema import lead_schema

# The types a proposal can have; the user may pick any of them.
FIELD_TYPES = ("Data", "Int", "Float", "Currency", "Date", "Datetime", "Check", "Select", "Small Text")
CUSTOM_PREFIX = "custom_"
_BREAKS = ("Section Break", "Tab Break")


def propose(file_url: str, column: int, sheet: str | None = None, encoding: str | None = None) -> dict:
	"""The field proposed for one column, judged from every value in it, with its Frappe field name."""
	with imports.open_upload(file_url, sheet, encoding) as table:
		index = _column_index(table.header, column)
		values = (row.values[index] if index < len(row.values) else None for row in table.rows())
		proposal = propose_field(table.header[index], values, position=index + 1)
	return {
		**proposal.to_dict(),
		"fieldname": custom_fieldname(proposal.label),
		"column": index,
		"fieldtypes": list(FIELD_TYPES),
	}


def create_from_column(
	file_url: str,
	column: int,
	label: str,
	fieldtype: str,
	options: str | list | None = None,
	sheet: str | None = None,
	encoding: str | None = None,
) -> dict:
	"""A Custom Field on the import's Lead for the column; the field as the wizard's field list holds it."""
	_column_index(imports.file_header(file_url, sheet, encoding)[0], column)
	doctype = target.lead_doctype()
	meta = frappe.get_meta(doctype)
	if not str(label or "").strip():
		frappe.throw(_("Give the new field a label."), title=_("Field not created"))
	label = tidy_label(label)
	fieldname = custom_fieldname(label)
	_check_unused(meta, label, fieldname)
	frappe.get_doc(
		{
			"doctype": "Custom Field",
			"dt": doctype,
			"label": label,
			"fieldname": fieldname,
			"fieldtype": _checked_type(fieldtype),
			"options": _select_options(fieldtype, options),
			"insert_after": insert_after(meta),
		}
	).insert()
	frappe.clear_cache(doctype=doctype)
	field = lead_schema(doctype).get(fieldname)
	if field is None:
		frappe.throw(_("The field {0} was made but cannot be imported into.").format(frappe.bold(label)))
	return field.to_dict()


def custom_fieldname(label: str) -> str:
	"""Frappe's name for a custom field with this label (custom_ first), ASCII, at most 64 characters."""
	name = fieldname_for(label)
	if not name.startswith(CUSTOM_PREFIX):
		name = f"{CUSTOM_PREFIX}{name}"
	return name[:MAX_FIELDNAME_LENGTH].rstrip("_")


def insert_after(meta) -> str:
	"""The last field of the Lead's first section, where a user looks first; else its last field."""
	last = None
	for df in meta.fields:
		if df.fieldtype in _BREAKS:
			if last:
				return last
		elif df.fieldtype != "Column Break":
			last = df.fieldname
	return meta.fields[-1].fieldname


def _column_index(header: list, column: int | str) -> int:
	try:
		index = int(column)
	except (TypeError, ValueError):
		index = -1
	if not 0 <= index < len(header):
		frappe.throw(_("The file has no column {0}. Upload it again.").format(column))
	return index


def _check_unused(meta, label: str, fieldname: str) -> None:
	"""A second field for the same thing is refused: the user maps the column to the first one."""
	wanted = label.casefold()
	for df in meta.fields:
		same_label = df.fieldtype not in no_value_fields and (df.label or "").strip().casefold() == wanted
		if df.fieldname == fieldname or same_label:
			frappe.throw(
				_(
					"The {0} already has a field {1} ({2}). Map the column to it, or give the new field another label."
				).format(_(meta.name), frappe.bold(df.label or df.fieldname), df.fieldname),
				title=_("Field already exists"),
			)


def _checked_type(fieldtype: str) -> str:
	if fieldtype not in FIELD_TYPES:
		frappe.throw(
			_("{0} is not a type a new field can have here. Choose one of: {1}.").format(
				frappe.bold(fieldtype), ", ".join(FIELD_TYPES)
			),
			title=_("Field not created"),
		)
	return fieldtype


def _select_options(fieldtype: str, options: str | list | None) -> str | None:
	"""A Select's options, one per line after an empty first one, so a lead with no value stays empty."""
	if fieldtype != "Select":
		return None
	options = json_argument(options) if str(options or "").lstrip().startswith("[") else options
	lines = options if isinstance(options, list) else str(options or "").splitlines()
	choices = list(dict.fromkeys(" ".join(str(o).split()) for o in lines if str(o).strip()))
	if not choices:
		frappe.throw(_("Give the Select field its options, one per line."), title=_("Field not created"))
	return "\n".join(["", *choices])
