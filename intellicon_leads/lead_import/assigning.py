"""Assignment of imported leads: Frappe's own (ToDo and the `_assign` column), written in bulk.

Each ToDo is the row frappe.desk.form.assign_to.add makes (Open, Medium, today, assigned by the importing
user), in one INSERT per batch, and `_assign` is the list ToDo.update_in_reference keeps, in one UPDATE
per assignee per batch. Round robin follows the row's number in the file, so that a chunk of a split
import, a chunk run again after its worker died, or a run of fixed rows gives each row the same user.
Every ToDo's description starts with the job's name: the undo and the notification find them by it.
Each assignee gets one notification per import, not one per lead.

New leads are always assigned. A lead the import updates is assigned only when nobody is assigned to
it: an import never takes a lead away from the salesperson who has it.
"""

from __future__ import annotations

import json
from collections import defaultdict
from typing import Any
from urllib.parse import urlencode

import frappe
from frappe import _
from frappe.model.naming import make_autoname
from frappe.utils import escape_html, get_fullname, get_url_to_list, now_datetime, nowdate

from intellicon_leads.lead_import import JOB_DOCTYPE, target

ASSIGN_COLUMN = "_assign"
ONE_USER, ROUND_ROBIN = "One user", "Round robin"
ASSIGNMENTS = ("", ONE_USER, ROUND_ROBIN)
FIRST_DATA_ROW = 2  # the row under the header: the first user gets it
# doc.flags of a lead whose assignment the import writes: Frappe's Assignment Rules leave it alone
# (lead_import.swaps, for the length of a batch).
ASSIGNED_BY_IMPORT = "intellicon_assigned_by_import"


def clean_users(value: Any) -> list[str]:
	"""User ids from a list or a text (one per line or comma-separated); each must be an enabled user."""
	if not value:
		return []
	users = frappe.parse_json(value) if isinstance(value, str) and value.lstrip().startswith("[") else value
	if isinstance(users, str):
		users = users.replace(",", "\n").splitlines()
	cleaned = list(dict.fromkeys(str(u).strip() for u in users if u and str(u).strip()))
	for user in cleaned:
		enabled = frappe.db.get_value("User", user, "enabled")
		if enabled is None:
			frappe.throw(_("There is no user {0} to assign leads to: choose an existing user.").format(user))
		if not enabled:
			frappe.throw(
				_("The user {0} is disabled: choose an enabled user to assign leads to.").format(user)
			)
	return cleaned


def assignment_for(users: list[str], assignment: str | None = None) -> str:
	"""The assignment a choice of users makes: one user, or round robin among several."""
	if assignment not in ASSIGNMENTS:
		frappe.throw(_("Assignment must be one of: One user, Round robin, or none."))
	if not users:
		if assignment:
			frappe.throw(_("Choose the users to assign the imported leads to."))
		return ""
	if assignment == ONE_USER and len(users) > 1:
		frappe.throw(_("Choose one user to assign every lead to, or Round robin for several users."))
	return assignment or (ROUND_ROBIN if len(users) > 1 else ONE_USER)


def job_users(job) -> list[str]:
	if not job.get("assignment"):
		return []
	return [u.strip() for u in (job.get("assign_to") or "").splitlines() if u.strip()]


def description_of(job_name: str) -> str:
	return escape_html(_("{0}: imported lead").format(job_name))


def rules_notice(doctype: str) -> str | None:
	"""What the wizard says when an Assignment Rule assigns new leads of this DocType."""
	rules = frappe.get_all(
		"Assignment Rule",
		filters={"document_type": doctype, "disabled": 0},
		pluck="name",
		order_by="priority desc",
	)
	if not rules:
		return None
	return _("Assignment rule {0} assigns new leads unless you choose an assignment here.").format(
		", ".join(rules)
	)


