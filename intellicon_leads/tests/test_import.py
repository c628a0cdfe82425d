"""Imports on a real site: files in, leads in MariaDB, counts, failed records, duplicates, write modes."""

from __future__ import annotations

import json

import frappe
import requests
from frappe.custom.doctype.custom_field.custom_field import create_custom_fields

from intellicon_leads.lead_import import files, imports
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.tests.utils import (
	CHECKPOINT,
	LeadImportTestCase,
	add_source,
	csv_bytes,
	failed_rows,
	first_name_required,
	insert_lead,
	leads_by_email,
	no_name_message,
	outside_tests,
	summary,
	xlsx_bytes,
)

GOOD = [
	["Ann", "Lee", "ann@example.com", "+1 415 555 0100", "Acme", "Open"],
	["Bob", "Ray", "bob@example.com", "415-555-0101", "Beta", "replied"],
	["Cy", "Woo", "cy@example.com", "", "Gamma", ""],
]
BAD = [
	# No name and no email: no Lead takes it (ERPNext's names a lead after its email when it has one).
	["", "", "", "+1 415 555 0123", "", ""],
	["Eve", "Bad", "eve(at)example", "", "", ""],
	["Fay", "Bad", "fay@example.com", "call me", "", ""],
	["Gus", "Bad", "gus@example.com", "", "", "Hot"],
	["Ann", "Again", "ANN@example.com", "", "", ""],
]


