"""Fast mode on ERPNext's Lead: the rows ERPNext (15 and 16) writes for each new lead, written in bulk.

For a new lead ERPNext's controller writes, besides the Lead row:
- when CRM Settings says *Auto Creation of Contact* (the default), a Contact made from the lead in
  `before_insert` (Lead.create_contact): first name (else the lead's name), last name, salutation,
  gender, job title as designation, organisation; its email as a Contact Email row, its phone and mobile
  as Contact Phone rows; named after the person, numbered past the names that exist ("Ann Lee-2");
- in `after_insert` (Lead.link_to_contact) a Dynamic Link row from that Contact to the lead, whose title
  Frappe sets to the lead's title, and the Contact saved again; ERPNext's validate hook on Contact
  (crm.utils.update_lead_phone_numbers) then writes the Contact's phones back to the lead, so a lead
  with only a mobile number gets it as its phone too;
- the Lead's own rules (Lead.validate): its name from salutation and names (else organisation, else
  the email's local part), its title, no picture (imports never ask gravatar.com, see swaps.py).

`LeadsWithContacts` computes all of it from the row's values, with one query per batch for each
look-up (contact names taken, users with the contacts' emails, emails already on leads), and writes
each table with one INSERT per batch. The parity test (tests/test_erpnext_fast.py) imports the same file
through the controller and in Fast mode and compares every stored column of the five tables.

A row the bulk path could not write exactly as the controller would goes through the controller, in
file order, so that it fails with the controller's own message or makes what the controller makes: a
lead the controller refuses (no name at all, an email another lead has when CRM Settings forbids it, an
email equal to the lead owner's), and a lead of an existing customer (it joins that customer's Contact).
A batch whose bulk write the database refuses (a name taken meanwhile by a user's own Contact) is written
again row by row through the controller.

Where other code acts on these documents (another app's doc_events, a Server Script, an active Service
Level Agreement, call logs to link to new contacts, a running transaction deletion), `why_not` says so
and the import runs in Documents mode.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import frappe
from frappe import _
from frappe.model.base_document import get_controller
from frappe.model.naming import make_autoname
from frappe.utils import cint, now_datetime

from intellicon_leads.importer.store import WriteResult
from intellicon_leads.lead_import.locks import key_lock_name

LEAD = "Lead"
CONTACT = "Contact"
CONTACT_TABLES = {"email_ids": "Contact Email", "phone_nos": "Contact Phone", "links": "Dynamic Link"}
EXISTING_CUSTOMER = "Existing Customer"
# The apps whose hooks on these documents Fast mode reproduces (or which add none that write rows).
KNOWN_APPS = ("frappe", "erpnext", "intellicon_leads")
_NUMBERED = re.compile(r"^(.*)-(\d+)$", re.DOTALL)


def writes(doctype: str) -> bool:
	"""This is ERPNext's Lead."""
	return (
		doctype == LEAD and frappe.get_meta(LEAD).module == "CRM" and "erpnext" in frappe.get_installed_apps()
	)


def why_not(doctype: str) -> str:
	"""Why Fast mode cannot write this site's leads as their controllers would, or "" when it can."""
	doctypes = (doctype, CONTACT, *CONTACT_TABLES.values()) if writes(doctype) else (doctype,)
	for app in frappe.get_installed_apps():
		if app in KNOWN_APPS:
			continue
		hooks = frappe.get_hooks("doc_events", app_name=app) or {}
		hooked = [d for d in (*doctypes, "*") if d in hooks]
		if hooked:
			return _("the app {0} runs its own code when a {1} is saved").format(app, hooked[0])
	scripts = frappe.get_all(
		"Server Script",
		filters={"script_type": "DocType Event", "disabled": 0, "reference_doctype": ("in", doctypes)},
		pluck="reference_doctype",
	)
	if scripts:
		return _("a Server Script runs when a {0} is saved").format(scripts[0])
	if not writes(doctype):
		return ""
	if frappe.db.exists("Service Level Agreement", {"document_type": ("in", (LEAD, CONTACT))}):
		return _("a Service Level Agreement applies to new leads")
	if frappe.db.exists("Transaction Deletion Record", {"docstatus": 1, "status": "Running"}):
		return _("a Transaction Deletion Record is running")
	if creates_contacts() and frappe.db.sql("select 1 from `tabCall Log` limit 1"):
		return _("ERPNext links each new contact to the call logs of its phone numbers")
	return ""


