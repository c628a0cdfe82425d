"""Install and migrate: provide a Lead where no other app does, and sensible import settings."""

from __future__ import annotations

import json
import os

import frappe

from intellicon_leads.lead_import.permissions import DEFAULT_IMPORT_ROLES

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


def after_install() -> None:
	ensure_lead_doctype()
	ensure_default_settings()


def after_migrate() -> None:
	ensure_lead_doctype()


def ensure_lead_doctype() -> None:
	"""Create Lead (and Lead Source) from setup/, only where the site has none.

	These definitions are deliberately outside the synced doctype folders: Frappe syncs DocType JSON
	by name, so a synced lead.json would overwrite ERPNext's Lead on every migrate.
	"""
	if not frappe.db.exists("DocType", "Lead Source"):
		_create_doctype("lead_source.json")
		for source in LEAD_SOURCES:
			frappe.get_doc({"doctype": "Lead Source", "source_name": source}).insert(ignore_if_duplicate=True)
	if not frappe.db.exists("DocType", "Lead"):
		_create_doctype("lead.json")


def _create_doctype(filename: str) -> None:
	with open(os.path.join(SETUP_DIR, filename)) as f:
		definition = json.load(f)
	doc = frappe.get_doc(definition)
	doc.flags.ignore_permissions = True
	doc.insert()


def ensure_default_settings() -> None:
	settings = frappe.get_single("Lead Import Settings")
	if not settings.duplicate_match_fields:
		settings.append("duplicate_match_fields", {"fieldname": "email_id"})
	if not settings.import_roles:
		for role in DEFAULT_IMPORT_ROLES:
			if frappe.db.exists("Role", role):
				settings.append("import_roles", {"role": role})
	settings.max_file_size_mb = settings.max_file_size_mb or 50
	settings.batch_size = settings.batch_size or 500
	settings.flags.ignore_permissions = True
	settings.save()