class TestImportIntoLeads(LeadImportTestCase):
	def test_xlsx_rows_become_leads_and_the_counts_add_up(self):
		job = self.import_file("trade-show.xlsx", xlsx_bytes(GOOD + BAD))
		self.assertEqual(job.status, "Completed with Errors")
		self.assertEqual(
			(job.total_rows, job.imported, job.updated, job.skipped, job.failed), (8, 3, 0, 0, 5)
		)
		leads = leads_by_email()
		self.assertEqual(leads["bob@example.com"].status, "Replied")
		self.assertEqual(leads["ann@example.com"].lead_name, "Ann Lee")
		self.assertEqual(leads["cy@example.com"].status, "Lead")
		self.assertEqual(leads["ann@example.com"].mobile_no, "+1 415 555 0100")
		self.assertGreater(job.duration, 0)

	def test_csv_import_completes_without_errors(self):
		job = self.import_file("leads.csv", csv_bytes(GOOD))
		self.assertEqual((job.status, job.imported, job.failed), ("Completed", 3, 0))
		self.assertIsNone(job.failed_file)
		self.assertEqual(frappe.db.count("Lead"), 3)

	def test_failed_records_file_has_each_error_kind_with_its_message(self):
		job = self.import_file("leads.csv", csv_bytes(GOOD + BAD))
		rows = failed_rows(job)
		self.assertEqual(rows[0][:2], ["Row", "Error"])
		errors = {int(r[0]): r[1] for r in rows[1:]}
		self.assertEqual(sorted(errors), [5, 6, 7, 8, 9])
		self.assertIn(no_name_message(), errors[5])
		self.assertIn("'eve(at)example'", errors[6])
		self.assertIn("'call me' is not a valid phone number", errors[7])
		self.assertIn("'Hot' is not a valid Status", errors[8])
		self.assertIn("duplicate of row 2", errors[9])
		labels = set(job.error_summary)
		self.assertTrue({"Missing required field", "Invalid email format", "Invalid phone format"} <= labels)
		self.assertTrue({"Value not in dropdown options", "Duplicate detected"} <= labels)

	def test_failed_records_corrected_and_reimported_all_pass(self):
		first = self.import_file("leads.xlsx", xlsx_bytes(GOOD + BAD[:4]))
		rows = failed_rows(first)
		header, body = rows[0], rows[1:]
		fixes = {"First Name": "Nora", "Email Address": "eve@example.com", "Mobile Phone": "415 555 0177"}
		for row in body:
			for column, value in fixes.items():
				index = header.index(column)
				if column == "First Name" and row[index]:
					continue
				if column != "First Name" and row[index] not in ("eve(at)example", "call me"):
					continue
				row[index] = value
			row[header.index("Lead Status")] = "Open"
		second = self.import_file("leads - fixed.xlsx", xlsx_bytes(body, header=header))
		self.assertEqual((second.status, second.imported, second.failed), ("Completed", 4, 0))
		self.assertEqual(frappe.db.count("Lead"), 7)

	def test_a_custom_field_is_auto_mapped_and_filled(self):
		create_custom_fields(
			{
				"Lead": [
					{
						"fieldname": "linkedin_profile",
						"label": "LinkedIn Profile",
						"fieldtype": "Data",
						"insert_after": "website",
					}
				]
			}
		)
		frappe.clear_cache(doctype="Lead")
		file = files.save_upload(
			"li.csv",
			csv_bytes(
				[["Ann", "ann@example.com", "https://linkedin.com/in/ann"]],
				["First Name", "Email", "LinkedIn Profile"],
			),
		)
		preview = imports.preview_upload(file.file_url)
		self.assertEqual(preview["mapping"]["columns"][2]["fieldname"], "linkedin_profile")
		self.assertIn("linkedin_profile", [f["fieldname"] for f in preview["fields"]])
		job = imports.create_job(file.file_url, [c["fieldname"] for c in preview["mapping"]["columns"]])
		self.run_job(job.name)
		self.assertEqual(leads_by_email()["ann@example.com"].linkedin_profile, "https://linkedin.com/in/ann")

	def test_unmapped_required_fields_are_refused_by_name(self):
		file = files.save_upload("l.csv", csv_bytes(GOOD))
		if not first_name_required():
			# ERPNext's Lead requires no field: a lead with only an email is named after it.
			job = imports.create_job(file.file_url, {"Email Address": "email_id"})
			status = self.run_job(job.name)
			self.assertEqual((status.imported, status.failed), (3, 0))
			self.assertEqual(leads_by_email()["ann@example.com"].lead_name, "ann")
			return
		with self.assertRaises(frappe.ValidationError) as caught:
			imports.start_import(file.file_url, {"Email Address": "email_id"})
		self.assertIn("First Name", str(caught.exception))
		self.assertFalse(frappe.db.exists("Lead Import Job", {"import_file": file.file_url}))

	def test_two_columns_on_one_field_are_refused(self):
		file = files.save_upload("l.csv", csv_bytes(GOOD))
		with self.assertRaises(frappe.ValidationError) as caught:
			imports.check_mapping(file.file_url, ["first_name", "first_name", "email_id", None, None, None])
		self.assertIn("map only one", str(caught.exception))

	def test_link_values_must_exist(self):
		add_source("Website")
		header = ["First Name", "Email", "Country", "Source"]
		rows = [["Ann", "a@x.com", "india", "Website"], ["Bob", "b@x.com", "Atlantis", "Carrier Pigeon"]]
		job = self.import_file("l.csv", csv_bytes(rows, header))
		self.assertEqual((job.imported, job.failed), (1, 1))
		self.assertEqual(leads_by_email()["a@x.com"].country, "India")
		message = failed_rows(job)[1][1]
		self.assertIn("'Atlantis' is not an existing Country", message)

	def test_a_file_that_disappears_fails_the_job_with_a_reason_never_processing(self):
		file = files.save_upload("l.csv", csv_bytes(GOOD))
		job = imports.create_job(
			file.file_url, ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		)
		import os

		os.remove(files.local_path(file.file_url))
		status = self.run_job(job.name)
		self.assertEqual(status.status, "Failed")
		self.assertTrue(status.error_message)
		self.assertNotIn("Traceback", status.error_message)

	def test_a_run_that_breaks_in_the_middle_keeps_its_committed_batches_and_fails_the_rest(self):
		"""The database goes away at the second batch's commit: the first batch stays, every later row is a
		failed row saying so, and the job is Failed with the reason, never left in Processing."""
		rows = [[f"Mid{i}", "Break", f"mid-{i}@example.com", "", "", ""] for i in range(1, 7)]
		file = files.save_upload("l.csv", csv_bytes(rows))
		job = imports.create_job(
			file.file_url, ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
		)
		job.db_set("batch_size", 2)
		commits = []

		def commit() -> None:  # 1: Processing, 2: the first batch, 3: the second batch, then the close
			commits.append(1)
			if len(commits) == 3:
				raise frappe.db.OperationalError(2006, "MySQL server has gone away")
			frappe.db.savepoint(CHECKPOINT)

		frappe.db.savepoint(CHECKPOINT)
		JobRunner(job.name, commit=commit, rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT)).run()
		done = frappe._dict(imports.job_status(job.name))
		self.assertEqual(done.status, "Failed")
		self.assertIn("MySQL server has gone away", done.error_message)
		self.assertEqual((done.total_rows, done.imported, done.failed), (6, 2, 4))
		imported = sorted(email for email in leads_by_email() if email.startswith("mid-"))
		self.assertEqual(imported, ["mid-1@example.com", "mid-2@example.com"])
		failed = failed_rows(done)[1:]
		self.assertEqual([r[0] for r in failed], ["4", "5", "6", "7"])
		self.assertTrue(all(r[1].startswith("Not imported: the import stopped") for r in failed), failed)
		self.assertEqual(summary(done), {"Not processed": 4})

	def test_a_notification_tells_the_user_the_import_is_done(self):
		job = self.import_file("l.csv", csv_bytes(GOOD))
		log = frappe.get_all(
			"Notification Log",
			filters={"document_type": "Lead Import Job", "document_name": job.name},
			fields=["for_user", "subject"],
		)
		self.assertEqual(len(log), 1)
		self.assertEqual(log[0].for_user, "Administrator")
		self.assertIn("3 imported", log[0].subject)


