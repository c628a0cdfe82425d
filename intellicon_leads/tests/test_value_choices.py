"""Other CRMs' exports on a real site: values scanned, matched to options and records, created on demand."""

from __future__ import annotations

import json
import os
import tempfile

import frappe

from intellicon_leads import api
from intellicon_leads.importer.choices import CREATE, EMPTY, MATCH
from intellicon_leads.lead_import import files, imports, templates
from intellicon_leads.lead_import.links import creation_field
from intellicon_leads.tests.test_worker import bench
from intellicon_leads.tests.utils import (
	LeadImportTestCase,
	add_source,
	leads_by_email,
	make_user,
	source_doctype,
	source_field,
	xlsx_bytes,
)

HEADER = [
	"First Name",
	"Last Name",
	"Email",
	"Company",
	"Lead Status",
	"Lead Source",
	"Country",
	"No. of Employees",
	"Lead Owner",
]
ROWS = [
	[
		"Ann",
		"Lee",
		"vc-ann@example.com",
		"Acme",
		"Open - Not Contacted",
		"Web",
		"Deutschland",
		10,
		"vc-owner@example.com",
	],
	["Bob", "Ray", "vc-bob@example.com", "Beta", "Contacted", "Messe 2026", "DE", "1,200", "Vc Owner"],
	["Cid", "Moe", "vc-cid@example.com", "Gamma", "New", "Web", "Atlantis", 250, "nobody@example.com"],
	["Dee", "Poe", "vc-dee@example.com", "Delta", "Unqualified", "Cold Call", "", "", ""],
	["Eve", "Ng", "vc-eve@example.com", "Eps", "Lead", "", "Germany", 5, ""],
]


def ensure_site_records() -> None:
	"""What a set-up site has: a Country with its code, a few Lead Sources, an owner. Rolled back after."""
	if not frappe.db.exists("Country", "Germany"):
		frappe.get_doc({"doctype": "Country", "country_name": "Germany", "code": "de"}).insert()
	frappe.db.set_value("Country", "Germany", "code", "de")
	for source in ("Cold Calling", "Exhibition"):
		add_source(source)
	for source in ("Web", "Messe 2026"):
		frappe.db.delete(source_doctype(), source)
	owner = make_user("vc-owner@example.com", ["Sales User"])
	frappe.db.set_value("User", owner, {"first_name": "Vc", "last_name": "Owner", "full_name": "Vc Owner"})


