"""Fast mode on ERPNext's Lead stores what ERPNext's controller stores, table for table, column for column.

Each test imports one file through the controller (Documents mode), rolls the site back to the moment
before, imports the same file in Fast mode, and compares every stored column of Lead, Contact, Contact
Email, Contact Phone and Dynamic Link: the same site twice, from the same state. Only what two writes
of one row cannot share is left out (timestamps, the user stamps, child rows' random names).
"""

from __future__ import annotations

import frappe

from intellicon_leads import api
from intellicon_leads.lead_import import erpnext_fast, files, undo
from intellicon_leads.lead_import.store import write_mode_for
from intellicon_leads.lead_import.swaps import commits_held
from intellicon_leads.tests.utils import (
	CHECKPOINT,
	LeadImportTestCase,
	add_source,
	csv_bytes,
	failed_rows,
	make_user,
	source_field,
)

STAMPS = {"creation", "modified", "owner", "modified_by", "_user_tags", "_liked_by", "_comments", "_assign"}
CHILD_TABLES = ("Contact Email", "Contact Phone", "Dynamic Link")
HEADER = [
	"Salutation",
	"First Name",
	"Last Name",
	"Email",
	"Phone",
	"Mobile",
	"Company",
	"Job Title",
	"Gender",
	"Lead Owner",
	"Source",
]
OWNER = "fast-owner@example.com"
ROWS = [
	["Mr", "Ann", "Lee", "ann@example.com", "+1 415 555 0100", "", "Acme", "CEO", "Female", "", ""],
	["", "Ann", "Lee", "ann2@example.com", "", "415-555-0101", "", "", "", "", ""],  # a namesake
	["", "ANN", "LEE", "ann3@example.com", "415 555 0102", "415 555 0103", "", "", "", "", ""],
	["", "", "", "bob@example.com", "", "", "Beta Corp Ltd", "", "", "", ""],  # organisation only
	["", "", "", "carl@example.com", "", "", "", "", "", "", ""],  # an email only
	["", "", "", "mary@example.com", "", "", "Mary Ann van Dyke Co", "", "", "", ""],
	["", "José", "Núñez", "jose@example.com", "", "", "", "", "", "", ""],
	["", "Jose", "Nunez", "jose2@example.com", "", "", "", "", "", "", ""],  # the same name to MariaDB
	["", "Pre", "Existing", "pre@example.com", "", "", "", "", "", "", ""],  # a Contact has the name
	["", "Numbered", "Person", "num@example.com", "", "", "", "", "", "", ""],  # only "-4" exists
	["", "Numbered", "Person", "num2@example.com", "", "", "", "", "", "", ""],
	["", "Zed", "", OWNER, "", "", "", "", "", "", ""],  # a user has this email
	["", "Owen", "Self", OWNER, "", "", "", "", "", OWNER, ""],  # the owner's own email
	["", "Dup", "Email", "taken@example.com", "", "", "", "", "", "", ""],  # another lead's email
	["", "", "", "", "+1 415 555 0199", "", "", "", "", "", ""],  # no name, no email
	["", "Cora", "Client", "cora@example.com", "", "", "", "", "", "", "Existing Customer"],
]
MAPPING = [
	"salutation",
	"first_name",
	"last_name",
	"email_id",
	"phone",
	"mobile_no",
	"company_name",
	"job_title",
	"gender",
	"lead_owner",
	"source",
]