class TestRowsFrappeRefuses(LeadImportTestCase):
	def test_a_row_frappe_refuses_is_rolled_back_alone_and_later_names_never_clash(self):
		# A unique custom field: the engine passes the row, the database refuses it.
		create_custom_fields(
			{
				"Lead": [
					{
						"fieldname": "badge_code",
						"label": "Badge Code",
						"fieldtype": "Data",
						"unique": 1,
						"insert_after": "notes",
					}
				]
			}
		)
		frappe.clear_cache(doctype="Lead")
		insert_lead(first_name="Old", badge_code="TAKEN")
		header = ["First Name", "Email", "Badge Code"]
		# More rows than one block of reserved names, so that a second block is reserved after the failure.
		rows = [["First", "first@example.com", "TAKEN"]] + [
			[f"P{i}", f"p{i}@example.com", f"B{i}"] for i in range(620)
		]
		job = self.import_file("badges.csv", csv_bytes(rows, header))
		self.assertEqual((job.imported, job.failed), (620, 1))
		self.assertIn("Badge Code must be unique", failed_rows(job)[1][1])
		self.assertEqual(frappe.db.count("Lead", {"badge_code": ("like", "B%")}), 620)


class TestDuplicates(LeadImportTestCase):
	def existing(self) -> str:
		return insert_lead(first_name="Ann", email_id="Ann@Example.com", company_name="Old Co", city="")

	def test_skip_leaves_the_existing_lead_alone(self):
		name = self.existing()
		job = self.import_file("l.csv", csv_bytes([["Ann", "Lee", " ann@example.COM", "", "New Co", ""]]))
		self.assertEqual((job.skipped, job.imported, job.status), (1, 0, "Completed"))
		self.assertEqual(frappe.db.get_value("Lead", name, "company_name"), "Old Co")

	def test_update_overwrites_with_file_values_and_logs_previous_values(self):
		name = self.existing()
		self.settings(duplicate_action="Update")
		job = self.import_file("l.csv", csv_bytes([["Ann", "Lee", "ann@example.com", "", "New Co", ""]]))
		self.assertEqual((job.updated, job.imported), (1, 0))
		self.assertEqual(frappe.db.get_value("Lead", name, ["company_name", "last_name"]), ("New Co", "Lee"))
		changes = frappe.db.get_value("Lead Import Job", job.name, "changes_file")
		with open(files.local_path(changes)) as f:
			[entry] = [json.loads(line) for line in f]
		self.assertEqual((entry["action"], entry["name"]), ("updated", name))
		self.assertEqual(entry["previous"]["company_name"], "Old Co")

	def test_fill_empty_fields_only_fills_blanks(self):
		name = self.existing()
		self.settings(duplicate_action="Fill empty fields")
		header = ["First Name", "Email", "Company", "City"]
		job = self.import_file("l.csv", csv_bytes([["Ann", "ann@example.com", "New Co", "Paris"]], header))
		self.assertEqual(job.updated, 1)
		self.assertEqual(frappe.db.get_value("Lead", name, ["company_name", "city"]), ("Old Co", "Paris"))

	def test_duplicates_inside_the_file_merge_into_the_first_row_when_set(self):
		self.settings(in_file_duplicates="Merge into first row")
		header = ["First Name", "Email", "Company"]
		rows = [["Ann", "ann@example.com", ""], ["Ann", "ANN@example.com", "Acme"]]
		job = self.import_file("l.csv", csv_bytes(rows, header))
		self.assertEqual((job.imported, job.skipped), (1, 1))
		self.assertEqual(leads_by_email()["ann@example.com"].company_name, "Acme")

	def test_match_fields_are_configurable_and_phones_compare_by_digits(self):
		insert_lead(first_name="Ann", mobile_no="+1 (415) 555-0100")
		self.settings(match_fields=("mobile_no",))
		header = ["First Name", "Mobile Phone"]
		job = self.import_file(
			"l.csv", csv_bytes([["Ann", "001 415 555 0100"], ["Bob", "415 555 0199"]], header)
		)
		self.assertEqual((job.skipped, job.imported), (1, 1))


