"""One import split into chunks run by real RQ workers: the same counts, leads and failed rows as one run."""

from __future__ import annotations

import os

import frappe
from frappe.utils import get_datetime

from intellicon_leads import api
from intellicon_leads.importer.pipeline import part_sizes
from intellicon_leads.lead_import import files, imports, splitting, stopping, undo
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.schema import lead_schema
from intellicon_leads.lead_import.splitting import ChunkRunner
from intellicon_leads.lead_import.store import FrappeStore
from intellicon_leads.tests.concurrency import TIMEOUT, _bench, clean_up
from intellicon_leads.tests.utils import LeadImportTestCase, csv_bytes, failed_rows, insert_lead

MAPPING = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
DOMAIN = "split.example.com"


class WorkerDied(BaseException):
	"""A killed worker: nothing after it runs, no except clause catches it."""


def lead_rows(count: int, domain: str = DOMAIN, start: int = 1) -> list[list]:
	"""Valid rows, with a bad email every 9th row and, every 7th, a row repeating the email of the row
	ten rows up: with chunks of 20 rows, some of those duplicates fall into another chunk."""
	rows = []
	for i in range(start, start + count):
		if i % 9 == 0:
			email = f"bad-{i}-at-{domain}"
		elif i % 7 == 0 and i - 10 >= start and (i - 10) % 9:
			email = f"lead{i - 10}@{domain}"
		else:
			email = f"lead{i}@{domain}"
		rows.append([f"Split{i}", f"Row{i}", email, "", f"Company {i}", "Open"])
	return rows


def run_workers(count: int) -> list[str]:
	"""`count` real `bench worker --burst` processes at once, until the queue is empty; their errors."""
	workers = [_bench("worker", "--queue", "long", "--burst") for _ in range(count)]
	errors = []
	for worker in workers:
		_out, err = worker.communicate(timeout=TIMEOUT)
		if worker.returncode:
			errors.append(err[-1500:])
	frappe.db.rollback()  # a new transaction, to read what the workers committed
	return errors


def contacts_of(domain: str = DOMAIN, none=None) -> dict[str, tuple] | None:
	"""On ERPNext's Lead, each lead's Contact by the lead's email: its person, its base name (numbered
	"Ann Namesake-3" in the order the namesakes came, which two workers change) and the names taken."""
	if "erpnext" not in frappe.get_installed_apps():
		return none
	links = frappe.get_all(
		"Dynamic Link",
		filters={"parenttype": "Contact", "link_doctype": "Lead"},
		fields=["parent", "link_name"],
	)
	emails = dict(
		frappe.get_all(
			"Lead", filters={"email_id": ("like", f"%@{domain}")}, fields=["name", "email_id"], as_list=True
		)
	)
	found = {}
	for link in links:
		if link.link_name in emails:
			contact = frappe.db.get_value(
				"Contact",
				link.parent,
				["name", "first_name", "last_name", "email_id", "full_name"],
				as_dict=True,
			)
			base = contact.name.rsplit("-", 1)[0] if contact.name[-1].isdigit() else contact.name
			found[emails[link.link_name]] = (base, contact.first_name, contact.last_name, contact.email_id)
	names = sorted(frappe.get_all("Contact", {"email_id": ("like", f"%@{domain}")}, pluck="name"))
	return {"contacts": found, "names": names}


def leads_of(domain: str = DOMAIN) -> dict[str, tuple]:
	rows = frappe.get_all(
		"Lead",
		filters={"email_id": ("like", f"%@{domain}")},
		fields=["email_id", "first_name", "last_name", "company_name", "status", "city"],
	)
	return {r.email_id: (r.first_name, r.last_name, r.company_name, r.status, r.city) for r in rows}


