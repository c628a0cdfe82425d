"""Values for every imported lead on a real site: set in the wizard, a template or the command line,
checked once, applied to every row of every run (the import, Check File, each chunk, a retry)."""

from __future__ import annotations

import html
import json
import os
import tempfile

import frappe

from intellicon_leads import api
from intellicon_leads.importer.choices import CREATE
from intellicon_leads.importer.constants import SET_FOR_EVERY_LEAD
from intellicon_leads.importer.mapping import Constant
from intellicon_leads.lead_import import files, fixing, imports, templates
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.tests.concurrency import clean_up
from intellicon_leads.tests.test_split import MAPPING as SPLIT_MAPPING
from intellicon_leads.tests.test_split import lead_rows, leads_of, run_workers
from intellicon_leads.tests.test_worker import bench
from intellicon_leads.tests.utils import (
	CHECKPOINT,
	LeadImportTestCase,
	add_source,
	csv_bytes,
	insert_lead,
	leads_by_email,
	source_doctype,
	source_field,
)

HEADER = ["First Name", "Last Name", "Email Address", "Lead Source", "Lead Status", "City"]
ROWS = [
	["Ann", "Lee", "ann@every.example.com", "Cold Calling", "Open", "Paris"],
	["Bob", "Ray", "bob@every.example.com", "", "", ""],
	# "Hot" is no Status: it fails its row unless a value for every lead replaces it.
	["Cid", "Moe", "cid@every.example.com", "Reference", "Hot", "Lyon"],
]
TRADE_SHOW = "Trade Show Every Lead"


def mapping(header: list[str] = HEADER) -> list[str]:
	fields = {
		"First Name": "first_name",
		"Last Name": "last_name",
		"Email Address": "email_id",
		"Lead Source": source_field(),
		"Lead Status": "status",
		"City": "city",
	}
	return [fields[h] for h in header]


def refusal(caught) -> str:
	"""The sentence a user reads: frappe.throw carries the engine's sentences as escaped HTML."""
	return html.unescape(frappe.utils.strip_html(str(caught.exception)))


def every_lead(source: str | None = None, status: str | None = None, file_wins: bool = False, **more) -> dict:
	"""Values for every lead as the wizard sends them: {fieldname: {value, file_wins}}."""
	values = {source_field(): source, "status": status, **more}
	return {f: {"value": v, "file_wins": file_wins} for f, v in values.items() if v is not None}