class TestFastModeOnERPNextsLead(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		if not erpnext_fast.writes("Lead"):
			self.skipTest("this site's Lead is not ERPNext's")
		# From no Contact, as from no Lead (rolled back after): other tests leave theirs.
		for table in ("Contact", *CHILD_TABLES):
			frappe.db.delete(table, {"parenttype": "Contact"} if table == "Dynamic Link" else {})
		self.crm_settings(auto_creation_of_contact=1, allow_lead_duplication_based_on_emails=0)
		# Duplicates matched by mobile number: a row with another lead's email reaches the controller.
		self.settings(match_fields=("mobile_no",))
		make_user(OWNER, [])
		if not frappe.db.exists("Salutation", "Mr"):
			frappe.get_doc({"doctype": "Salutation", "salutation": "Mr"}).insert()
		if not frappe.db.exists("Gender", "Female"):
			frappe.get_doc({"doctype": "Gender", "gender": "Female"}).insert()
		add_source("Existing Customer")
		with commits_held():
			for first, last in (("Pre", "Existing"), ("Numbered", "Person")):
				contact = frappe.get_doc({"doctype": "Contact", "first_name": first, "last_name": last})
				contact.insert(ignore_permissions=True)
			frappe.rename_doc("Contact", "Numbered Person", "Numbered Person-4", force=True)
			frappe.get_doc(
				{"doctype": "Lead", "first_name": "Taken", "email_id": "taken@example.com"}
			).insert()
		self.rows = [list(row) for row in ROWS]
		self.mapping = [source_field() if f == "source" else f for f in MAPPING]
		self.customer_contact = self.customer_with_contact()

	def crm_settings(self, **values) -> None:
		for field, value in values.items():
			frappe.db.set_single_value("CRM Settings", field, value)

	def customer_with_contact(self) -> str:
		"""Cora's lead names a customer whose Contact the controller links to instead of making one."""
		with commits_held():
			customer = frappe.get_doc(
				{"doctype": "Customer", "customer_name": "Cora Ltd", "customer_type": "Company"}
			)
			customer.flags.ignore_mandatory = True
			customer.insert(ignore_permissions=True)
			contact = frappe.get_doc(
				{
					"doctype": "Contact",
					"first_name": "Cora",
					"links": [{"link_doctype": "Customer", "link_name": customer.name}],
				}
			)
			contact.insert(ignore_permissions=True)
		if "customer" not in self.mapping:
			self.mapping.append("customer")
			for row in self.rows:
				row.append(customer.name if row[1] == "Cora" else "")
		return contact.name

	# -- the comparison ----------------------------------------------------------------------------

	def stored(self) -> dict[str, list[dict]]:
		"""Every row of the five tables, without the columns two writes of a row cannot share; leads
		are known by their email and name (their names come from the series, the same in both runs)."""
		tables = {}
		for table in ("Lead", "Contact", *CHILD_TABLES):
			skip = STAMPS | ({"name"} if table in CHILD_TABLES else set())
			order = "parent, parentfield, idx" if table in CHILD_TABLES else "name"
			rows = frappe.db.sql(f"select * from `tab{table}` order by {order}", as_dict=True)
			tables[table] = [{k: v for k, v in row.items() if k not in skip} for row in rows]
		return tables

	def import_both_ways(self, header=HEADER) -> tuple[frappe._dict, frappe._dict, dict, dict]:
		"""The file imported through ERPNext's controller alone, then (from the same state) in Documents
		mode, whose Contacts are written in bulk, and in Fast mode: the controller's job and tables, and
		Fast mode's; Documents mode's tables must equal the controller's too."""
		header = [*header, "Customer"][: len(self.mapping)]
		content = csv_bytes(self.rows, header)
		frappe.db.savepoint("before_both")
		# A Notification on new Contacts (it never sends) leaves every Contact to its controller.
		self.notification_on_contacts()
		self.assertFalse(erpnext_fast.defers_contacts("Lead"))
		documents = self.import_file("controller.csv", content, mapping=self.mapping)
		by_controller = self.stored()
		frappe.db.rollback(save_point="before_both")
		forget_notifications()
		if erpnext_fast.creates_contacts():
			self.assertTrue(erpnext_fast.defers_contacts("Lead"))
		deferred = self.import_file("documents.csv", content, mapping=self.mapping)
		self.assert_same(by_controller, self.stored())
		self.assert_same_counts_and_errors(documents, deferred)
		frappe.db.rollback(save_point="before_both")
		self.settings(match_fields=("mobile_no",), write_mode="Fast")
		fast = self.import_file("fast.csv", content, mapping=self.mapping)
		self.assertEqual(frappe.db.get_value("Lead Import Job", fast.name, "write_mode"), "Fast")
		return documents, fast, by_controller, self.stored()

	def notification_on_contacts(self) -> None:
		frappe.get_doc(
			{
				"doctype": "Notification",
				"name": "Fast mode test: new contacts",
				"subject": "New contact",
				"document_type": "Contact",
				"event": "New",
				"channel": "System Notification",
				"condition": "doc.first_name == 'Nobody Ever'",
				"recipients": [{"receiver_by_role": "System Manager"}],
				"enabled": 1,
			}
		).insert(ignore_permissions=True)
		self.addCleanup(forget_notifications)

	def server_script(self, doctype: str) -> None:
		frappe.get_doc(
			{
				"doctype": "Server Script",
				"name": f"Fast mode test on {doctype}",
				"script_type": "DocType Event",
				"reference_doctype": doctype,
				"doctype_event": "Before Save",
				"script": "pass",
			}
		).insert(ignore_permissions=True)
		# Frappe caches the scripts by DocType; the rollback after the test does not clear that cache.
		self.addCleanup(frappe.cache.delete_value, "server_script_map")

	def assert_same(self, by_controller: dict, in_bulk: dict) -> None:
		for table in by_controller:
			self.assertEqual(len(in_bulk[table]), len(by_controller[table]), table)
			for expected, got in zip(by_controller[table], in_bulk[table], strict=True):
				self.assertEqual(got, expected, f"{table} {expected.get('name') or expected.get('parent')}")

	def assert_same_counts_and_errors(self, documents: frappe._dict, fast: frappe._dict) -> None:
		keys = ("imported", "updated", "skipped", "failed")
		self.assertEqual([fast[k] for k in keys], [documents[k] for k in keys])
		self.assertEqual(failed_rows(fast), failed_rows(documents))

	# -- the settings that change what ERPNext writes ----------------------------------------------

	def test_contacts_made_and_duplicate_emails_refused_as_by_the_controller(self):
		documents, fast, by_controller, in_bulk = self.import_both_ways()
		self.assert_same(by_controller, in_bulk)
		self.assert_same_counts_and_errors(documents, fast)
		self.assertEqual((documents.imported, documents.failed), (13, 3), failed_rows(documents))
		contacts = {row["name"] for row in in_bulk["Contact"]}
		expected = {
			"Ann Lee",
			"Ann Lee-1",
			"ANN LEE-2",
			"Pre Existing-1",
			"Numbered Person",
			"Numbered Person-5",
		}
		self.assertLessEqual(expected, contacts)
		lead = frappe.db.get_value("Lead", {"email_id": "ann2@example.com"}, ["phone", "mobile_no"])
		self.assertEqual(lead, ("415-555-0101", "415-555-0101"))  # the Contact's phone, copied back
		cora = frappe.db.get_value("Lead", {"email_id": "cora@example.com"})
		linked = frappe.get_all("Dynamic Link", {"link_name": cora, "parenttype": "Contact"}, pluck="parent")
		self.assertEqual(linked, [self.customer_contact])

	def test_no_contacts_when_crm_settings_says_so(self):
		self.crm_settings(auto_creation_of_contact=0)
		documents, fast, by_controller, in_bulk = self.import_both_ways()
		self.assert_same(by_controller, in_bulk)
		self.assert_same_counts_and_errors(documents, fast)
		lead = frappe.db.get_value("Lead", {"email_id": "bob@example.com"}, ["first_name", "lead_name"])
		self.assertEqual(lead, (None, "Beta Corp Ltd"))

	def test_duplicate_emails_allowed_when_crm_settings_says_so(self):
		self.crm_settings(allow_lead_duplication_based_on_emails=1)
		documents, fast, by_controller, in_bulk = self.import_both_ways()
		self.assert_same(by_controller, in_bulk)
		self.assert_same_counts_and_errors(documents, fast)
		self.assertEqual(frappe.db.count("Lead", {"email_id": "taken@example.com"}), 2)

	def test_undo_removes_the_leads_and_the_contacts_fast_mode_made(self):
		self.settings(match_fields=("mobile_no",), write_mode="Fast")
		before = set(frappe.get_all("Contact", pluck="name"))
		# Not Cora's lead: the customer's Contact links to it, so an undo keeps it (in either mode).
		rows = [row for row in self.rows if row[1] != "Cora"]
		job = self.import_file("fast.csv", csv_bytes(rows, [*HEADER, "Customer"]), mapping=self.mapping)
		self.assertEqual((job.imported, frappe.db.count("Lead")), (12, 13))
		self.assertEqual(len(set(frappe.get_all("Contact", pluck="name")) - before), 12)
		self.run_undo(job.name)
		done = frappe.get_doc("Lead Import Job", job.name)
		kept = open(files.local_path(done.undo_file)).read() if done.undo_file else ""
		self.assertEqual(done.status, "Undone", kept)
		self.assertEqual(frappe.get_all("Lead", pluck="email_id"), ["taken@example.com"])
		self.assertEqual(set(frappe.get_all("Contact", pluck="name")), before)
		links = {"parenttype": "Contact", "link_doctype": "Lead"}
		taken = frappe.db.get_value("Lead", {"email_id": "taken@example.com"})
		self.assertEqual(frappe.get_all("Dynamic Link", links, pluck="link_name"), [taken])

	# -- where Fast mode steps aside ---------------------------------------------------------------

	def test_a_server_script_on_contact_sends_the_import_to_documents_mode(self):
		self.assertEqual(write_mode_for("Lead", "Fast"), ("Fast", ""))
		self.server_script("Contact")
		mode, why = write_mode_for("Lead", "Fast")
		self.assertEqual(mode, "Documents")
		self.assertIn("a Server Script runs when a Contact is saved", why)


def forget_notifications() -> None:
	"""Frappe's cache of the Notifications on Contact, which a rollback leaves behind: Frappe 16 keeps it
	in each process (client_cache), Frappe 15 in Redis."""
	try:
		from frappe.email.doctype.notification.notification import clear_notification_cache
	except ImportError:
		frappe.cache.hdel("notifications", "Contact")
	else:
		clear_notification_cache()
