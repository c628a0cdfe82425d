"""Lead DocType meta (custom fields included) turned into the engine's plain field descriptions."""

from __future__ import annotations

import frappe
from frappe.model import no_value_fields, table_fields

from intellicon_leads.importer.fields import Field, Schema
from intellicon_leads.lead_import import LEAD_DOCTYPE, target

TEXT_TYPES = {"Small Text", "Text", "Long Text", "Text Editor", "Markdown Editor", "HTML Editor", "Code"}
SAME_TYPES = {"Select", "Link", "Int", "Float", "Currency", "Percent", "Date", "Datetime", "Check", "Phone"}
DATA_OPTIONS = {"Email": "Email", "Phone": "Phone", "URL": "URL"}
# What ERPNext's Lead names a lead after: the person, else the organisation, else the email address.
NAME_SOURCES = ("first_name", "middle_name", "last_name", "company_name", "email_id")
NEVER_IMPORTED = {"naming_series", "amended_from", "lead_name", "title", "image"}
# Defaults that only mean something when a document is made; Fast mode resolves them through new_doc.
DYNAMIC_DEFAULTS = ("Today", "Now", "__user", ":")


def lead_schema(doctype: str | None = None) -> Schema:
	"""Every field a user could fill from a file, in form order; of the Lead imports go to by default."""
	meta = frappe.get_meta(doctype or target.lead_doctype())
	filled = target.SET_BY_CONTROLLER.get(meta.name, frozenset())
	fields = tuple(f for df in meta.fields if (f := to_field(df, df.fieldname in filled)) is not None)
	return Schema(meta.name, fields, one_of=name_rule(meta, fields))


def name_rule(meta, fields) -> tuple[tuple[str, ...], ...]:
	"""ERPNext's Lead controller refuses a lead with no person's name, organisation or email
	("A Lead requires either a person's name or an organization's name"); where no name field is
	required, the engine checks the same rule so that a dry run predicts it."""
	names = {f.fieldname for f in fields}
	if (
		meta.name != LEAD_DOCTYPE
		or "first_name" not in names
		or any(f.required for f in fields if f.fieldname in NAME_SOURCES)
	):
		return ()
	return (tuple(f for f in NAME_SOURCES if f in names),)


def to_field(df, filled_by_controller: bool = False) -> Field | None:
	fieldtype = engine_type(df)
	if fieldtype is None or df.fieldname in NEVER_IMPORTED or df.read_only or df.hidden:
		return None
	default = str(df.default or "")
	if default.startswith(DYNAMIC_DEFAULTS):
		default = ""
	return Field(
		fieldname=df.fieldname,
		label=df.label or df.fieldname,
		fieldtype=fieldtype,
		required=bool(df.reqd) and not filled_by_controller,
		options=tuple(o for o in (df.options or "").split("\n") if o.strip())
		if fieldtype == "Select"
		else (),
		length=int(df.length or 0) or (140 if fieldtype in ("Data", "Email", "Phone", "URL") else 0),
		link_doctype=df.options if fieldtype == "Link" else "",
		default=default,
		custom=bool(df.get("is_custom_field")),
	)


def engine_type(df) -> str | None:
	if df.fieldtype in no_value_fields or df.fieldtype in table_fields:
		return None
	if df.fieldtype in SAME_TYPES:
		return df.fieldtype
	if df.fieldtype in TEXT_TYPES:
		return "Text"
	if df.fieldtype in ("Data", "Autocomplete"):
		return DATA_OPTIONS.get(df.options or "", "Data")
	return None