def creates_contacts() -> bool:
	return bool(cint(frappe.db.get_single_value("CRM Settings", "auto_creation_of_contact")))


class LeadsWithContacts:
	"""Complete Lead rows and the Contact rows ERPNext makes for them, for one import (see the module)."""

	def __init__(self, rows, controller: Callable[[dict[str, Any], str], WriteResult]) -> None:
		self.rows = rows  # the import's FastRows: Lead defaults, names, standard columns
		self.controller = controller  # writes one record through the document API, guarded
		self.contacts = creates_contacts()
		self.unique_emails = not cint(
			frappe.db.get_single_value("CRM Settings", "allow_lead_duplication_based_on_emails")
		)
		meta = frappe.get_meta(LEAD)
		self.source_field = "utm_source" if meta.has_field("utm_source") else "source"
		self.writer = ContactWriter(rows.now)

	# -- a batch -----------------------------------------------------------------------------------

	def write(
		self, records: list[dict[str, Any]], bulk: Callable[[Callable[[], None]], bool]
	) -> list[WriteResult]:
		"""Write `records` in file order: runs of rows in bulk, the others through the controller.

		`bulk(write)` runs `write` under a savepoint and says whether it held; a run it refused is
		written again through the controller."""
		results: list[WriteResult | None] = [None] * len(records)
		taken = self._emails_on_leads(records)
		run: list[tuple[int, dict[str, Any]]] = []

		def flush() -> None:
			if not run:
				return
			prepared = [self._lead_row(record) for _i, record in run]
			if bulk(lambda: self._insert(prepared)):
				for (index, _record), row in zip(run, prepared, strict=True):
					results[index] = WriteResult(name=row["name"])
			else:
				for index, record in run:
					results[index] = self.controller(record, self.rows.make_name(dict(record)))
			run.clear()

		for index, record in enumerate(records):
			email = _email_key(record.get("email_id"))
			if self._needs_controller(record, email, taken):
				flush()
				results[index] = self.controller(record, self.rows.make_name(dict(record)))
				if results[index].name and email:
					taken.add(email)
				continue
			run.append((index, record))
			if email:
				taken.add(email)
		flush()
		return results  # type: ignore[return-value]

	def _needs_controller(self, record: dict[str, Any], email: str, taken: set[str]) -> bool:
		if self.contacts and record.get(self.source_field) == EXISTING_CUSTOMER and record.get("customer"):
			return True  # joins the customer's Contact, if it has one: rare, and the controller knows how
		if not _lead_name_before_insert(record).split():
			return True  # "A Lead requires either a person's name or an organization's name"
		if email and self.unique_emails and email in taken:
			return True  # "Email Address must be unique, it is already used in ..."
		owner = record.get("lead_owner") or self.rows.defaults.get("lead_owner")
		return bool(email and record.get("email_id") == owner)  # "Lead Owner cannot be same as ..."

	def _emails_on_leads(self, records: list[dict[str, Any]]) -> set[str]:
		if not self.unique_emails:
			return set()
		emails = {record["email_id"] for record in records if record.get("email_id")}
		if not emails:
			return set()
		found = frappe.db.sql("select email_id from `tabLead` where email_id in %s", [tuple(emails)])
		return {_email_key(email) for (email,) in found}

	# -- rows --------------------------------------------------------------------------------------

	def _lead_row(self, record: dict[str, Any]) -> dict[str, Any]:
		lead = dict(record)
		contact = None
		# before_insert: the Contact is made from the values as the file gave them.
		if self.contacts:
			if not lead.get("lead_name"):
				lead["lead_name"] = _lead_name_before_insert(lead)
			contact = self.writer.contact_of(lead)
		if lead.get("lead_name") and not any(lead.get(f) for f in ("first_name", "middle_name", "last_name")):
			lead["first_name"], lead["middle_name"], lead["last_name"] = _parse_full_name(lead["lead_name"])
		# validate
		if lead.get("first_name"):
			parts = (lead.get(f) for f in ("salutation", "first_name", "middle_name", "last_name"))
			lead["lead_name"] = " ".join(filter(None, parts))
		lead["lead_name"] = lead.get("lead_name") or _lead_name_before_insert(lead)
		lead["title"] = lead.get("company_name") or lead["lead_name"]
		if lead.get("email_id"):
			lead["image"] = ""  # has_gravatar, never asked during an import
		row = self.rows.prepare(lead)
		if contact is not None:
			row["__contact"] = contact
			row.update(lead_phones(contact))
		return row

	# -- writing -----------------------------------------------------------------------------------

	def _insert(self, leads: list[dict[str, Any]]) -> None:
		pairs = [(lead, lead.pop("__contact")) for lead in leads if "__contact" in lead]
		self.rows.insert(leads, self.rows.columns(leads))
		self.writer.write([(lead["name"], lead["title"], contact) for lead, contact in pairs])


