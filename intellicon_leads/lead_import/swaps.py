"""What this app changes in Frappe while a batch of leads is written, in one place: `writing_batch`.

Each swap lasts exactly as long as the batch, is undone when the batch raises, and exists for a reason
measured on a real site. Nothing else in the app replaces a Frappe function.

- `frappe.db.commit` is held: other apps' hooks must not commit half a batch. ERPNext's Lead (15 and 16)
  creates a Contact whose after_insert hook (call_log.link_existing_conversations) commits; that would
  end the savepoints that roll a refused row back alone. The job commits at the end of each batch.
- `has_gravatar` answers "no picture" at once. Frappe (15 and 16) asks gravatar.com for every Contact
  and ERPNext's Lead for every lead (three HTTPS requests a lead on ERPNext, 5 s timeout each: measured
  360 ms a lead, 48 ms without). Frappe skips the request itself only under `frappe.flags.in_import`,
  which also turns off defaults, dropdown checks, assignment rules and notifications that Documents mode
  promises to run.
- `append_number_if_name_exists` claims the number it gives. Frappe's Contact (15 and 16) is named after
  the person, numbered past the names its transaction can see ("Ann Lee-1"): two chunks or two imports
  writing namesakes at once picked the same number, and the later insert waited for the other's batch,
  then failed. Each number is claimed with a named lock held until the batch ends, as the duplicate keys
  are; a number another session holds is skipped.
- Contact's `autoname` claims the bare name too ("Ann Lee", the first Contact of a person). The
  numbering above only starts once that name is visible; a bare name another chunk was still writing
  made the insert wait for that chunk's whole batch (231 waits in a two-worker run of 3,000 ERPNext
  leads), so two workers were no faster than one. A bare name another session holds is numbered at once.
- `frappe.enqueue` runs Frappe's clean-up of a deleted document's references (delete_dynamic_links)
  at once, in the batch's transaction. Frappe (15 and 16) queues one background job per deleted
  document; Frappe 16 also refuses to queue past 750 waiting jobs, so an undo of a few thousand
  leads would stop with "Too many queued background jobs", and on 15 it floods the queue.
- Assignment Rules (`assignment_rule.apply`, a hook on every document's on_update) leave alone a lead
  flagged ASSIGNED_BY_IMPORT: the import assigns it as the user chose, right after the batch. Frappe
  (15 and 16) skips the rules only under global flags (in_patch, in_install, in_setup_wizard), never
  per document; other documents, and leads of imports that assign nobody, meet the rules as always.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import frappe
import frappe.automation.doctype.assignment_rule.assignment_rule as assignment_rule
import frappe.model.naming
import frappe.utils
from frappe.model.base_document import get_controller
from frappe.utils import cint

from intellicon_leads.lead_import.assigning import ASSIGNED_BY_IMPORT
from intellicon_leads.lead_import.locks import key_lock_name, release_key_locks

_GRAVATAR = "has_gravatar"
_RULES = "apply"
_NUMBERED = "append_number_if_name_exists"
_DYNAMIC_LINKS = "frappe.model.delete_doc.delete_dynamic_links"
_CONTACT = "Contact"
_depth = 0  # writing_batch may be entered again inside a batch: only the outermost swaps and restores


@contextmanager
def writing_batch() -> Iterator[None]:
	"""Frappe as a batch of imported (or undone) leads needs it: commits held, no gravatar look-ups,
	numbered names claimed, references of deleted leads cleaned up at once; everything as it was
	afterwards, whatever the batch raised."""
	global _depth
	if _depth:
		_depth += 1
		try:
			yield
		finally:
			_depth -= 1
		return
	originals = {
		_GRAVATAR: frappe.utils.has_gravatar,
		_NUMBERED: frappe.model.naming.append_number_if_name_exists,
		_RULES: assignment_rule.apply,
	}
	replacements = {
		_GRAVATAR: _no_gravatar,
		_NUMBERED: _numbered_name_claimed(originals[_NUMBERED]),
		_RULES: _rules_unless_assigned(originals[_RULES]),
	}
	frappe.db.after_commit.add(release_key_locks)  # the name claims end with the batch
	frappe.db.after_rollback.add(release_key_locks)
	enqueue = frappe.enqueue
	_depth = 1
	try:
		with commits_held(), _contact_names_claimed():
			for attribute, original in originals.items():
				_swap_everywhere(attribute, original, replacements[attribute])
			frappe.enqueue = _reference_clean_up_now(enqueue)
			try:
				yield
			finally:
				frappe.enqueue = enqueue
				for attribute, original in originals.items():
					_swap_everywhere(attribute, replacements[attribute], original)
	finally:
		_depth = 0


@contextmanager
def commits_held() -> Iterator[None]:
	"""frappe.db.commit does nothing inside; the caller commits (see the module's docstring)."""
	db = frappe.db
	already_held = "commit" in vars(db)
	db.commit = _commit_later
	try:
		yield
	finally:
		if not already_held:
			del db.commit


@contextmanager
def _contact_names_claimed() -> Iterator[None]:
	"""Contact's controller (or the class an app overrides it with) claims the name it gives."""
	controller = get_controller(_CONTACT)
	own = controller.__dict__.get("autoname")
	autoname = getattr(controller, "autoname", None)
	if autoname is None:
		yield
		return
	controller.autoname = _bare_name_claimed(autoname)
	try:
		yield
	finally:
		if own is None:
			del controller.autoname
		else:
			controller.autoname = own


def _bare_name_claimed(autoname: Callable) -> Callable:
	def autoname_claimed(doc) -> None:
		autoname(doc)
		if doc.name and not _claim_name(doc.doctype, doc.name):
			doc.name = claimed_number(doc.doctype, doc.name)

	return autoname_claimed


def claimed_number(doctype: str, value: str, separator: str = "-") -> str:
	"""`value` numbered past the numbers this transaction can see ("Ann Lee-4"), skipping the numbers
	other sessions hold, and claimed until the batch ends: Frappe's numbering (append_number_if_name_
	exists), for a name that is taken though not yet visible."""
	last = frappe.db.sql(
		f"select name from `tab{doctype}` where name regexp %s order by length(name) desc, name desc limit 1",
		f"^{re.escape(value)}{separator}\\d+$",
	)
	number = cint(last[0][0].rsplit(separator, 1)[1]) + 1 if last else 1
	name = f"{value}{separator}{number}"
	while not _claim_name(doctype, name):
		number += 1
		name = f"{value}{separator}{number}"
	return name


def _commit_later(*args, **kwargs) -> None:
	return None


def _no_gravatar(email: str) -> str:
	return ""


def _numbered_name_claimed(original: Callable) -> Callable:
	def append_number_claimed(doctype, value, fieldname="name", separator="-", filters=None):
		name = original(doctype, value, fieldname, separator, filters)
		if fieldname != "name" or name == value:
			return name
		number = cint(name.rsplit(separator, 1)[1])
		while not _claim_name(doctype, name):
			number += 1
			name = f"{value}{separator}{number}"
		return name

	return append_number_claimed


def _rules_unless_assigned(apply: Callable) -> Callable:
	def apply_unless_assigned(doc=None, method=None, doctype=None, name=None):
		if doc is not None and doc.flags.get(ASSIGNED_BY_IMPORT):
			return None
		return apply(doc, method, doctype, name)

	return apply_unless_assigned


def _reference_clean_up_now(enqueue: Callable) -> Callable:
	def enqueue_or_run(method, *args, **kwargs):
		if method != _DYNAMIC_LINKS:
			return enqueue(method, *args, **kwargs)
		from frappe.model.delete_doc import delete_dynamic_links

		delete_dynamic_links(kwargs["doctype"], kwargs["name"])

	return enqueue_or_run


def _claim_name(doctype: str, name: str) -> bool:
	return frappe.db.sql("select get_lock(%s, 0)", key_lock_name(doctype, "name", name))[0][0] == 1


def _swap_everywhere(attribute: str, old: Callable, new: Callable) -> None:
	"""Every module that imported `old` as `attribute` gets `new` instead."""
	for module in list(sys.modules.values()):
		names = getattr(module, "__dict__", None)  # not getattr(module, attribute): lazy modules
		if isinstance(names, dict) and names.get(attribute) is old:
			setattr(module, attribute, new)
