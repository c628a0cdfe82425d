"""The records a Lead's Link fields may name on this site, and creating the ones a user chose to create."""

from __future__ import annotations

import frappe
from frappe import _

from intellicon_leads.importer.choices import NEVER_CREATED, LinkRecord, LinkTargets

# Past this many records a DocType is not a list to choose from; its values are only looked up by name.
MAX_TARGETS = 20000


def link_targets(doctype: str) -> LinkTargets | None:
	"""Every record of `doctype` with the texts that name it, and whether this user may create more."""
	if not frappe.db.exists("DocType", doctype) or frappe.db.count(doctype) > MAX_TARGETS:
		return None
	if doctype == "User":
		records = _users()
	elif doctype == "Country":
		rows = frappe.get_all("Country", fields=["name", "code"], limit=MAX_TARGETS)
		records = [LinkRecord(r.name, labels=(r.code,) if r.code else ()) for r in rows]
	else:
		records = _titled_records(doctype)
	return LinkTargets(doctype, records, can_create=creation_field(doctype) is not None)


def _users() -> list[LinkRecord]:
	rows = frappe.get_all(
		"User",
		filters={"enabled": 1, "name": ("not in", ("Guest",))},
		fields=["name", "email", "full_name", "first_name", "username"],
		limit=MAX_TARGETS,
	)
	return [
		LinkRecord(r.name, r.full_name or "", tuple(t for t in (r.email, r.username, r.first_name) if t))
		for r in rows
	]


def _titled_records(doctype: str) -> list[LinkRecord]:
	title_field = frappe.get_meta(doctype).title_field
	if not title_field or title_field == "name":
		return [LinkRecord(name) for name in frappe.get_all(doctype, pluck="name", limit=MAX_TARGETS)]
	rows = frappe.get_all(doctype, fields=["name", f"`{title_field}` as title"], limit=MAX_TARGETS)
	return [LinkRecord(r.name, str(r.title or "")) for r in rows]


def creation_field(doctype: str) -> str | None:
	"""The one field a new `doctype` record needs, if this user may create one from a value alone.

	As Frappe's own Data Import does for masters such as Lead Source or Industry Type: a plain
	DocType whose only mandatory field is the one that names it.
	"""
	if doctype in NEVER_CREATED or not frappe.has_permission(doctype, "create"):
		return None
	meta = frappe.get_meta(doctype)
	if meta.istable or meta.issingle or meta.is_submittable or meta.is_virtual:
		return None
	required = [df.fieldname for df in meta.fields if df.reqd and not df.default]
	autoname = meta.autoname or ""
	named_by = autoname[len("field:") :] if autoname.startswith("field:") else None
	if named_by and set(required) <= {named_by}:
		return named_by
	if autoname.lower() == "prompt" and not required:
		return "name"  # named by the value itself, as Frappe's UTM Source (ERPNext 16's lead sources)
	return required[0] if len(required) == 1 and autoname.lower() in ("prompt", "hash", "") else None


def create_link(doctype: str, name: str) -> str:
	"""The `doctype` record `name`, created with this user's permissions; its name."""
	fieldname = creation_field(doctype)
	if fieldname is None:
		frappe.throw(
			_("You may not create {0} records from an import.").format(_(doctype)), frappe.PermissionError
		)
	existing = frappe.db.get_value(doctype, {fieldname: name}) or frappe.db.exists(doctype, name)
	if existing:
		return existing
	doc = frappe.get_doc({"doctype": doctype, fieldname: name})
	if (frappe.get_meta(doctype).autoname or "").lower() == "prompt":
		doc.name = name
	return doc.insert().name
