"""Saved mappings (Lead Import Template): save, list best-first for a file, load for the engine."""

from __future__ import annotations

import json
from typing import Any

import frappe
from frappe import _

from intellicon_leads.importer.mapping import Template, constants_to_dict, make_template, rank_templates
from intellicon_leads.lead_import import every_lead
from intellicon_leads.lead_import.schema import lead_schema

TEMPLATE_DOCTYPE = "Lead Import Template"


def save(
	name: str,
	headers: list[str],
	fields: list[str | None],
	value_maps: dict | None = None,
	new_links: dict | None = None,
	constants: dict | None = None,
):
	"""Create the template, or replace the mapping of the one with this name (and its values for
	every lead)."""
	name = (name or "").strip()
	if not name:
		frappe.throw(_("Give the template a name, e.g. HubSpot Export or Trade Show Leads."))
	if len(headers) != len(fields):
		frappe.throw(
			_("The mapping has {0} columns but the file has {1}. Map the columns again.").format(
				len(fields), len(headers)
			)
		)
	for_every_lead = every_lead.merged(lead_schema(), None, constants)
	template = make_template(name, headers, fields, value_maps or {}, new_links or {}, for_every_lead)
	created = {f: set(names) for f, names in template.new_links.items()}
	doc = (
		frappe.get_doc(TEMPLATE_DOCTYPE, name)
		if frappe.db.exists(TEMPLATE_DOCTYPE, name)
		else frappe.new_doc(TEMPLATE_DOCTYPE)
	)
	doc.template_name = name
	doc.header_fingerprint = template.fingerprint
	doc.set("columns", [{"header": h, "fieldname": f or ""} for h, f in template.columns.items()])
	doc.set(
		"value_maps",
		[
			{"fieldname": f, "file_value": k, "value": v, "create_record": int(v in created.get(f, ()))}
			for f, pairs in template.value_maps.items()
			for k, v in pairs.items()
		],
	)
	doc.constants = json.dumps(constants_to_dict(template.constants)) if template.constants else None
	doc.save()
	return doc


def load(name: str) -> Template:
	if not frappe.db.exists(TEMPLATE_DOCTYPE, name):
		frappe.throw(
			_("There is no import template called {0}.").format(frappe.bold(name)), frappe.DoesNotExistError
		)
	return to_template(frappe.get_doc(TEMPLATE_DOCTYPE, name))


def to_template(doc) -> Template:
	value_maps: dict[str, dict[str, str]] = {}
	new_links: dict[str, list[str]] = {}
	for row in doc.value_maps:
		value_maps.setdefault(row.fieldname, {})[row.file_value] = row.value or ""
		if row.create_record and row.value and row.value not in new_links.get(row.fieldname, ()):
			new_links.setdefault(row.fieldname, []).append(row.value)
	return Template(
		name=doc.name,
		columns={row.header: row.fieldname or None for row in doc.columns},
		value_maps=value_maps,
		fingerprint=doc.header_fingerprint or "",
		new_links=new_links,
		constants=every_lead.of_template_doc(doc),
	)


def all_templates() -> list[Template]:
	names = frappe.get_all(TEMPLATE_DOCTYPE, pluck="name", order_by="modified desc")
	return [to_template(frappe.get_doc(TEMPLATE_DOCTYPE, n)) for n in names]


def ranked(headers: list[str] | None) -> list[dict[str, Any]]:
	"""Every template; those that fit the file's headers first, an exact fingerprint match on top."""
	everything = all_templates()
	scores = {t.name: s for t, s in rank_templates(headers or [], everything)} if headers else {}
	ordered = sorted(everything, key=lambda t: (-scores.get(t.name, 0), t.name.casefold()))
	return [
		{"name": t.name, "score": round(scores.get(t.name, 0), 3), "columns": len(t.columns)} for t in ordered
	]
