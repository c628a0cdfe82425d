"""On a site with Frappe CRM (scripts/bench-tests makes one where the bench has the crm app): the
imports go to its CRM Lead, with its own field names, statuses and sources, and everything the app
does on a Lead works there too. The app makes no Lead of its own on such a site."""

from __future__ import annotations

import json
import os
import tempfile
import unittest

import frappe
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from intellicon_leads import api
from intellicon_leads.lead_import import files, fixing, imports, stopping, target, undo
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.tests.test_field_from_column import drop_fields
from intellicon_leads.tests.test_split import run_workers
from intellicon_leads.tests.test_worker import bench
from intellicon_leads.tests.utils import CHECKPOINT, LeadImportTestCase, csv_bytes, failed_rows, make_user

CRM_LEAD = target.CRM_LEAD_DOCTYPE
OWNER = "crm-owner@example.com"
# A HubSpot contact export, as a sales admin moving to Frappe CRM brings it.
HEADER = [
	"First Name",
	"Last Name",
	"Email Address",
	"Company Name",
	"Lead Status",
	"Original Source",
	"Phone Number",
	"Contact owner",
	"Number of Employees",
]
ROWS = [
	[
		"Ann",
		"Lee",
		"ann@crm.example.com",
		"Acme",
		"Open - Not Contacted",
		"Cold Call",
		"+1 415 555 0100",
		OWNER,
		"10",
	],
	["Bob", "Ray", "bob@crm.example.com", "Beta", "Working - Contacted", "Webinar", "", OWNER, "250"],
	["Cid", "Moe", "cid@crm.example.com", "", "Junk Lead", "Website", "", "", "1,200"],
	["Dee", "Fox", "dee@crm.example.com", "Delta", "New", "", "", "", ""],
]
MAPPING = [
	"first_name",
	"last_name",
	"email",
	"organization",
	"status",
	"source",
	"phone",
	"lead_owner",
	"no_of_employees",
]
DOMAIN = "crm.example.com"


def is_crm_site() -> bool:
	return target.lead_doctype() == CRM_LEAD


def crm_leads() -> dict[str, frappe._dict]:
	rows = frappe.get_all(CRM_LEAD, filters={"email": ("like", f"%@{DOMAIN}")}, fields=["*"])
	return {r.email.strip().lower(): r for r in rows}


