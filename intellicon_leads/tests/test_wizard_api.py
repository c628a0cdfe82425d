"""The wizard's endpoints: uploads up to 50 MB, preview, templates, permissions for every caller."""

from __future__ import annotations

import json
import uuid

import frappe

from intellicon_leads import api
from intellicon_leads.lead_import import files, imports, templates
from intellicon_leads.tests.utils import HEADER, LeadImportTestCase, csv_bytes, first_name_required, make_user

GOOD = [["Ann", "Lee", "ann@example.com", "+1 415 555 0100", "Acme", "Open"]]
MB = 1024 * 1024


def upload_in_chunks(filename: str, content: bytes, chunk: int = 5 * MB) -> dict:
	upload_id = uuid.uuid4().hex
	answer = {}
	for offset in range(0, len(content), chunk):
		answer = files.receive_chunk(
			upload_id, offset, len(content), filename, content[offset : offset + chunk]
		)
	return answer


class TestUploads(LeadImportTestCase):
	def test_a_file_above_frappes_25_mb_default_is_accepted_in_chunks(self):
		row = "Ann,Lee,ann{0}@example.com,+1 415 555 0100,Acme Corporation International,Open\n"
		body = "".join(row.format(i) for i in range(420_000)).encode()
		content = (",".join(HEADER) + "\n").encode() + body
		self.assertGreater(len(content), 30 * MB)
		answer = upload_in_chunks("big.csv", content)
		self.assertEqual(answer["received"], len(content))
		self.assertEqual(frappe.db.get_value("File", answer["file"], "file_size"), len(content))
		self.assertTrue(frappe.db.get_value("File", answer["file"], "is_private"))

	def test_over_50_mb_is_refused_with_the_advice_to_split(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			files.receive_chunk(uuid.uuid4().hex, 0, 51 * MB, "huge.csv", b"a,b\n")
		self.assertIn("larger than the 50 MB limit", str(caught.exception))
		self.assertIn("Split it into smaller batches", str(caught.exception))

	def test_the_limit_comes_from_the_settings(self):
		self.settings(max_file_size_mb=1)
		with self.assertRaises(frappe.ValidationError):
			files.save_upload("l.csv", b"x" * (2 * MB))

	def test_other_formats_are_refused_at_upload(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			files.receive_chunk(uuid.uuid4().hex, 0, 10, "leads.pdf", b"%PDF-1.4\n")
		self.assertIn("not a CSV, XLSX or XLS file", str(caught.exception))

	def test_a_file_whose_content_is_not_a_spreadsheet_is_refused_when_complete(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			files.save_upload("leads.csv", bytes(range(256)) * 20)
		self.assertNotIn("Traceback", str(caught.exception))


class TestPreviewAndTemplates(LeadImportTestCase):
	def test_preview_shows_first_rows_columns_suggested_fields_and_required_flags(self):
		file = files.save_upload("hubspot.csv", csv_bytes(GOOD * 30))
		preview = imports.preview_upload(file.file_url)
		self.assertEqual(preview["header"], HEADER)
		self.assertEqual(len(preview["rows"]), 20)
		columns = preview["mapping"]["columns"]
		self.assertEqual(columns[2]["fieldname"], "email_id")
		self.assertIn(columns[2]["method"], ("alias", "exact"))
		first_name = next(f for f in preview["fields"] if f["fieldname"] == "first_name")
		self.assertEqual(first_name["required"], first_name_required())
		self.assertEqual(preview["rules"]["action"], "Skip")

	def test_a_saved_template_is_offered_first_and_applied_to_a_file_with_the_same_layout(self):
		file = files.save_upload("show.csv", csv_bytes(GOOD))
		fields = ["first_name", "last_name", "email_id", "phone", None, "status"]
		api.save_template("Trade Show Leads", HEADER, fields, {"status": {"Hot": "Open"}})
		templates.save("Other", ["Name", "Mail"], ["first_name", "email_id"])
		ranked = api.list_templates(HEADER)
		self.assertEqual(ranked[0]["name"], "Trade Show Leads")
		self.assertEqual(ranked[0]["score"], 1.0)
		again = files.save_upload("show-2.csv", csv_bytes([["Bo", "Li", "bo@x.com", "", "Z", "Hot"]]))
		preview = imports.preview_upload(again.file_url)
		self.assertEqual([c["fieldname"] for c in preview["mapping"]["columns"]], fields)
		self.assertEqual({c["method"] for c in preview["mapping"]["columns"] if c["fieldname"]}, {"template"})
		job = imports.create_job(again.file_url, fields, template="Trade Show Leads")
		self.run_job(job.name)
		self.assertEqual(frappe.db.get_value("Lead", {"email_id": "bo@x.com"}, "status"), "Open")
		self.assertTrue(file.file_url)

	def test_mappings_are_learned_from_earlier_imports(self):
		header = ["Vorname", "E-Mail-Adresse"]
		file = files.save_upload("de.csv", csv_bytes([["Ann", "ann@example.com"]], header))
		imports.create_job(file.file_url, ["first_name", "email_id"])
		again = files.save_upload("de2.csv", csv_bytes([["Bob", "bob@example.com"]], header))
		columns = imports.preview_upload(again.file_url)["mapping"]["columns"]
		self.assertEqual([c["fieldname"] for c in columns], ["first_name", "email_id"])
		self.assertEqual(columns[0]["method"], "learned")

	def test_an_encoding_the_user_picks_is_used_from_preview_to_the_leads(self):
		greek = "First Name,Last Name,Email Address\nΝίκος,Παπαδόπουλος,nikos@example.com\n".encode("cp1253")
		file = files.save_upload("greek.csv", greek)
		chosen = imports.preview_upload(file.file_url, encoding="windows-1253")
		self.assertEqual(chosen["rows"][0]["values"][:2], ["Νίκος", "Παπαδόπουλος"])
		job = imports.create_job(
			file.file_url, ["first_name", "last_name", "email_id"], encoding="windows-1253"
		)
		self.assertEqual(frappe.db.get_value("Lead Import Job", job.name, "encoding"), "windows-1253")
		self.run_job(job.name)
		self.assertEqual(
			frappe.db.get_value("Lead", {"email_id": "nikos@example.com"}, "last_name"), "Παπαδόπουλος"
		)

	def test_check_file_projects_counts_without_writing(self):
		file = files.save_upload("l.csv", csv_bytes([*GOOD, ["Eve", "X", "bad", "", "", ""]]))
		result = api.check_file(
			file.file_url, ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		)
		self.assertEqual((result["imported"], result["failed"]), (1, 1))
		self.assertEqual(frappe.db.count("Lead"), 0)

	def test_a_required_field_set_for_every_lead_needs_no_column(self):
		header = ["Email Address", "Company"]
		file = files.save_upload("no-names.csv", csv_bytes([["ann@example.com", "Acme"]], header))
		mapping = ["email_id", "company_name"]
		if first_name_required():
			with self.assertRaises(frappe.ValidationError):
				api.validate_mapping(file.file_url, mapping)
		# A dropdown value is matched in Match Values, after this step: "Hot" is not refused yet.
		constants = {"first_name": {"value": "Friend"}, "status": {"value": "Hot"}}
		answer = api.validate_mapping(file.file_url, mapping, constants=json.dumps(constants))
		self.assertEqual(answer["fields"], mapping)
		with self.assertRaises(frappe.ValidationError) as refused:
			bad_email = {"first_name": {"value": "Friend"}, "email_id": {"value": "nobody(at)x"}}
			api.validate_mapping(file.file_url, mapping, constants=bad_email)
		self.assertIn("every lead", str(refused.exception))
		review = api.review_values(file.file_url, mapping, constants=constants)
		(status,) = [c for c in review["columns"] if c["fieldname"] == "status"]
		self.assertEqual((status["index"], status["values"][0]["value"]), (-1, "Hot"))
		result = api.check_file(file.file_url, mapping, constants={"first_name": {"value": "Friend"}})
		self.assertEqual((result["imported"], result["failed"]), (1, 0))


class TestPermissions(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		self.importer = make_user("importer@example.com", ["Sales User"])
		self.other = make_user("other-importer@example.com", ["Sales User"])
		self.outsider = make_user("outsider@example.com", ["Blogger"])
		frappe.set_user(self.importer)
		self.file = files.save_upload("l.csv", csv_bytes(GOOD))
		self.job = imports.start_import(
			self.file.file_url, ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		)

	def test_a_user_without_an_import_role_is_refused_everywhere(self):
		frappe.set_user(self.outsider)
		for call in (
			lambda: api.preview(self.file.file_url),
			lambda: api.start_import(self.file.file_url, ["first_name"]),
			lambda: api.list_templates(),
			lambda: api.job_status(self.job.name),
			lambda: api.download_failed_records(self.job.name),
		):
			self.assertRaises(frappe.PermissionError, call)

	def test_guest_is_refused_everywhere(self):
		frappe.set_user("Guest")
		self.assertRaises(frappe.PermissionError, api.preview, self.file.file_url)
		self.assertRaises(frappe.PermissionError, api.job_status, self.job.name)
		self.assertRaises(frappe.PermissionError, api.upload_chunk, uuid.uuid4().hex, 0, 10, "l.csv")

	def test_roles_allowed_to_import_come_from_the_settings(self):
		frappe.set_user("Administrator")
		doc = frappe.get_single("Lead Import Settings")
		doc.set("import_roles", [{"role": "Sales Manager"}])
		doc.save()
		frappe.set_user(self.importer)
		self.assertRaises(frappe.PermissionError, api.preview, self.file.file_url)

	def test_users_see_their_own_jobs_and_system_manager_sees_all(self):
		frappe.set_user(self.other)
		self.assertNotIn(self.job.name, frappe.get_list("Lead Import Job", pluck="name"))
		self.assertFalse(frappe.has_permission("Lead Import Job", "read", doc=self.job.name))
		self.assertRaises(frappe.PermissionError, api.preview, self.file.file_url)
		frappe.set_user(self.importer)
		self.assertIn(self.job.name, frappe.get_list("Lead Import Job", pluck="name"))
		self.assertEqual(api.job_status(self.job.name)["status"], "Queued")
		frappe.set_user("Administrator")
		self.assertIn(self.job.name, frappe.get_list("Lead Import Job", pluck="name"))

	def test_uploaded_and_failed_files_are_private_to_the_owner_and_system_manager(self):
		frappe.set_user("Administrator")
		status = self.run_job(self.job.name)
		self.assertEqual(status.status, "Completed")
		file_name = frappe.db.get_value("File", {"file_url": self.file.file_url})
		self.assertTrue(frappe.db.get_value("File", file_name, "is_private"))
		frappe.set_user(self.other)
		self.assertFalse(frappe.has_permission("File", "read", doc=file_name))
		frappe.set_user(self.importer)
		self.assertTrue(frappe.has_permission("File", "read", doc=file_name))