class TestValueChoices(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		ensure_site_records()
		self.file = files.save_upload("salesforce.xlsx", xlsx_bytes(ROWS, HEADER))
		preview = imports.preview_upload(self.file.file_url)
		self.mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
		self.preview = preview

	def review(self, **options) -> dict:
		review = imports.review_upload(self.file.file_url, self.mapping, **options)
		return {c["fieldname"]: c for c in review.to_dict()["columns"]}

	def test_the_preview_warns_about_values_that_need_a_match(self):
		warnings = " ".join(self.preview["warnings"])
		self.assertIn("Column 'Lead Status' holds values that are not a valid Status", warnings)
		self.assertIn("'Open - Not Contacted'", warnings)

	def test_company_is_the_lead_s_organisation(self):
		self.assertEqual(self.mapping[HEADER.index("Company")], "company_name")

	def test_every_select_link_and_check_value_of_the_whole_file_is_judged(self):
		columns = self.review()
		self.assertTrue(
			{"status", source_field(), "country", "no_of_employees", "lead_owner"} <= set(columns)
		)
		status = {v["value"]: v for v in columns["status"]["values"]}
		self.assertTrue(status["Lead"]["valid"])
		self.assertEqual(status["New"]["choice"]["value"], "Lead")
		self.assertEqual(status["Open - Not Contacted"]["choice"]["value"], "Open")
		source = {v["value"]: v["choice"] for v in columns[source_field()]["values"]}
		self.assertEqual(source["Web"]["action"], CREATE)
		self.assertEqual(
			source["Cold Call"], {**source["Cold Call"], "action": MATCH, "value": "Cold Calling"}
		)
		country = {v["value"]: v["choice"] for v in columns["country"]["values"]}
		self.assertEqual(
			(country["Deutschland"]["action"], country["Deutschland"]["value"]), (MATCH, "Germany")
		)
		self.assertEqual(country["DE"]["value"], "Germany")
		self.assertEqual(country["Atlantis"]["action"], EMPTY)
		owner = {v["value"]: v["choice"] for v in columns["lead_owner"]["values"]}
		self.assertEqual(owner["Vc Owner"]["value"], "vc-owner@example.com")
		self.assertEqual(owner["nobody@example.com"]["action"], EMPTY)
		employees = {v["value"]: v["choice"]["value"] for v in columns["no_of_employees"]["values"]}
		self.assertEqual(employees, {"10": "1-10", "1,200": "1000+", "250": "201-500", "5": "1-10"})

	def test_the_wizard_gets_many_head_counts_as_one_line_per_range_with_counts_in_words(self):
		rows = [[f"P{n}", "Lee", f"vc-g{n}@example.com", "Acme", "Lead", "", "", n, ""] for n in range(1, 41)]
		file = files.save_upload("head-counts.xlsx", xlsx_bytes(rows, HEADER))
		review = api.review_values(file.file_url, self.mapping)
		employees = next(c for c in review["columns"] if c["fieldname"] == "no_of_employees")
		self.assertEqual(employees["texts"]["needs_match"], "40 values need a match")
		self.assertEqual(employees["texts"]["rows_needing_match"], "40 rows")
		groups = [(g["target"], g["value_count"], g["rows"], g["text"]) for g in employees["groups"]]
		self.assertEqual(
			groups, [("11-50", 30, 30, "30 values, 30 rows"), ("1-10", 10, 10, "10 values, 10 rows")]
		)
		self.assertEqual(employees["groups"][1]["reason"], "Numbers in the range 1-10.")
		self.assertEqual([v["value"] for v in employees["groups"][1]["values"]][:2], ["1", "2"])
		# The per-value list the wizard's choices are made from is unchanged beside the groups.
		self.assertEqual(len(employees["values"]), 40)

	def test_accepting_every_suggestion_imports_every_row_and_creates_the_lead_sources(self):
		value_maps, new_links = imports.review_upload(self.file.file_url, self.mapping).suggested_value_maps()
		job = imports.create_job(self.file.file_url, self.mapping, value_maps=value_maps, new_links=new_links)
		job = self.run_job(job.name)
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 5, 0))
		self.assertEqual(sorted(job.created_links[source_doctype()]), ["Messe 2026", "Web"])
		self.assertTrue(frappe.db.exists(source_doctype(), "Web"))
		leads = leads_by_email()
		ann = leads["vc-ann@example.com"]
		self.assertEqual(
			(ann.status, ann[source_field()], ann.country, ann.no_of_employees, ann.company_name),
			("Open", "Web", "Germany", "1-10", "Acme"),
		)
		self.assertEqual(leads["vc-bob@example.com"].lead_owner, "vc-owner@example.com")
		# Left empty by the import; a site default country (ERPNext sets one) may fill it.
		self.assertIn(
			leads["vc-cid@example.com"].country, (None, "", frappe.defaults.get_defaults().get("country"))
		)
		self.assertEqual(leads["vc-dee@example.com"][source_field()], "Cold Calling")

	def test_check_file_applies_the_choices_and_creates_nothing(self):
		value_maps, new_links = imports.review_upload(self.file.file_url, self.mapping).suggested_value_maps()
		plain = imports.dry_run(self.file.file_url, self.mapping)
		chosen = imports.dry_run(self.file.file_url, self.mapping, value_maps, new_links=new_links)
		self.assertEqual((plain["imported"], plain["failed"]), (0, 5))
		self.assertEqual((chosen["imported"], chosen["failed"]), (5, 0))
		self.assertFalse(frappe.db.exists(source_doctype(), "Web"))

	def test_a_user_who_may_not_create_lead_sources_is_offered_to_leave_them_empty(self):
		user = make_user("vc-importer@example.com", ["Sales Manager"])
		frappe.set_user(user)
		may_create = frappe.has_permission(source_doctype(), "create")
		source = {v["value"]: v["choice"] for v in self.review()[source_field()]["values"]}
		self.assertEqual(source["Web"]["action"], CREATE if may_create else EMPTY)
		self.assertEqual(creation_field(source_doctype()) is not None, may_create)
		frappe.set_user("Administrator")
		# Lead Source is named by its source_name; ERPNext 16's UTM Source by the value itself.
		self.assertEqual(
			creation_field(source_doctype()), {"Lead Source": "source_name"}.get(source_doctype(), "name")
		)
		self.assertIsNone(creation_field("Country"))
		self.assertIsNone(creation_field("User"))

	def test_a_template_keeps_the_choices_and_reapplies_them_to_the_same_layout(self):
		review = imports.review_upload(self.file.file_url, self.mapping)
		choices = review.suggested_choices()
		choices["status"]["Unqualified"] = choices["status"]["Unqualified"].__class__(MATCH, "Open")
		from intellicon_leads.importer.choices import as_value_maps

		value_maps, new_links = as_value_maps(choices)
		templates.save("Salesforce Leads", HEADER, self.mapping, value_maps, new_links)
		again = files.save_upload("salesforce-march.xlsx", xlsx_bytes(ROWS[::-1], HEADER))
		preview = imports.preview_upload(again.file_url)
		self.assertEqual(preview["templates"][0]["name"], "Salesforce Leads")
		reviewed = imports.review_upload(again.file_url, self.mapping, template="Salesforce Leads")
		status = {
			v.value: v.choice for c in reviewed.columns if c.field.fieldname == "status" for v in c.values
		}
		self.assertEqual(status["Unqualified"].value, "Open")
		self.assertEqual(status["Unqualified"].reason, "Saved choice.")
		job = imports.create_job(again.file_url, self.mapping, template="Salesforce Leads")
		job = self.run_job(job.name)
		self.assertEqual((job.imported, job.failed), (5, 0))
		self.assertEqual(leads_by_email()["vc-dee@example.com"].status, "Open")
		settings_used = frappe.get_doc("Lead Import Job", job.name)
		self.assertIn("Messe 2026", json.loads(settings_used.new_links)[source_field()])