class ContactWriter:
	"""The Contacts ERPNext's Lead makes (Lead.create_contact, then Contact.validate), their email, phone
	and link rows, written with one INSERT per table."""

	def __init__(self, now=None) -> None:
		self.user = frappe.session.user
		self.now = now or now_datetime()
		self.contact_defaults = _defaults(CONTACT)
		self.child_defaults = {table: _defaults(table) for table in CONTACT_TABLES.values()}
		self.names = ContactNames()

	def contact_of(self, lead: dict[str, Any]) -> dict[str, Any]:
		"""The Contact of a lead as Lead.create_contact makes it from the lead's values at that moment."""
		contact = {
			**self.contact_defaults,
			"first_name": lead.get("first_name") or lead.get("lead_name"),
			"last_name": lead.get("last_name"),
			"salutation": lead.get("salutation"),
			"gender": lead.get("gender"),
			"designation": lead.get("job_title"),
			"company_name": lead.get("company_name"),
		}
		email, phone, mobile = lead.get("email_id"), lead.get("phone"), lead.get("mobile_no")
		contact["email_ids"] = [{"email_id": email, "is_primary": 1}] if email else []
		contact["phone_nos"] = [
			*([{"phone": phone, "is_primary_phone": 1, "is_primary_mobile_no": 0}] if phone else []),
			*([{"phone": mobile, "is_primary_phone": 0, "is_primary_mobile_no": 1}] if mobile else []),
		]
		# Contact.validate
		names = (contact.get(f) for f in ("first_name", "last_name"))
		contact["full_name"] = " ".join(filter(None, (str(n).strip() for n in names if n))) or (
			contact.get("company_name") or ""
		)
		contact["email_id"] = email.strip() if email else ""
		contact["phone"] = phone or ""
		contact["mobile_no"] = mobile or ""
		if email:
			contact["image"] = ""
		return contact

	def write(self, leads: list[tuple[str, str, dict[str, Any]]]) -> None:
		"""(lead name, lead title, contact) each: the Contact named, linked to its lead, and written."""
		if not leads:
			return
		contacts = [contact for _name, _title, contact in leads]
		self.names.assign(contacts)
		users = self._users({c["email_id"] for c in contacts if c["email_id"]})
		stamp = {"owner": self.user, "modified_by": self.user, "creation": self.now, "modified": self.now}
		children: dict[str, list[dict[str, Any]]] = {table: [] for table in CONTACT_TABLES.values()}
		for lead, title, contact in leads:
			contact.update(stamp, docstatus=0, idx=0, user=users.get(_email_key(contact["email_id"])))
			# Frappe's set_link_title: the lead's title, else its name.
			contact["links"] = [{"link_doctype": LEAD, "link_name": lead, "link_title": title or lead}]
			for field, table in CONTACT_TABLES.items():
				for idx, child in enumerate(contact.pop(field), start=1):
					children[table].append(
						{
							**self.child_defaults[table],
							**child,
							**stamp,
							"docstatus": 0,
							"name": make_autoname("hash", table),
							"idx": idx,
							"parent": contact["name"],
							"parentfield": field,
							"parenttype": CONTACT,
						}
					)
		insert_rows(CONTACT, contacts)
		for table, rows in children.items():
			insert_rows(table, rows)

	def _users(self, emails: set[str]) -> dict[str, str]:
		if not emails:
			return {}
		found = frappe.db.sql(
			"select email, name from `tabUser` where email in %s order by creation", [tuple(emails)]
		)
		users: dict[str, str] = {}
		for email, name in found:
			users.setdefault(_email_key(email), name)
		return users