@unittest.skipUnless(is_crm_site(), "needs a site with Frappe CRM (its CRM Lead)")
class TestImportIntoCrmLead(LeadImportTestCase):
	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		frappe.db.delete(CRM_LEAD, {"email": ("like", f"%@{DOMAIN}")})
		frappe.db.delete("CRM Lead Source", "Webinar")
		make_user(OWNER, ["Sales User"])
		self.settings(match_fields=("email",))

	def upload(self, rows=ROWS, header=HEADER, name="hubspot.csv"):
		return files.save_upload(name, csv_bytes(rows, header))

	def accept_suggestions(self, file, mapping=MAPPING, **options) -> frappe._dict:
		value_maps, new_links = imports.review_upload(file.file_url, mapping).suggested_value_maps()
		job = imports.create_job(
			file.file_url, mapping, value_maps=value_maps, new_links=new_links, **options
		)
		return self.run_job(job.name)

	def test_the_app_made_no_lead_of_its_own_and_the_import_settings_name_crm_leads_fields(self):
		self.assertNotIn("intellicon_leads", frappe.db.get_value("DocType", "Lead", "module") or "")
		if not frappe.db.exists("DocType", "Lead"):
			self.assertEqual(target.available(), [CRM_LEAD])
		self.assertEqual(imports.rules_in_force()["match_fields"], ["email"])
		script = frappe.get_doc("CRM Form Script", "Intellicon Lead Import")
		self.assertEqual((script.dt, script.view, script.enabled), (CRM_LEAD, "List", 1))
		self.assertIn("/app/lead-import", script.script)

	def test_another_crms_export_maps_to_crm_leads_fields(self):
		preview = imports.preview_upload(self.upload().file_url)
		self.assertEqual([c["fieldname"] for c in preview["mapping"]["columns"]], MAPPING)
		self.assertEqual(preview["mapping"]["missing_required"], [])

	def test_accepting_the_suggestions_imports_every_row_with_crms_statuses_and_sources(self):
		job = self.accept_suggestions(self.upload())
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 4, 0), job.error_message)
		self.assertEqual(job.created_links, {"CRM Lead Source": ["Webinar"]})
		leads = crm_leads()
		ann, bob, cid = (
			leads["ann@crm.example.com"],
			leads["bob@crm.example.com"],
			leads["cid@crm.example.com"],
		)
		self.assertEqual(
			(ann.status, ann.source, ann.organization, ann.lead_owner, ann.no_of_employees, ann.lead_name),
			("New", "Cold Calling", "Acme", OWNER, "1-10", "Ann Lee"),
		)
		self.assertEqual((bob.status, bob.source, bob.no_of_employees), ("Contacted", "Webinar", "201-500"))
		self.assertEqual((cid.status, cid.source, cid.no_of_employees), ("Junk", "Website", "1000+"))
		# Frappe CRM asks a reason of a lost lead; the export had none, so the import says so.
		self.assertEqual(
			(cid.lost_reason, cid.lost_notes), ("Other", "Imported as Junk: the file gave no reason.")
		)
		self.assertEqual(leads["dee@crm.example.com"].status, "New")
		# No owner in the file: the importing user's, as Frappe CRM's New Lead does, so that they see it.
		self.assertEqual(leads["dee@crm.example.com"].lead_owner, "Administrator")
		self.assertEqual(
			frappe.db.get_value("Lead Import Job", job.name, "lead_doctype"), CRM_LEAD, "the job says where"
		)

	def test_a_lead_with_the_same_email_is_skipped_or_updated_as_configured(self):
		self.accept_suggestions(self.upload())
		again = [["Ann", "Lee", " ANN@crm.example.com ", "Acme Two", "New", "", "", "", ""]]
		job = self.accept_suggestions(self.upload(again, name="again.csv"))
		self.assertEqual((job.imported, job.skipped), (0, 1))
		self.settings(match_fields=("email_id",), duplicate_action="Update")  # ERPNext's name works too
		job = self.accept_suggestions(self.upload(again, name="again2.csv"))
		self.assertEqual((job.imported, job.updated), (0, 1))
		self.assertEqual(crm_leads()["ann@crm.example.com"].organization, "Acme Two")

	def test_a_custom_field_of_crm_lead_is_matched_by_its_label_and_imported(self):
		create_custom_fields(
			{CRM_LEAD: [{"fieldname": "custom_trade_show", "label": "Trade Show", "fieldtype": "Data"}]}
		)
		frappe.clear_cache(doctype=CRM_LEAD)
		header = ["First Name", "Email", "Trade Show"]
		file = self.upload([["Eve", "eve@crm.example.com", "Messe 2026"]], header, "show.csv")
		preview = imports.preview_upload(file.file_url)
		mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
		self.assertEqual(mapping, ["first_name", "email", "custom_trade_show"])
		job = self.run_job(imports.create_job(file.file_url, mapping).name)
		self.assertEqual(job.imported, 1)
		self.assertEqual(crm_leads()["eve@crm.example.com"].custom_trade_show, "Messe 2026")

	def test_a_field_made_from_an_unmapped_column_lands_on_crm_lead_and_is_imported(self):
		self.addCleanup(
			drop_fields, CRM_LEAD, ("custom_booth_visits",)
		)  # after the rollback: made fields commit
		header = ["First Name", "Email", "Booth Visits"]
		file = self.upload([["Eve", "eve@crm.example.com", "7"]], header, "booth.csv")
		made = api.create_field_from_column(file.file_url, 2, "Booth Visits", "Int")
		self.assertEqual(
			frappe.db.get_value("Custom Field", {"fieldname": made["fieldname"]}, "dt"), CRM_LEAD
		)
		job = self.run_job(imports.create_job(file.file_url, ["first_name", "email", made["fieldname"]]).name)
		self.assertEqual(job.imported, 1)
		self.assertEqual(crm_leads()["eve@crm.example.com"].custom_booth_visits, 7)

	def test_values_for_every_lead_set_crm_leads_fields_a_custom_one_by_its_label(self):
		create_custom_fields(
			{CRM_LEAD: [{"fieldname": "custom_trade_show", "label": "Trade Show", "fieldtype": "Data"}]}
		)
		frappe.clear_cache(doctype=CRM_LEAD)
		constants = {
			"status": {"value": "Contacted"},
			"Trade Show": {"value": "Messe 2026"},
			"lead_owner": {"value": OWNER, "file_wins": True},
		}
		job = self.accept_suggestions(self.upload(), constants=constants)
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 4, 0), job.error_message)
		leads = crm_leads()
		self.assertEqual({lead.status for lead in leads.values()}, {"Contacted"}, "the file's are not read")
		self.assertEqual({lead.custom_trade_show for lead in leads.values()}, {"Messe 2026"})
		# The file wins for the owner: Ann and Bob have one, Cid and Dee take the default.
		self.assertEqual({lead.lead_owner for lead in leads.values()}, {OWNER})
		saved = json.loads(frappe.db.get_value("Lead Import Job", job.name, "constants"))
		self.assertEqual(saved["custom_trade_show"], {"value": "Messe 2026", "file_wins": False})

	def test_a_failed_row_is_fixed_and_imported_again_then_the_import_is_undone(self):
		rows = [*ROWS[:2], ["Flo", "Ng", "flo-at-crm.example.com", "Zeta", "New", "", "", "", ""]]
		job = self.accept_suggestions(self.upload(rows))
		self.assertEqual((job.imported, job.failed), (2, 1))
		self.assertEqual(failed_rows(job)[1][0], "4")
		fixing.fix_rows(job.name, MAPPING.index("email"), "flo@crm.example.com", rows=[4])
		fixing.start_retry(job.name)
		frappe.db.savepoint(CHECKPOINT)
		fixing.RetryRunner(job.name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, ["imported", "failed"]), (3, 0))
		self.assertEqual(crm_leads()["flo@crm.example.com"].organization, "Zeta")

		api.undo_import(job.name)
		frappe.db.savepoint(CHECKPOINT)
		undo.UndoRunner(job.name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		done = frappe.get_doc("Lead Import Job", job.name)
		self.assertEqual((done.status, done.deleted), ("Undone", 3))
		self.assertEqual(crm_leads(), {})


@unittest.skipUnless(is_crm_site(), "needs a site with Frappe CRM (its CRM Lead)")
class TestCrmLeadAcrossProcesses(LeadImportTestCase):
	"""Stop, the split across real workers and bench import-leads: these commit, and clean up."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		self.jobs: list[str] = []
		self.settings(match_fields=("email",), chunk_size=20, batch_size=5, parallel_chunks=2)
		frappe.db.commit()

	def tearDown(self) -> None:
		frappe.db.rollback()
		frappe.db.delete(CRM_LEAD, {"email": ("like", f"%@{DOMAIN}")})
		for name in self.jobs:
			frappe.delete_doc("Lead Import Job", name, force=True, ignore_permissions=True)
		self.settings(chunk_size=20000, batch_size=500, parallel_chunks=2)
		frappe.db.commit()
		super().tearDown()

	def rows(self, count: int) -> list[list]:
		return [
			[f"Lead{i}", "Row", f"lead{i}@{DOMAIN}", f"Company {i}", "New", "", "", "", ""]
			for i in range(count)
		]

	def start(self, rows: list[list]) -> str:
		file = files.save_upload("crm-many.csv", csv_bytes(rows, HEADER))
		job = imports.start_import(file.file_url, MAPPING)
		self.jobs.append(job.name)
		frappe.db.commit()
		return job.name

	def test_a_queued_import_stopped_fails_every_row_as_stopped(self):
		name = self.start(self.rows(12))
		self.assertEqual(stopping.stop_job(name).status, "Stopped")
		job = frappe._dict(imports.job_status(name))
		self.assertEqual((job.total_rows, job.imported, job.failed), (12, 0, 12))
		self.assertEqual(crm_leads(), {})

	def test_a_split_import_runs_on_two_workers_into_crm_lead(self):
		name = self.start(self.rows(70))
		JobRunner(name).run()
		frappe.db.rollback()
		self.assertGreater(len(frappe.get_doc("Lead Import Job", name).chunks), 1)
		self.assertEqual(run_workers(2), [])
		job = frappe._dict(imports.job_status(name))
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 70, 0))
		self.assertEqual(len(crm_leads()), 70)

	def test_bench_import_leads_imports_into_crm_lead(self):
		with tempfile.TemporaryDirectory() as folder:
			os.chmod(folder, 0o755)
			path = os.path.join(folder, "hubspot.csv")
			with open(path, "wb") as f:
				f.write(csv_bytes(ROWS, HEADER))
			os.chmod(path, 0o644)
			done = bench("import-leads", path, "--accept-suggestions", "--json")
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		result = json.loads(done.stdout.strip().splitlines()[-1])
		self.jobs.append(result["job"])
		self.assertEqual((result["status"], result["imported"]), ("Completed", 4))
		frappe.db.rollback()
		self.assertEqual(crm_leads()["bob@crm.example.com"].status, "Contacted")
		frappe.db.delete("CRM Lead Source", "Webinar")