class TestValuesForEveryLead(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		for source in ("Cold Calling", "Reference"):
			add_source(source)
		frappe.db.delete(source_doctype(), TRADE_SHOW)

	def upload(self, rows=ROWS, header=HEADER, name="trade-show.csv"):
		return files.save_upload(name, csv_bytes(rows, header))

	def import_with(self, constants, rows=ROWS, header=HEADER, **options) -> frappe._dict:
		file = self.upload(rows, header)
		job = imports.create_job(file.file_url, mapping(header), constants=constants, **options)
		return self.run_job(job.name)

	def test_a_value_for_every_lead_replaces_the_file_s_values_and_its_column_is_not_read(self):
		job = self.import_with(every_lead("Reference", "Interested"))
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 3, 0), job.error_message)
		leads = leads_by_email()
		self.assertEqual({leads[r[2]][source_field()] for r in ROWS}, {"Reference"})
		self.assertEqual({leads[r[2]].status for r in ROWS}, {"Interested"})
		saved = json.loads(frappe.db.get_value("Lead Import Job", job.name, "constants"))
		self.assertEqual(saved["status"], {"value": "Interested", "file_wins": False})

	def test_a_value_the_file_wins_over_fills_only_the_rows_without_one(self):
		job = self.import_with(every_lead("Reference", "Interested", file_wins=True, City="Berlin"))
		# The file wins: its "Hot" is read, and fails its row.
		self.assertEqual((job.imported, job.failed), (2, 1))
		leads = leads_by_email()
		ann, bob = leads["ann@every.example.com"], leads["bob@every.example.com"]
		self.assertEqual((ann[source_field()], ann.status, ann.city), ("Cold Calling", "Open", "Paris"))
		self.assertEqual((bob[source_field()], bob.status, bob.city), ("Reference", "Interested", "Berlin"))

	def test_an_existing_lead_takes_the_value_that_wins_and_only_fills_its_empty_fields_with_defaults(self):
		self.settings(duplicate_action="Update")
		name = insert_lead(first_name="Bob", email_id="bob@every.example.com", status="Open", city="Rome")
		constants = {
			**every_lead(status="Interested"),
			**every_lead(source="Reference", file_wins=True, city="Berlin"),
		}
		job = self.import_with(constants, rows=[ROWS[1]])
		self.assertEqual((job.imported, job.updated, job.failed), (0, 1, 0), job.error_message)
		bob = frappe.db.get_value("Lead", name, ["status", "city", source_field()], as_dict=True)
		# The status wins and is written; a default never replaces the lead's own city, but fills its source.
		self.assertEqual((bob.status, bob.city, bob[source_field()]), ("Interested", "Rome", "Reference"))

	def test_a_link_value_that_does_not_exist_is_created_when_match_values_says_so(self):
		header = HEADER[:3]
		file = self.upload([r[:3] for r in ROWS], header)
		constants = every_lead(TRADE_SHOW)
		review = imports.review_upload(file.file_url, mapping(header), constants=constants)
		(column,) = [c for c in review.to_dict()["columns"] if c["fieldname"] == source_field()]
		self.assertEqual((column["index"], column["header"]), (-1, SET_FOR_EVERY_LEAD))
		(value,) = column["values"]
		self.assertEqual((value["value"], value["count"], value["constant"]), (TRADE_SHOW, 3, True))
		self.assertEqual(value["choice"]["action"], CREATE)

		with self.assertRaises(frappe.ValidationError) as refused:
			imports.create_job(file.file_url, mapping(header), constants=constants)
		self.assertIn(f"'{TRADE_SHOW}' is not an existing {source_doctype()}", refusal(refused))

		value_maps, new_links = review.suggested_value_maps()
		job = imports.create_job(
			file.file_url, mapping(header), value_maps=value_maps, new_links=new_links, constants=constants
		)
		job = self.run_job(job.name)
		self.assertEqual((job.imported, job.failed), (3, 0), job.error_message)
		self.assertEqual(job.created_links, {source_doctype(): [TRADE_SHOW]})
		self.assertEqual({lead[source_field()] for lead in leads_by_email().values()}, {TRADE_SHOW})

	def test_an_invalid_value_is_refused_at_create_job_with_one_sentence_and_no_job(self):
		file = self.upload()
		jobs = frappe.db.count("Lead Import Job")
		for constants, expected in (
			(every_lead(status="Hot"), "The value set for every lead's Status cannot be used: 'Hot'"),
			({"lead_name": {"value": "X"}}, "'lead_name' cannot be set for every lead: it is set by the"),
			({"Trade show": {"value": "X"}}, "'Trade show' cannot be set for every lead"),
		):
			with self.assertRaises(frappe.ValidationError) as refused:
				imports.create_job(file.file_url, mapping(), constants=constants)
			message = refusal(refused)
			self.assertIn(expected, message)
			self.assertNotIn("Traceback", message)
		self.assertEqual(frappe.db.count("Lead Import Job"), jobs)

	def test_a_record_deleted_before_the_job_runs_fails_the_job_with_that_sentence(self):
		add_source(TRADE_SHOW)
		file = self.upload()
		job = imports.create_job(file.file_url, mapping(), constants=every_lead(TRADE_SHOW))
		frappe.db.delete(source_doctype(), TRADE_SHOW)
		job = self.run_job(job.name)
		self.assertEqual((job.status, job.total_rows, job.imported, job.failed), ("Failed", 3, 0, 3))
		self.assertIn(f"'{TRADE_SHOW}' is not an existing {source_doctype()}", job.error_message)
		self.assertFalse(leads_by_email())

	def test_a_template_keeps_its_values_for_every_lead_and_brings_them_back(self):
		file = self.upload()
		api.save_template(
			"Trade Show Leads",
			json.dumps(HEADER),
			json.dumps(mapping()),
			constants=json.dumps(every_lead("Reference", file_wins=True) | every_lead(status="Interested")),
		)
		doc = frappe.get_doc("Lead Import Template", "Trade Show Leads")
		self.assertEqual(
			json.loads(doc.constants),
			{
				source_field(): {"value": "Reference", "file_wins": True},
				"status": {"value": "Interested", "file_wins": False},
			},
		)
		self.assertEqual(
			templates.load("Trade Show Leads").constants,
			{source_field(): Constant("Reference", True), "status": Constant("Interested")},
		)
		again = self.upload(ROWS[::-1], name="trade-show-march.csv")
		preview = imports.preview_upload(again.file_url)
		self.assertEqual(preview["templates"][0]["name"], "Trade Show Leads")
		self.assertEqual(preview["template_constants"], json.loads(doc.constants))

		job = self.run_job(imports.create_job(again.file_url, mapping(), template="Trade Show Leads").name)
		self.assertEqual((job.imported, job.failed), (3, 0), job.error_message)
		leads = leads_by_email()
		self.assertEqual({lead.status for lead in leads.values()}, {"Interested"})
		self.assertEqual(leads["ann@every.example.com"][source_field()], "Cold Calling")
		self.assertEqual(leads["bob@every.example.com"][source_field()], "Reference")

		# The user removed the template's status in the wizard: the job does not use it.
		removed = imports.create_job(
			file.file_url, mapping(), template="Trade Show Leads", constants={"status": None}
		)
		self.assertEqual(list(json.loads(removed.constants)), [source_field()])

	def test_check_file_applies_them_and_writes_nothing(self):
		file = self.upload()
		plain = imports.dry_run(file.file_url, mapping())
		self.assertEqual((plain["imported"], plain["failed"]), (2, 1))
		constants = every_lead(TRADE_SHOW, "Interested")
		with self.assertRaises(frappe.ValidationError) as refused:
			imports.dry_run(file.file_url, mapping(), constants=constants)
		self.assertIn(f"'{TRADE_SHOW}' is not an existing", refusal(refused))
		checked = imports.dry_run(
			file.file_url,
			mapping(),
			value_maps={source_field(): {TRADE_SHOW: TRADE_SHOW}},
			new_links={source_field(): [TRADE_SHOW]},
			constants=constants,
		)
		self.assertEqual((checked["imported"], checked["failed"]), (3, 0))
		self.assertFalse(leads_by_email())
		self.assertFalse(frappe.db.exists(source_doctype(), TRADE_SHOW), "a dry run creates nothing")

	def test_fix_failed_rows_does_not_ask_for_cells_a_value_sets_and_the_retry_applies_it(self):
		rows = [*ROWS[:2], ["Dee", "Poe", "dee(at)every.example.com", "", "Hot", ""]]
		job = self.import_with(every_lead(status="Interested"), rows=rows)
		self.assertEqual((job.imported, job.failed), (2, 1))
		(row,) = api.failed_rows(job.name)["rows"]
		email = HEADER.index("Email Address")
		self.assertEqual(set(row["cell_errors"]), {str(email)}, "the Status cell is not read")
		fixing.fix_rows(job.name, email, "dee@every.example.com", rows=[4])
		fixing.start_retry(job.name)
		frappe.db.savepoint(CHECKPOINT)
		fixing.RetryRunner(job.name, commit=lambda: frappe.db.savepoint(CHECKPOINT)).run()
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, ["imported", "failed"]), (3, 0))
		self.assertEqual(leads_by_email()["dee@every.example.com"].status, "Interested")