def lead_phones(contact: dict[str, Any]) -> dict[str, Any]:
	"""What ERPNext's Contact hook (crm.utils.update_lead_phone_numbers) writes back to the lead once the
	Contact is saved with its link: the first phone as both numbers, else the primary phone and mobile."""
	phones = contact["phone_nos"]
	if not phones:
		return {}
	primary = [p["phone"] for p in phones if p["is_primary_phone"]]
	mobile = [p["phone"] for p in phones if p["is_primary_mobile_no"]]
	return {
		"phone": primary[0] if len(phones) > 1 and primary else phones[0]["phone"],
		"mobile_no": mobile[0] if len(phones) > 1 and mobile else phones[0]["phone"],
	}


class ContactNames:
	"""Contact names as Contact.autoname gives them one by one: the person's full name, else that name
	numbered past the highest number taken ("Ann Lee-3"), compared as MariaDB compares names (case and
	accents aside). Each name is claimed like Documents mode's (swaps.py), so that imports and chunks
	writing namesakes at the same time never pick the same name."""

	def assign(self, contacts: list[dict[str, Any]]) -> None:
		bases = {contact["full_name"] for contact in contacts}
		taken = self._taken(bases)
		wanted = []
		for contact in contacts:
			base = contact["full_name"]
			bare, number = taken.setdefault(_name_key(base), [False, 0])
			if not bare:
				taken[_name_key(base)][0] = True
				contact["name"] = base
			else:
				taken[_name_key(base)][1] = number + 1
				contact["name"] = f"{base}-{number + 1}"
			wanted.append(contact)
		while wanted:
			held = [
				c for c, ok in zip(wanted, self._claim([c["name"] for c in wanted]), strict=True) if not ok
			]
			for contact in held:  # another session is writing that name: the next number
				state = taken[_name_key(contact["full_name"])]
				state[1] += 1
				contact["name"] = f"{contact['full_name']}-{state[1]}"
			wanted = held

	def _taken(self, bases: set[str]) -> dict[str, list]:
		"""Per base name: [bare name taken, highest number taken]."""
		patterns = [_like_prefix(base) + "-%" for base in bases]
		rows = frappe.db.sql(
			"select name from `tabContact` where name in %s" + " or name like %s" * len(patterns),
			[tuple(bases), *patterns],
		)
		keys = {_name_key(base) for base in bases}
		taken: dict[str, list] = {}
		for (name,) in rows:
			key = _name_key(name)
			if key in keys:
				taken.setdefault(key, [False, 0])[0] = True
				continue
			numbered = _NUMBERED.match(name)
			if numbered and _name_key(numbered.group(1)) in keys:
				state = taken.setdefault(_name_key(numbered.group(1)), [False, 0])
				state[1] = max(state[1], int(numbered.group(2)))
		return taken

	def _claim(self, names: list[str]) -> list[bool]:
		granted = []
		for start in range(0, len(names), 100):
			chunk = names[start : start + 100]
			row = frappe.db.sql(
				"select " + ", ".join(["get_lock(%s, 0)"] * len(chunk)),
				[key_lock_name(CONTACT, "name", name) for name in chunk],
			)[0]
			granted.extend(value == 1 for value in row)
		return granted


def insert_rows(doctype: str, rows: list[dict[str, Any]]) -> None:
	"""One multi-row INSERT of complete rows (see FastRows.insert)."""
	if not rows:
		return
	columns: dict[str, None] = {}
	for row in rows:
		columns.update(dict.fromkeys(row))
	valid = set(frappe.db.get_table_columns(doctype))
	names = [c for c in columns if c in valid]
	placeholders = "(" + ",".join(["%s"] * len(names)) + ")"
	values = [row.get(c) for row in rows for c in names]
	frappe.db.sql(
		f"insert into `tab{doctype}` ({','.join(f'`{c}`' for c in names)}) "
		f"values {','.join([placeholders] * len(rows))}",
		values,
	)


def _defaults(doctype: str) -> dict[str, Any]:
	meta = frappe.get_meta(doctype)
	blank = frappe.new_doc(doctype).as_dict()
	valid = {df.fieldname for df in meta.fields if df.fieldtype not in ("Table", "Table MultiSelect")}
	return {k: v for k, v in blank.items() if k in valid and v is not None}


