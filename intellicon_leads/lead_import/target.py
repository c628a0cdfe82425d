"""Which Lead an import writes to: the one decision, made from the site's DocTypes and the settings.

A site has the app's own Lead, ERPNext's Lead, or Frappe CRM's CRM Lead (or ERPNext and Frappe CRM
both). Frappe CRM's users work in its own UI, so where it is installed its CRM Lead is the target unless
an administrator chose another in Lead Import Settings ("Import Into").
"""

from __future__ import annotations

import frappe
from frappe import _

from intellicon_leads.lead_import import LEAD_DOCTYPE

CRM_LEAD_DOCTYPE = "CRM Lead"
LEAD_DOCTYPES = (LEAD_DOCTYPE, CRM_LEAD_DOCTYPE)
# Required fields a Lead's controller fills when a row leaves them empty: not required of the file.
# Frappe CRM's CRM Lead takes its first open status ("New").
SET_BY_CONTROLLER = {CRM_LEAD_DOCTYPE: frozenset({"status"})}
CRM_OTHER_REASON = "Other"
# The field Frappe CRM sets to a lead's latest assignee (crm.api.todo.after_insert): bulk assignment too.
ASSIGNEE_OWNER_FIELD = {CRM_LEAD_DOCTYPE: "lead_owner"}


def lead_doctype() -> str:
	"""The DocType new imports write to on this site."""
	chosen = frappe.db.get_single_value("Lead Import Settings", "lead_doctype")
	return chosen if chosen and doctype_exists(chosen) else automatic()


def automatic() -> str:
	"""The target when none is chosen: Frappe CRM's CRM Lead where it is installed, else Lead."""
	return CRM_LEAD_DOCTYPE if doctype_exists(CRM_LEAD_DOCTYPE) else LEAD_DOCTYPE


def extend_bootinfo(bootinfo) -> None:
	"""The desk's Import button and the wizard's links go to the list of this Lead."""
	if frappe.session.user != "Guest":
		bootinfo.intellicon_lead_doctype = lead_doctype()


def available() -> list[str]:
	"""The Lead DocTypes this site has."""
	return [doctype for doctype in LEAD_DOCTYPES if doctype_exists(doctype)]


def check_choice(doctype: str | None) -> None:
	"""Lead Import Settings may name only a Lead DocType the site has."""
	if doctype and not doctype_exists(doctype):
		frappe.throw(
			_("This site has no {0}: choose one of {1}, or leave Import Into empty.").format(
				frappe.bold(doctype), ", ".join(available())
			)
		)


def of_job(job) -> str:
	"""The DocType a job writes to: chosen when it was created, so that a change of settings never
	moves a running or finished import (jobs older than the choice wrote to Lead)."""
	return job.get("lead_doctype") or LEAD_DOCTYPE


def complete(doc, new: bool, assigned: bool = False) -> None:
	"""What Frappe CRM gives a lead made in its own UI, or demands of it, where the row left it empty.

	- Its New Lead dialog makes the user its owner, and a sales user sees only the leads they own or
	  are assigned: a new lead with no Lead Owner in the file is the importing user's, unless the
	  import assigns it (`assigned`), which makes the assignee its owner.
	- It refuses a lead whose status is of the Lost kind (Junk, Unqualified) without a lost reason,
	  which other CRMs' exports never carry: such a lead gets the reason "Other" and a note saying why.
	"""
	if doc.doctype != CRM_LEAD_DOCTYPE:
		return
	if new and not assigned and not doc.get("lead_owner"):
		doc.lead_owner = frappe.session.user
	if doc.get("lost_reason") or not doc.get("status"):
		return
	if frappe.get_cached_value("CRM Lead Status", doc.status, "type") != "Lost":
		return
	if frappe.db.exists("CRM Lost Reason", CRM_OTHER_REASON):
		doc.lost_reason = CRM_OTHER_REASON
		doc.lost_notes = doc.get("lost_notes") or _("Imported as {0}: the file gave no reason.").format(
			doc.status
		)


def doctype_exists(doctype: str) -> bool:
	return bool(frappe.db.exists("DocType", doctype))