class LeadAssigner:
	"""Assigns leads of a DocType to the job's users, a batch at a time."""

	def __init__(self, doctype: str, users: list[str], job_name: str) -> None:
		self.doctype = doctype
		self.users = users
		self.description = description_of(job_name)
		self.assigned_by = frappe.session.user
		self.assigned_by_name = get_fullname(self.assigned_by)
		# Frappe CRM makes the latest assignee the lead's owner (crm.api.todo.after_insert).
		self.owner_field = target.ASSIGNEE_OWNER_FIELD.get(doctype)

	def user_for(self, row: int) -> str:
		return self.users[(row - FIRST_DATA_ROW) % len(self.users)]

	def assign(self, leads: list[tuple[str, int]], new: bool) -> dict[str, tuple[str, str]]:
		"""Assign (lead, file row) pairs; for each lead that changed, its `_assign` before and after."""
		if not self.users or not leads:
			return {}
		current = dict(
			frappe.db.sql(
				f"select name, `{ASSIGN_COLUMN}` from `tab{self.doctype}` where name in %(names)s",
				{"names": tuple(name for name, _row in leads)},
			)
		)
		changed: dict[str, tuple[str, str]] = {}
		todos: list[tuple[str, str]] = []
		by_value: dict[tuple[str, str], list[str]] = defaultdict(list)
		for name, row in leads:
			if name not in current or name in changed:
				continue
			before = current[name] or ""
			assigned = json.loads(before) if before else []
			user = self.user_for(row)
			if user in assigned or (assigned and not new):
				continue
			after = json.dumps([*assigned, user])
			changed[name] = (before, after)
			todos.append((name, user))
			by_value[(after, user)].append(name)
		self._insert_todos(todos)
		for (value, user), names in by_value.items():
			owner = f", `{self.owner_field}` = %(user)s" if self.owner_field else ""
			frappe.db.sql(
				f"update `tab{self.doctype}` set `{ASSIGN_COLUMN}` = %(value)s{owner} where name in %(names)s",
				{"value": value, "user": user, "names": tuple(names)},
			)
		return changed

	def _insert_todos(self, todos: list[tuple[str, str]]) -> None:
		if not todos:
			return
		now, today, by = now_datetime(), nowdate(), self.assigned_by
		values: list[Any] = []
		for name, user in todos:
			values += [make_autoname("hash", "ToDo"), by, by, now, now, 0, 0, "Open", "Medium", today]
			values += [user, self.description, self.doctype, name, by, self.assigned_by_name]
		placeholders = ",".join(["(" + ",".join(["%s"] * 16) + ")"] * len(todos))
		frappe.db.sql(
			"insert into `tabToDo` (name, owner, modified_by, creation, modified, docstatus, idx, status, "
			"priority, date, allocated_to, description, reference_type, reference_name, assigned_by, "
			f"assigned_by_full_name) values {placeholders}",
			values,
		)


def job_todos(job_name: str, doctype: str, names: list[str] | None = None) -> list[dict]:
	"""The ToDos the job made, for some of its leads or all of them."""
	filters: dict[str, Any] = {"reference_type": doctype, "description": description_of(job_name)}
	if names is not None:
		filters["reference_name"] = ("in", names)
	return frappe.get_all("ToDo", filters=filters, fields=["name", "allocated_to", "reference_name"])


def remove_assignment(job_name: str, doctype: str, name: str) -> None:
	"""Undo of one assignment: the job's ToDos on the lead go, and `_assign` lists the ones left, as
	ToDo.update_in_reference does."""
	todos = job_todos(job_name, doctype, [name])
	if todos:
		frappe.db.delete("ToDo", {"name": ("in", [t.name for t in todos])})
	left = frappe.get_all(
		"ToDo",
		filters={
			"reference_type": doctype,
			"reference_name": name,
			"status": ("not in", ("Cancelled", "Closed")),
			"allocated_to": ("is", "set"),
		},
		pluck="allocated_to",
		order_by="creation asc",
	)
	frappe.db.set_value(doctype, name, ASSIGN_COLUMN, json.dumps(left) if left else "", update_modified=False)


def notify_assignees(job) -> None:
	"""One notification per assignee: how many leads of the import were assigned to them."""
	if not job.get("assignment") or job.get("dry_run"):
		return
	doctype = target.of_job(job)
	counts: dict[str, int] = defaultdict(int)
	for todo in job_todos(job.name, doctype):
		counts[todo.allocated_to] += 1
	for user, count in counts.items():
		frappe.get_doc(
			{
				"doctype": "Notification Log",
				"for_user": user,
				"from_user": job.get("imported_by") or job.owner,
				"type": "Assignment",
				"document_type": JOB_DOCTYPE,
				"document_name": job.name,
				"link": assigned_leads_url(doctype, user),
				"subject": _("{0} leads from import {1} were assigned to you.").format(
					count, job.file_name or job.name
				),
			}
		).insert(ignore_permissions=True)


def assigned_leads_url(doctype: str, user: str) -> str:
	"""The desk list of the leads assigned to `user`."""
	return get_url_to_list(doctype) + "?" + urlencode({ASSIGN_COLUMN: json.dumps(["like", f"%{user}%"])})
