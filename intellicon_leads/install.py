"""Install and migrate: provide a Lead where no other app does, and sensible import settings."""

from __future__ import annotations

import json
import os

import frappe

from intellicon_leads.lead_import import target
from intellicon_leads.lead_import.permissions import DEFAULT_IMPORT_ROLES
from intellicon_leads.lead_import.schema import lead_schema

SETUP_DIR = os.path.join(os.path.dirname(__file__), "setup")
# Sources ERPNext ships, so that imported files using them link without errors.
LEAD_SOURCES = (
	"Existing Customer",
	"Reference",
	"Advertisement",
	"Cold Calling",
	"Exhibition",
	"Supplier Reference",
	"Mass Mailing",
	"Customer's Vendor",
	"Campaign",
	"Walk In",
	"Website",
)


# Frappe CRM's own UI (/crm) takes list actions from its CRM Form Scripts: an Import button there.
CRM_LIST_SCRIPT = "Intellicon Lead Import"
CRM_LIST_SCRIPT_CODE = """// Added by Intellicon Leads: the Import button of the Leads list opens the lead import wizard.
function setupList({ list }) {
	return {
		actions: [
			{
				label: "Import",
				icon: "upload",
				onClick: () => {
					window.location.href = "/app/lead-import";
				},
			},
		],
	};
}
"""


def after_install() -> None:
	ensure_lead_doctype()
	ensure_default_settings()
	ensure_crm_import_button()


def after_migrate() -> None:
	ensure_lead_doctype()
	ensure_crm_import_button()


def ensure_lead_doctype() -> None:
	"""Create Lead (and Lead Source) from setup/, only where the site has no Lead of any app.

	These definitions are deliberately outside the synced doctype folders: Frappe syncs DocType JSON
	by name, so a synced lead.json would overwrite ERPNext's Lead on every migrate. A site with Frappe
	CRM keeps its leads in CRM Lead, which the imports write to: a second Lead nobody sees is not made.
	"""
	if target.available() or "crm" in frappe.get_installed_apps():
		return
	if not frappe.db.exists("DocType", "Lead Source"):
		_create_doctype("lead_source.json")
		for source in LEAD_SOURCES:
			frappe.get_doc({"doctype": "Lead Source", "source_name": source}).insert(ignore_if_duplicate=True)
	_create_doctype("lead.json")


def ensure_crm_import_button() -> None:
	"""Frappe CRM's Leads list offers Import, through a CRM Form Script (its extension point)."""
	if not target.doctype_exists("CRM Form Script") or frappe.db.exists("CRM Form Script", CRM_LIST_SCRIPT):
		return
	script = frappe.get_doc(
		{
			"doctype": "CRM Form Script",
			"dt": target.CRM_LEAD_DOCTYPE,
			"view": "List",
			"enabled": 1,
			"script": CRM_LIST_SCRIPT_CODE,
		}
	)
	script.insert(set_name=CRM_LIST_SCRIPT, ignore_permissions=True)


def _create_doctype(filename: str) -> None:
	with open(os.path.join(SETUP_DIR, filename)) as f:
		definition = json.load(f)
	doc = frappe.get_doc(definition)
	doc.flags.ignore_permissions = True
	doc.insert()


def ensure_default_settings() -> None:
	settings = frappe.get_single("Lead Import Settings")
	if not settings.duplicate_match_fields:
		settings.append(
			"duplicate_match_fields", {"fieldname": lead_schema().resolve("email_id") or "email_id"}
		)
	if not settings.import_roles:
		for role in DEFAULT_IMPORT_ROLES:
			if frappe.db.exists("Role", role):
				settings.append("import_roles", {"role": role})
	settings.max_file_size_mb = settings.max_file_size_mb or 50
	settings.batch_size = settings.batch_size or 500
	settings.flags.ignore_permissions = True
	settings.save()