SPLIT_DOMAIN = "every-split.example.com"


class TestValuesForEveryLeadAcrossProcesses(LeadImportTestCase):
	"""A split import and bench import-leads: other processes, so these commit and clean up."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		clean_up(SPLIT_DOMAIN)

	def tearDown(self) -> None:
		clean_up(SPLIT_DOMAIN)
		self.settings(chunk_size=20000, parallel_chunks=2, batch_size=500)
		frappe.db.commit()
		super().tearDown()

	def test_every_chunk_of_a_split_import_applies_them(self):
		self.settings(chunk_size=20, batch_size=5, parallel_chunks=2)
		rows = [[*r[:4], "", "Hot"] for r in lead_rows(50, SPLIT_DOMAIN) if "@" in r[2]]
		rows = [r for i, r in enumerate(rows) if r[2] not in {x[2] for x in rows[:i]}]
		file = files.save_upload(f"{SPLIT_DOMAIN}-leads.csv", csv_bytes(rows))
		constants = {"status": {"value": "Interested"}, "company_name": {"value": "Acme", "file_wins": True}}
		job = imports.create_job(file.file_url, SPLIT_MAPPING, constants=constants)
		frappe.db.commit()
		JobRunner(job.name).run()
		frappe.db.rollback()
		self.assertGreater(len(frappe.get_doc("Lead Import Job", job.name).chunks), 1, "split in chunks")
		self.assertEqual(run_workers(2), [])
		done = frappe._dict(imports.job_status(job.name))
		self.assertEqual((done.status, done.imported, done.failed), ("Completed", len(rows), 0))
		leads = leads_of(SPLIT_DOMAIN)
		self.assertEqual(len(leads), len(rows))
		self.assertEqual(
			{status for _first, _last, _company, status, _city in leads.values()}, {"Interested"}
		)
		self.assertEqual({company for _first, _last, company, _status, _city in leads.values()}, {"Acme"})

	def test_bench_import_leads_sets_and_defaults_them(self):
		rows = [
			["Ann", "Lee", f"ann@{SPLIT_DOMAIN}", "", "Hot", "Paris"],
			["Bob", "Ray", f"bob@{SPLIT_DOMAIN}", "", "Open", ""],
		]
		header = ["First Name", "Last Name", "Email Address", "Lead Source", "Lead Status", "City"]
		with tempfile.TemporaryDirectory() as folder:
			os.chmod(folder, 0o755)
			path = os.path.join(folder, f"{SPLIT_DOMAIN}-bench.csv")
			with open(path, "wb") as f:
				f.write(csv_bytes(rows, header))
			os.chmod(path, 0o644)
			refused = bench("import-leads", path, "--set", "status=Hot")
			done = bench(
				"import-leads", path, "--set", "Status=Interested", "--default", "city=Berlin", "--json"
			)
			malformed = bench("import-leads", path, "--set", "statusHot")
		self.assertEqual(refused.returncode, 2, refused.stdout[-2000:])
		self.assertIn("every lead's Status cannot be used: 'Hot'", refused.stderr)
		self.assertNotIn("Traceback", refused.stderr)
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		result = json.loads(done.stdout.strip().splitlines()[-1])
		self.assertEqual((result["status"], result["imported"]), ("Completed", 2))
		frappe.db.rollback()
		leads = {
			r.email_id: r
			for r in frappe.get_all(
				"Lead", {"email_id": ("like", f"%@{SPLIT_DOMAIN}")}, ["email_id", "status", "city"]
			)
		}
		self.assertEqual({lead.status for lead in leads.values()}, {"Interested"})
		self.assertEqual((leads[rows[0][2]].city, leads[rows[1][2]].city), ("Paris", "Berlin"))
		self.assertNotEqual(malformed.returncode, 0)
		self.assertIn("is not FIELD=VALUE", malformed.stderr)