class TestSplitImport(LeadImportTestCase):
	"""These commit, because the workers are other processes; each cleans up after itself."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		clean_up(DOMAIN)
		self.split_settings(parallel_chunks=2)

	def tearDown(self) -> None:
		clean_up(DOMAIN)
		self.settings(
			chunk_size=20000, parallel_chunks=2, batch_size=500, in_file_duplicates="Fail later rows"
		)
		frappe.db.commit()
		super().tearDown()

	def split_settings(self, **values) -> None:
		self.settings(
			**{"chunk_size": 20, "batch_size": 5, "in_file_duplicates": "Fail later rows", **values}
		)
		frappe.db.commit()

	def new_job(self, rows: list[list], name: str = "leads") -> str:
		file = files.save_upload(f"{DOMAIN}-{name}.csv", csv_bytes(rows))
		job = imports.create_job(file.file_url, MAPPING)
		frappe.db.commit()
		return job.name

	def plan(self, job_name: str) -> frappe._dict:
		"""The job's own run: it plans the chunks and queues the first ones."""
		JobRunner(job_name).run()
		frappe.db.rollback()
		return frappe.get_doc("Lead Import Job", job_name)

	def test_two_workers_import_a_split_file_as_one_worker_does_and_the_import_can_be_undone(self):
		rows = lead_rows(70)
		self.split_settings(parallel_chunks=1)
		single = self.new_job(rows, "single")
		JobRunner(single).run()
		frappe.db.rollback()
		one = frappe._dict(imports.job_status(single))
		one_leads, one_failed = leads_of(), failed_rows(one)
		self.assertFalse(frappe.get_doc("Lead Import Job", single).chunks, "one worker: no chunks")
		clean_up(DOMAIN)

		self.split_settings(parallel_chunks=2)
		job = self.plan(self.new_job(rows, "split"))
		self.assertEqual(
			[(c.first_row, c.last_row) for c in job.chunks],
			[(2, 21), (22, 41), (42, 56), (57, 64), (65, 68), (69, 71)],
		)
		self.assertEqual([c.status for c in job.chunks], ["Queued", "Queued"] + ["Pending"] * 4)
		# The chunks read the rows the plan spooled, each from its first row: the file has no rows now.
		with open(files.local_path(job.import_file), "wb") as f:
			f.write(csv_bytes([]))
		self.assertEqual(run_workers(2), [])
		split = frappe._dict(imports.job_status(job.name))
		for path in (splitting._rows_path(job.name), splitting._starts_path(job.name)):
			self.assertFalse(os.path.exists(path), "the spool goes when the job ends")
		counts = ("status", "total_rows", "imported", "updated", "skipped", "failed")
		self.assertEqual({k: split[k] for k in counts}, {k: one[k] for k in counts})
		self.assertEqual(split.status, "Completed with Errors")
		self.assertEqual(split.total_rows, split.imported + split.skipped + split.failed)
		self.assertEqual(split.error_summary, one.error_summary)
		self.assertEqual(leads_of(), one_leads)
		self.assertEqual(failed_rows(split), one_failed, "the same failed rows, in the file's order")
		chunks = frappe.get_doc("Lead Import Job", job.name).chunks
		self.assertEqual({c.status for c in chunks}, {"Done"})
		self.assertTrue(all(c.worker for c in chunks))
		# A duplicate whose first row is in another chunk fails as in one run.
		self.assertIn("Row 22: duplicate of row 12 ", dict((r[0], r[1]) for r in one_failed)["22"])

		api.undo_import(job.name)
		frappe.db.commit()
		undo.UndoRunner(job.name).run()
		frappe.db.rollback()
		undone = frappe.get_doc("Lead Import Job", job.name)
		self.assertEqual((undone.status, undone.deleted), ("Undone", split.imported))
		self.assertEqual(leads_of(), {})

	def test_two_workers_writing_namesakes_make_the_contacts_one_worker_makes(self):
		"""ERPNext's Lead makes a Contact named after the person: chunks writing namesakes at once must
		not wait for each other (swaps.py), and must make the same contacts as one run, numbers aside."""
		if not contacts_of(DOMAIN, {}):
			self.skipTest("this site's Lead makes no Contact (ERPNext's does)")
		rows = [
			[("Ann", "Bob", "Cy")[i % 3], "Namesake", f"lead{i}@{DOMAIN}", "", "", "Open"] for i in range(60)
		]
		self.split_settings(parallel_chunks=1)
		single = self.new_job(rows, "single")
		JobRunner(single).run()
		frappe.db.rollback()
		one = frappe._dict(imports.job_status(single))
		one_contacts = contacts_of()
		clean_up(DOMAIN)

		self.split_settings(parallel_chunks=2)
		job = self.plan(self.new_job(rows, "split"))
		self.assertGreater(len(job.chunks), 2)
		self.assertEqual(run_workers(2), [])
		split = frappe._dict(imports.job_status(job.name))
		self.assertEqual((split.imported, split.failed), (one.imported, one.failed))
		self.assertEqual((one.imported, one.failed), (60, 0), one.error_summary)
		self.assertEqual(contacts_of(), one_contacts)

	def test_a_worker_killed_in_the_middle_of_a_chunk_is_resumed_with_no_duplicate_and_no_lost_row(self):
		rows = lead_rows(70)
		job = self.plan(self.new_job(rows))
		commits = []

		def commit_then_die():
			frappe.db.commit()
			commits.append(1)
			if len(commits) == 3:  # Running, then two batches committed: the worker is killed
				raise WorkerDied

		with self.assertRaises(WorkerDied):
			ChunkRunner(job.name, 1, commit=commit_then_die).run()
		frappe.db.rollback()
		chunk = frappe.get_doc("Lead Import Job", job.name).chunks[0]
		self.assertEqual(chunk.status, "Running")
		self.assertTrue(2 < chunk.done_row < 21 and chunk.processed == chunk.done_row - 1, chunk.as_dict())

		# Chunk 1's RQ job is still queued: a worker runs it, and it resumes after its last committed row.
		self.assertEqual(run_workers(1), [])
		done = frappe._dict(imports.job_status(job.name))
		valid = {r[2] for r in rows if "@" in r[2]}
		self.assertEqual(done.status, "Completed with Errors")
		self.assertEqual(done.total_rows, 70)
		self.assertEqual(done.imported, len(valid))
		self.assertEqual(done.imported + done.failed, 70)
		self.assertEqual(set(leads_of()), valid)
		self.assertEqual(frappe.db.count("Lead", {"email_id": ("like", f"%@{DOMAIN}")}), len(valid))
		numbers = [int(r[0]) for r in failed_rows(done)[1:]]
		self.assertEqual(numbers, sorted(numbers))
		self.assertEqual(len(numbers), done.failed)

	def test_rows_merged_into_a_first_row_of_another_chunk_run_last_and_fill_it_in_file_order(self):
		self.split_settings(in_file_duplicates="Merge into first row")
		rows = lead_rows(45)
		rows[0] = ["Merge", "First", f"merge@{DOMAIN}", "", "", "Open"]
		rows[25] = ["Merge", "Second", f"MERGE@{DOMAIN}", "", "Acme", "Open"]  # file row 27, chunk 2
		rows[43] = ["Merge", "Third", f"merge@{DOMAIN}", "", "Ignored", "Open"]  # file row 45, last chunk
		job = self.plan(self.new_job(rows))
		self.assertEqual(len(job.chunks), len(part_sizes(45, 20, 2)) + 1)
		self.assertTrue(job.chunks[-1].merged_rows)
		self.assertEqual(run_workers(2), [])
		done = frappe._dict(imports.job_status(job.name))
		self.assertEqual(done.total_rows, 45)
		self.assertEqual(done.total_rows, done.imported + done.skipped + done.failed)
		merged = frappe.get_all("Lead", {"email_id": f"merge@{DOMAIN}"}, ["last_name", "company_name"])
		self.assertEqual([(m.last_name, m.company_name) for m in merged], [("First", "Acme")])
		chunks = frappe.get_doc("Lead Import Job", job.name).chunks
		self.assertGreaterEqual(chunks[-1].started, max(c.finished for c in chunks[:-1]))

	def test_two_split_imports_of_overlapping_leads_at_once_write_each_lead_once(self):
		first = [[f"A{i}", "A", f"o{i}@{DOMAIN}", "", "A Co", "Open"] for i in range(60)]
		second = [[f"B{i}", "B", f"o{i}@{DOMAIN}", "", "B Co", "Open"] for i in range(30, 90)]
		jobs = [self.plan(self.new_job(first, "a")).name, self.plan(self.new_job(second, "b")).name]
		self.assertEqual(run_workers(2), [])
		done = [frappe._dict(imports.job_status(name)) for name in jobs]
		self.assertEqual([d.status for d in done], ["Completed", "Completed"])
		self.assertEqual(sum(d.imported for d in done), 90)
		self.assertEqual(sum(d.skipped for d in done), 30)
		self.assertEqual(len(leads_of()), 90)
		self.assertEqual(frappe.db.count("Lead", {"email_id": ("like", f"%@{DOMAIN}")}), 90)

	def test_stopping_a_split_import_before_its_chunks_run_accounts_for_every_row_at_once(self):
		job = self.plan(self.new_job(lead_rows(70)))
		state = stopping.stop_job(job.name)
		self.assertEqual(state.status, "Stopped")
		self.assertEqual((state.total_rows, state.imported, state.failed), (70, 0, 70))
		stopped = frappe.get_doc("Lead Import Job", job.name)
		self.assertEqual({c.status for c in stopped.chunks}, {"Stopped"})
		numbers = [int(r[0]) for r in failed_rows(frappe._dict(imports.job_status(job.name)))[1:]]
		self.assertEqual(numbers, list(range(2, 72)))
		self.assertEqual(run_workers(1), [], "the chunks were taken off the queue")
		self.assertEqual(leads_of(), {})

	def test_a_split_import_stopped_while_a_chunk_runs_keeps_its_committed_rows_and_fails_the_rest(self):
		rows = lead_rows(70)
		job = self.plan(self.new_job(rows))
		commits = []

		def commit_then_a_user_stops():
			frappe.db.commit()
			commits.append(1)
			if len(commits) == 2:  # Running, then the first batch: the user clicks Stop Import
				frappe.db.set_value("Lead Import Job", job.name, "stop_requested_by", "Administrator")
				frappe.db.set_value("Lead Import Job", job.name, "status", "Stopping")
				frappe.db.commit()

		ChunkRunner(job.name, 1, commit=commit_then_a_user_stops).run()
		frappe.db.rollback()
		stopped = frappe.get_doc("Lead Import Job", job.name)
		self.assertEqual(stopped.status, "Stopped")
		self.assertEqual({c.status for c in stopped.chunks}, {"Stopped"})
		self.assertEqual(stopped.total_rows, 70)
		self.assertEqual(stopped.imported + stopped.failed, 70)
		self.assertEqual(stopped.imported, 5, "the first batch stays")
		self.assertEqual(len(leads_of()), 5)
		failed = failed_rows(frappe._dict(imports.job_status(job.name)))[1:]
		self.assertEqual([int(r[0]) for r in failed], sorted(int(r[0]) for r in failed))
		self.assertEqual([r[1] for r in failed], ["Import stopped by Administrator"] * 65)
		self.assertEqual(run_workers(1), [], "the queued chunk was taken off the queue")


class TestChunkIndex(LeadImportTestCase):
	def test_a_chunk_indexes_only_the_leads_older_than_its_job_and_still_finds_the_newer_ones(self):
		"""A chunk does not read every lead its job's other chunks wrote; it still matches them."""
		old = insert_lead(first_name="Old", email_id="old@chunk.example.com")
		frappe.db.set_value("Lead", old, "creation", "2020-01-01", update_modified=False)
		new = insert_lead(first_name="New", email_id="New@Chunk.example.com")
		store = FrappeStore(lead_schema(), indexed_before=get_datetime("2021-01-01"))
		self.assertEqual(store._index("email_id"), {"old@chunk.example.com": old})
		found = store.find_existing("email_id", {"old@chunk.example.com", "new@chunk.example.com"})
		self.assertEqual(
			{key: record.name for key, record in found.items()},
			{
				"old@chunk.example.com": old,
				"new@chunk.example.com": new,
			},
		)
