"""Who may import leads, and who sees which import jobs and their files."""

from __future__ import annotations

import frappe
from frappe import _

from intellicon_leads.lead_import import JOB_DOCTYPE, target

DEFAULT_IMPORT_ROLES = ("System Manager", "Sales Manager", "Sales User")


def import_roles() -> set[str]:
	roles = frappe.get_all("Lead Import Role", filters={"parent": "Lead Import Settings"}, pluck="role")
	return set(roles or DEFAULT_IMPORT_ROLES)


def can_import(user: str | None = None) -> bool:
	user = user or frappe.session.user
	if user == "Guest":
		return False
	if not import_roles() & set(frappe.get_roles(user)):
		return False
	return bool(frappe.has_permission(target.lead_doctype(), "create", user=user))


def check_can_import() -> None:
	if not can_import():
		frappe.throw(
			_(
				"You are not allowed to import leads. Ask your administrator for a role that may import "
				"(Lead Import Settings) and permission to create Leads."
			),
			frappe.PermissionError,
		)


def check_job_access(job_name: str) -> None:
	frappe.has_permission(JOB_DOCTYPE, "read", doc=job_name, throw=True)


def is_admin(user: str) -> bool:
	return user == "Administrator" or "System Manager" in frappe.get_roles(user)


def check_can_add_fields() -> None:
	"""A new field changes the Lead for every user: a System Manager's decision, not an importer's."""
	if not is_admin(frappe.session.user):
		frappe.throw(
			_(
				"Only a System Manager can add fields to the Lead. Ask one to add this field, or skip the column."
			),
			frappe.PermissionError,
		)


def job_has_permission(doc, ptype: str | None = None, user: str | None = None) -> bool:
	"""has_permission hook: users see their own jobs; System Manager sees all."""
	user = user or frappe.session.user
	return is_admin(user) or doc.owner == user


def job_query_conditions(user: str | None = None) -> str:
	user = user or frappe.session.user
	if is_admin(user):
		return ""
	return f"`tab{JOB_DOCTYPE}`.`owner` = {frappe.db.escape(user)}"


def can_control_job(job, user: str | None = None) -> bool:
	"""Stop, undo or fix an import: the user who ran it, or a System Manager."""
	user = user or frappe.session.user
	return is_admin(user) or user in (job.owner, job.imported_by)


def check_job_control(job_name: str):
	"""The job, if this user may stop, undo or fix it; a PermissionError that says who may, if not."""
	check_job_access(job_name)
	job = frappe.get_doc(JOB_DOCTYPE, job_name)
	if not can_control_job(job):
		frappe.throw(
			_("Only the user who ran this import, or a System Manager, may change it."),
			frappe.PermissionError,
		)
	return job