class TestBenchCommandWithChoices(LeadImportTestCase):
	"""bench import-leads in its own process: it commits, so the test cleans up."""

	starts_without_leads = False

	def tearDown(self) -> None:
		frappe.db.rollback()
		for row in ROWS:
			frappe.db.delete("Lead", {"email_id": row[2]})
		for name in getattr(self, "jobs", []):
			frappe.delete_doc("Lead Import Job", name, force=True, ignore_permissions=True)
		for source in ("Web", "Messe 2026"):
			frappe.db.delete(source_doctype(), source)
		frappe.db.commit()
		super().tearDown()

	def command(self, *options: str) -> dict:
		with tempfile.TemporaryDirectory() as folder:
			os.chmod(folder, 0o755)
			path = os.path.join(folder, "zoho.xlsx")
			with open(path, "wb") as f:
				f.write(xlsx_bytes(ROWS, HEADER))
			template = os.path.join(folder, "zoho-template.json")
			with open(template, "w") as f:
				json.dump(
					{
						"columns": {"Country": None, "Lead Owner": None, "No. of Employees": None},
						"value_maps": {
							"status": {"Open - Not Contacted": "Open", "Contacted": "Replied", "New": "Lead"},
							"source": {"Cold Call": "Cold Calling"},
						},
						"new_links": {"source": ["Web", "Messe 2026"]},
					},
					f,
				)
			for name in (path, template):
				os.chmod(name, 0o644)
			done = bench("import-leads", path, *[o.replace("TEMPLATE", template) for o in options], "--json")
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		result = json.loads(done.stdout.strip().splitlines()[-1])
		self.jobs = [result["job"]]
		return result

	def test_a_template_file_s_value_maps_apply_and_the_created_records_are_reported(self):
		ensure_site_records()
		frappe.db.commit()
		result = self.command("--template", "TEMPLATE")
		self.assertEqual((result["imported"], result["failed"]), (4, 1))
		self.assertEqual(sorted(result["created"][source_doctype()]), ["Messe 2026", "Web"])
		frappe.db.rollback()
		self.assertTrue(frappe.db.exists(source_doctype(), "Messe 2026"))

	def test_accept_suggestions_imports_every_row(self):
		ensure_site_records()
		frappe.db.commit()
		result = self.command("--accept-suggestions")
		self.assertEqual((result["status"], result["imported"], result["failed"]), ("Completed", 5, 0))