class TestOtherAppsHooks(LeadImportTestCase):
	def test_no_imported_lead_asks_gravatar_com_for_a_picture(self):
		"""Frappe skips gravatar look-ups in tests, so here they are on, as on a real site, and counted
		(ERPNext's Lead asks three times per lead, each an HTTPS request with a 5 s timeout)."""
		asked: list[str] = []
		real_get = requests.get

		def counting_get(url, *args, **kwargs):
			if "gravatar.com" in url:
				asked.append(url)
				raise requests.exceptions.ConnectionError("no gravatar.com in tests")
			return real_get(url, *args, **kwargs)

		requests.get = counting_get
		try:
			with outside_tests():
				frappe.utils.has_gravatar("ann@example.com")  # the count works: one look-up outside an import
				job = self.import_file("gravatar.csv", csv_bytes(GOOD))
		finally:
			requests.get = real_get
		self.assertEqual(job.imported, 3)
		self.assertEqual(len(asked), 1, asked)
		self.assertEqual(frappe.utils.has_gravatar.__module__, "frappe.utils")  # Frappe's own is back


class TestOpenBrowsers(LeadImportTestCase):
	def test_new_leads_send_no_message_each_to_open_lists_and_an_updated_lead_tells_its_form(self):
		"""Each message makes every open Leads list fetch and add that lead; a form open on an updated
		lead must still hear of the change. The messages wait in Frappe's log until the job commits."""
		updated = insert_lead(first_name="Ann", email_id="ann@example.com", company_name="Old Co")
		self.settings(duplicate_action="Update")
		if hasattr(frappe.local, "_realtime_log"):
			frappe.local._realtime_log.clear()  # the messages about inserting that lead
		job = self.import_file("open-lists.csv", csv_bytes(GOOD))
		log = getattr(frappe.local, "_realtime_log", [])
		sent = [(event, message.get("doctype"), message.get("name")) for event, message, _room in log]
		self.assertEqual((job.imported, job.updated), (2, 1))
		created = set(leads_by_email()) - {"ann@example.com"}
		self.assertEqual(len(created), 2)
		about_leads = [entry for entry in sent if entry[1] == "Lead"]
		self.assertIn(("doc_update", "Lead", updated), about_leads)
		new_names = {lead.name for email, lead in leads_by_email().items() if email in created}
		self.assertEqual([entry for entry in about_leads if entry[2] in new_names], [])


class TestWriteModes(LeadImportTestCase):
	# What differs between two imports of the same rows by nature, not by write mode.
	PER_RECORD = {"name", "creation", "modified", "owner", "modified_by", "idx", "_user_tags", "_liked_by"}

	def leads(self) -> list[dict]:
		"""Every stored column of every lead, by email, except what is per record (names, timestamps)."""
		rows = frappe.db.sql("select * from `tabLead` order by email_id", as_dict=True)
		return [{k: v for k, v in row.items() if k not in self.PER_RECORD} for row in rows]

	def test_documents_and_fast_modes_store_the_same_leads_field_for_field(self):
		content = xlsx_bytes(GOOD + BAD)
		documents = self.import_file("docs.xlsx", content)
		by_documents = self.leads()
		frappe.db.delete("Lead")
		self.settings(write_mode="Fast")
		fast = self.import_file("fast.xlsx", content)
		self.assertEqual(len(by_documents), 3)
		self.assertEqual(self.leads(), by_documents)
		self.assertEqual(
			[fast[k] for k in ("imported", "failed", "skipped")],
			[documents[k] for k in ("imported", "failed", "skipped")],
		)
		names = frappe.get_all("Lead", pluck="name")
		self.assertTrue(all(n.startswith("CRM-LEAD-") for n in names), names)

	def test_fast_mode_runs_documents_mode_where_it_cannot_write_the_same_lead(self):
		"""Fast mode writes the app's own Lead and ERPNext's (with its Contacts, tests/test_erpnext_fast.py);
		other code on the Lead (another app's hooks, a Server Script) sends the import to Documents mode, and
		the job says why."""
		self.settings(write_mode="Fast")
		job = self.import_file("fast.xlsx", xlsx_bytes(GOOD))
		settings_used = frappe.db.get_value(
			"Lead Import Job", job.name, ["write_mode", "write_mode_note"], as_dict=True
		)
		self.assertEqual(settings_used.write_mode, "Fast")
		self.assertFalse(settings_used.write_mode_note)
		frappe.get_doc(
			{
				"doctype": "Server Script",
				"name": "Another team's rule",
				"script_type": "DocType Event",
				"reference_doctype": "Lead",
				"doctype_event": "After Insert",
				"script": "pass",
			}
		).insert(ignore_permissions=True)
		# Frappe caches the scripts by DocType; the rollback after the test does not clear that cache.
		self.addCleanup(frappe.cache.delete_value, "server_script_map")
		job = self.import_file("scripted.xlsx", xlsx_bytes(GOOD))
		settings_used = frappe.db.get_value(
			"Lead Import Job", job.name, ["write_mode", "write_mode_note"], as_dict=True
		)
		self.assertEqual(settings_used.write_mode, "Documents")
		self.assertIn("a Server Script runs when a Lead is saved", settings_used.write_mode_note)
