"""A Lead owned by another module, made on a second site BEFORE intellicon_leads is installed there.

It stands in for ERPNext's Lead: the app must import into it and leave its definition untouched.
`bench --site SITE execute intellicon_leads.tests.foreign_lead.create` makes it.
"""

from __future__ import annotations

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

MODULE = "Foreign CRM"
STATUSES = (
	"Lead\nOpen\nReplied\nOpportunity\nQuotation\nLost Quotation\nInterested\nConverted\nDo Not Contact"
)
FIELDS = [
	{"fieldname": "first_name", "fieldtype": "Data", "label": "First Name"},
	{"fieldname": "last_name", "fieldtype": "Data", "label": "Last Name"},
	{"fieldname": "lead_name", "fieldtype": "Data", "label": "Person Name", "read_only": 1},
	{"fieldname": "email_id", "fieldtype": "Data", "label": "Email", "options": "Email"},
	{"fieldname": "company_name", "fieldtype": "Data", "label": "Organization Name", "reqd": 1},
	{"fieldname": "status", "fieldtype": "Select", "label": "Status", "options": STATUSES, "default": "Lead"},
]
CUSTOM_FIELD = {
	"fieldname": "custom_region",
	"label": "Sales Region",
	"fieldtype": "Data",
	"insert_after": "status",
}
MARKER_KEY = "intellicon_foreign_lead_modified"


def create() -> None:
	if frappe.db.exists("DocType", "Lead"):
		return
	if not frappe.db.exists("Module Def", MODULE):
		frappe.get_doc(
			{"doctype": "Module Def", "module_name": MODULE, "custom": 1, "app_name": "frappe"}
		).insert()
	frappe.get_doc(
		{
			"doctype": "DocType",
			"name": "Lead",
			"module": MODULE,
			"custom": 1,
			"autoname": "hash",
			"fields": FIELDS,
			"permissions": [{"role": "System Manager", "read": 1, "write": 1, "create": 1, "delete": 1}],
		}
	).insert()
	create_custom_fields({"Lead": [CUSTOM_FIELD]})
	frappe.db.set_default(MARKER_KEY, str(frappe.db.get_value("DocType", "Lead", "modified")))
	frappe.db.commit()


def is_foreign_site() -> bool:
	return frappe.db.get_value("DocType", "Lead", "module") == MODULE
