"""A new field from an unmapped column: proposed from every value, made by a System Manager, imported into.

Fields land on the Lead the site imports into (the app's, ERPNext's or Frappe CRM's CRM Lead). Making a
Custom Field alters the Lead's table, which commits in MariaDB: the fields made here are deleted
explicitly after each test, not rolled back.
"""

from __future__ import annotations

from datetime import date

import frappe

from intellicon_leads import api
from intellicon_leads.lead_import import files, imports, new_fields, target
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.tests.utils import LeadImportTestCase, csv_bytes, make_user, xlsx_bytes

DOMAIN = "fields.example.com"
HEADER = ["First Name", "Email Address", "Booth Visits", "Ticket Tier", "Met On"]
TIERS = ["Gold", "Silver", "Gold", "Bronze", "Silver", "Gold", "Bronze", "Gold"]
VISITS = [3, 12, 7, 1, 0, 25, 4, 9]
MADE = ("custom_booth_visits", "custom_ticket_tier", "custom_met_on")


def rows(dates_as_text: bool = True) -> list[list]:
	return [
		[
			f"P{n}",
			f"p{n}@{DOMAIN}",
			str(VISITS[n]) if dates_as_text else VISITS[n],
			TIERS[n],
			f"2026-03-{n + 1:02d}" if dates_as_text else date(2026, 3, n + 1),
		]
		for n in range(8)
	]


def drop_fields(doctype: str, fieldnames: tuple[str, ...] = MADE) -> None:
	"""Delete Custom Fields a test made (their columns stay, empty, as Frappe leaves them)."""
	made = frappe.get_all(
		"Custom Field", filters={"dt": doctype, "fieldname": ("in", fieldnames)}, pluck="name"
	)
	for name in made:
		frappe.delete_doc("Custom Field", name, ignore_permissions=True, force=True)
	frappe.db.commit()
	frappe.clear_cache(doctype=doctype)


class TestFieldFromColumn(LeadImportTestCase):
	# Making a field commits: nothing is deleted that a commit would make final.
	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		self.doctype = target.lead_doctype()
		self.email = lead_schema().resolve("email_id")
		drop_fields(self.doctype)

	def tearDown(self) -> None:
		super().tearDown()
		drop_fields(self.doctype)

	def upload(self, name: str = "show.csv", content: bytes | None = None) -> frappe._dict:
		return files.save_upload(name, content or csv_bytes(rows(), HEADER))

	def leads(self, fieldname: str) -> dict[str, object]:
		found = frappe.get_all(
			self.doctype, filters={self.email: ("like", f"%@{DOMAIN}")}, fields=[self.email, fieldname]
		)
		return {r[self.email]: r[fieldname] for r in found}

	def test_proposals_come_from_every_value_of_a_csv_and_an_xlsx_column(self):
		for file in (self.upload(), self.upload("show.xlsx", xlsx_bytes(rows(False), HEADER))):
			with self.subTest(file=file.file_name):
				visits = api.propose_field(file.file_url, 2)
				self.assertEqual(
					(visits["label"], visits["fieldname"], visits["fieldtype"]),
					("Booth Visits", "custom_booth_visits", "Int"),
				)
				self.assertEqual(visits["reason"], "all 8 values are whole numbers")
				tier = api.propose_field(file.file_url, 3)
				self.assertEqual(
					(tier["fieldtype"], tier["options"]), ("Select", ["Gold", "Silver", "Bronze"])
				)
				met_on = api.propose_field(file.file_url, 4)
				self.assertEqual(met_on["fieldtype"], "Date")
				self.assertIn("Small Text", met_on["fieldtypes"])

	def test_a_system_manager_makes_the_field_and_the_import_fills_it(self):
		file = self.upload()
		place = new_fields.insert_after(frappe.get_meta(self.doctype))
		made = api.create_field_from_column(file.file_url, 2, "Booth Visits", "Int")
		self.assertEqual(
			{k: made[k] for k in ("fieldname", "label", "fieldtype", "options", "custom")},
			{
				"fieldname": "custom_booth_visits",
				"label": "Booth Visits",
				"fieldtype": "Int",
				"options": [],
				"custom": True,
			},
		)
		proposal = api.propose_field(file.file_url, 3)
		tier = api.create_field_from_column(
			file.file_url, 3, proposal["label"], "Select", "\n".join(proposal["options"])
		)
		self.assertEqual(tier["options"], ["Gold", "Silver", "Bronze"])
		self.assertEqual(
			frappe.db.get_value("Custom Field", {"fieldname": "custom_booth_visits"}, ["dt", "insert_after"]),
			(self.doctype, place),
		)

		preview = imports.preview_upload(file.file_url)
		self.assertIn("custom_ticket_tier", [f["fieldname"] for f in preview["fields"]])
		mapping = ["first_name", self.email, "custom_booth_visits", "custom_ticket_tier", None]
		job = self.run_job(imports.create_job(file.file_url, mapping).name)
		self.assertEqual((job.imported, job.failed), (8, 0))
		self.assertEqual(self.leads("custom_booth_visits")[f"p1@{DOMAIN}"], 12)
		self.assertEqual(self.leads("custom_ticket_tier")[f"p3@{DOMAIN}"], "Bronze")

	def test_a_second_field_for_the_same_thing_is_refused(self):
		file = self.upload()
		api.create_field_from_column(file.file_url, 2, "Booth Visits", "Int")
		for label in ("booth visits", "Booth-Visits"):
			with self.subTest(label=label), self.assertRaises(frappe.ValidationError) as caught:
				api.create_field_from_column(file.file_url, 2, label, "Data")
			self.assertIn("already has a field", str(caught.exception))
		first_name = lead_schema()["first_name"].label
		with self.assertRaises(frappe.ValidationError) as caught:
			api.create_field_from_column(file.file_url, 0, first_name, "Data")
		self.assertIn("Map the column to it", str(caught.exception))

	def test_a_select_needs_options_and_the_type_must_be_one_offered(self):
		file = self.upload()
		for fieldtype, options in (("Select", "  \n "), ("Table", None), ("Link", "User")):
			with self.subTest(fieldtype=fieldtype), self.assertRaises(frappe.ValidationError):
				api.create_field_from_column(file.file_url, 3, "Ticket Tier", fieldtype, options)
		self.assertFalse(frappe.db.exists("Custom Field", {"fieldname": "custom_ticket_tier"}))

	def test_a_user_who_is_not_a_system_manager_is_refused(self):
		file = self.upload()
		frappe.set_user(make_user("field-maker@example.com", ["Sales User"]))
		with self.assertRaises(frappe.PermissionError) as caught:
			api.create_field_from_column(file.file_url, 2, "Booth Visits", "Int")
		self.assertIn("Only a System Manager can add fields", str(caught.exception))
		with self.assertRaises(frappe.PermissionError):
			api.propose_field(file.file_url, 2)
		self.assertFalse(frappe.db.exists("Custom Field", {"fieldname": "custom_booth_visits"}))