def _lead_name_before_insert(lead: dict[str, Any]) -> str:
	"""Lead.set_full_name then set_lead_name, as create_contact calls them: "" when the lead has none."""
	if lead.get("lead_name"):
		return lead["lead_name"]
	if lead.get("first_name"):
		parts = (lead.get(f) for f in ("salutation", "first_name", "middle_name", "last_name"))
		return " ".join(filter(None, parts))
	if lead.get("company_name"):
		return lead["company_name"]
	return lead["email_id"].split("@")[0] if lead.get("email_id") else ""


def _parse_full_name(full_name: str) -> tuple[str, str | None, str | None]:
	"""erpnext.selling.doctype.customer.customer.parse_full_name"""
	names = full_name.split()
	return names[0], " ".join(names[1:-1]) if len(names) > 2 else None, names[-1] if len(names) > 1 else None


def _email_key(email: Any) -> str:
	return str(email).strip().casefold() if email else ""


def _name_key(name: str) -> str:
	"""A name as MariaDB's utf8mb4_unicode_ci compares it: case, accents and trailing spaces aside."""
	decomposed = unicodedata.normalize("NFKD", name)
	return "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().rstrip()


def _like_prefix(value: str) -> str:
	return value.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


# -- Documents mode ------------------------------------------------------------------------------------


def defers_contacts(doctype: str) -> bool:
	"""Documents mode on ERPNext's Lead writes the Contacts its controller makes in bulk (DeferredContacts)
	where nothing but ERPNext's own code acts on a new Contact."""
	if not (writes(doctype) and creates_contacts()) or why_not(doctype):
		return False
	watched = {"document_type": CONTACT, "enabled": 1}
	return not (
		frappe.db.exists("Notification", watched)
		or frappe.db.exists("Webhook", {"webhook_doctype": CONTACT, "enabled": 1})
	)


class DeferredContacts:
	"""Documents mode on ERPNext's Lead: each lead goes through its controller, whose before_insert makes a
	Contact and whose after_insert saves it again with a link to the lead (two document saves, 80% of a
	lead's time: profile_documents.py). Here Lead.create_contact returns the Contact unsaved; the batch's
	Contacts are written once its leads are, as ContactWriter writes Fast mode's, with the phones ERPNext's
	Contact hook copies back to the lead. The parity test compares them with the controller's own."""

	def __init__(self) -> None:
		self.writer = ContactWriter()
		self.pending: dict[str, tuple[Any, dict[str, Any]]] = {}

	@contextmanager
	def collecting(self) -> Iterator[None]:
		controller = get_controller(LEAD)
		own = controller.__dict__.get("create_contact")
		original = controller.create_contact
		deferred = self

		def create_contact(lead):
			if not lead.is_new():
				return original(lead)  # "Create Contact" on a saved lead: not an import's
			if not lead.lead_name:
				lead.set_full_name()
				lead.set_lead_name()
			return _PendingContact(deferred, lead, deferred.writer.contact_of(lead.as_dict()))

		controller.create_contact = create_contact
		try:
			yield
		finally:
			if own is None:
				del controller.create_contact
			else:
				controller.create_contact = own

	def flush(self, written: set[str]) -> None:
		"""The Contacts of the leads written (a lead rolled back leaves its Contact unwritten)."""
		pending = [(name, lead, contact) for name, (lead, contact) in self.pending.items() if name in written]
		self.pending.clear()
		self.writer.now = now_datetime()
		phones = [(lead_phones(contact), name) for name, _lead, contact in pending]
		self.writer.write([(name, lead.get("title"), contact) for name, lead, contact in pending])
		for values, name in phones:
			if values:  # as db_set writes them while the lead is still being saved: `modified` kept
				frappe.db.sql(
					"update `tabLead` set phone = %s, mobile_no = %s where name = %s",
					(values["phone"], values["mobile_no"], name),
				)

	def forget(self) -> None:
		self.pending.clear()


class _PendingContact:
	"""What Lead.link_to_contact needs of the Contact: append its link, then save it (here: keep it)."""

	def __init__(self, deferred: DeferredContacts, lead, contact: dict[str, Any]) -> None:
		self.deferred, self.lead, self.contact = deferred, lead, contact

	def append(self, fieldname: str, row: dict[str, Any]) -> None:
		return None  # ContactWriter links the Contact to the lead, with the title Frappe gives the link

	def save(self, *args, **kwargs) -> None:
		self.deferred.pending[self.lead.name] = (self.lead, self.contact)
