"""Tags and assignment of imported leads: Frappe's own Tag Links, `_user_tags`, ToDos and `_assign`."""

from __future__ import annotations

import json
import os
import tempfile

import frappe
import frappe.cache_manager
from frappe.desk.doctype.tag.tag import add_tag
from frappe.desk.form import assign_to

from intellicon_leads import api
from intellicon_leads.lead_import import assigning, files, imports, tagging, undo
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.tests.concurrency import clean_up
from intellicon_leads.tests.test_split import MAPPING, run_workers
from intellicon_leads.tests.test_worker import bench
from intellicon_leads.tests.utils import CHECKPOINT, LeadImportTestCase, csv_bytes, insert_lead, make_user

ANN, BOB = "ann@assign.example.com", "bob@assign.example.com"
SPLIT_DOMAIN = "assign-split.example.com"


def rows(count: int, domain: str = "tags.example.com") -> list[list]:
	return [
		[f"Tag{i}", f"Row{i}", f"lead{i}@{domain}", "", f"Company {i}", "Open"] for i in range(1, count + 1)
	]


def assignees(domain: str) -> dict[str, str]:
	"""Each lead's email and its `_assign`, by the file's order."""
	leads = frappe.get_all(
		"Lead", filters={"email_id": ("like", f"%@{domain}")}, fields=["email_id", "_assign"]
	)
	return {lead.email_id: lead._assign for lead in leads}


def expected_round_robin(count: int, domain: str) -> dict[str, str]:
	return {f"lead{i}@{domain}": json.dumps([(ANN, BOB)[(i - 1) % 2]]) for i in range(1, count + 1)}


DAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")


class TestTagsAndAssignment(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		make_user(ANN, ["Sales User"])
		make_user(BOB, ["Sales User"])

	def test_created_and_updated_leads_get_the_tags_as_frappe_s_add_tag_writes_them(self):
		self.settings(duplicate_action="Update")
		old = insert_lead(first_name="Old", email_id="lead2@tags.example.com", company_name="Old Co")
		by_hand = insert_lead(first_name="Hand", email_id="hand@tags.example.com")
		job = self.import_file("tags.csv", csv_bytes(rows(3)), tags="Trade Show, Webinar")
		self.assertEqual((job.imported, job.updated), (2, 1))
		for tag in ("Trade Show", "Webinar", job.name):
			add_tag(tag, "Lead", by_hand)
		expected = frappe.db.get_value("Lead", by_hand, "_user_tags")
		for email in ("lead1@tags.example.com", "lead2@tags.example.com", "lead3@tags.example.com"):
			name = frappe.db.get_value("Lead", {"email_id": email})
			self.assertEqual(frappe.db.get_value("Lead", name, "_user_tags"), expected)
			links = frappe.get_all(
				"Tag Link",
				filters={"document_type": "Lead", "document_name": name},
				fields=["tag", "title"],
				order_by="tag",
			)
			title = frappe.get_doc("Lead", name).get_title()
			self.assertEqual(
				[(link.tag, link.title) for link in links],
				sorted([("Trade Show", title), ("Webinar", title), (job.name, title)]),
			)
		self.assertIn(old, frappe.get_all("Lead", {"_user_tags": ("like", f"%{job.name}%")}, pluck="name"))
		self.assertTrue(frappe.db.exists("Tag", "Webinar"))

	def test_round_robin_shares_the_leads_between_two_users_evenly_in_file_order_with_one_notice_each(self):
		frappe.db.delete("Notification Log", {"for_user": ("in", (ANN, BOB))})
		job = self.import_file("rr.csv", csv_bytes(rows(6, "rr.example.com")), assign_to=[ANN, BOB])
		self.assertEqual(job.imported, 6)
		self.assertEqual(assignees("rr.example.com"), expected_round_robin(6, "rr.example.com"))
		todo = frappe.get_all(
			"ToDo",
			filters={"reference_type": "Lead", "allocated_to": ANN, "description": ("like", f"{job.name}%")},
			fields=["status", "priority", "date", "assigned_by", "reference_name"],
		)
		self.assertEqual(len(todo), 3)
		self.assertEqual(
			(todo[0].status, todo[0].priority, todo[0].assigned_by, str(todo[0].date)),
			("Open", "Medium", "Administrator", frappe.utils.nowdate()),
		)
		for user in (ANN, BOB):
			notices = frappe.get_all("Notification Log", {"for_user": user}, pluck="subject")
			self.assertEqual(len(notices), 1, "one notification per assignee, not one per lead")
			self.assertIn("3 leads", notices[0])

	def test_an_updated_lead_is_assigned_only_when_nobody_has_it(self):
		self.settings(duplicate_action="Update")
		mine = insert_lead(first_name="Mine", email_id="lead1@own.example.com")
		free = insert_lead(first_name="Free", email_id="lead2@own.example.com")
		assign_to.add({"assign_to": [BOB], "doctype": "Lead", "name": mine})
		self.import_file("own.csv", csv_bytes(rows(2, "own.example.com")), assign_to=[ANN])
		self.assertEqual(json.loads(frappe.db.get_value("Lead", mine, "_assign")), [BOB])
		self.assertEqual(json.loads(frappe.db.get_value("Lead", free, "_assign")), [ANN])

	def test_an_assignment_rule_does_not_assign_the_leads_the_import_assigns_and_does_the_others(self):
		rule = frappe.get_doc(
			{
				"doctype": "Assignment Rule",
				"name": "Every New Lead",
				"document_type": "Lead",
				"priority": 1,
				"assign_condition": "1",
				"rule": "Round Robin",
				"users": [{"user": BOB}],
				"assignment_days": [{"day": day} for day in DAYS],
			}
		).insert()
		# Frappe keeps the rules of each DocType in its cache; the rollback after the test leaves them.
		self.addCleanup(lambda: frappe.cache_manager.clear_doctype_map("Assignment Rule", "Lead"))
		self.assertIn(rule.name, assigning.rules_notice("Lead"))
		self.import_file("rule.csv", csv_bytes(rows(2, "rule.example.com")), assign_to=[ANN])
		self.assertEqual(set(assignees("rule.example.com").values()), {json.dumps([ANN])})
		self.import_file("norule.csv", csv_bytes(rows(2, "norule.example.com")))
		self.assertEqual(set(assignees("norule.example.com").values()), {json.dumps([BOB])})

	def test_undo_removes_the_tags_and_assignment_it_gave_an_updated_lead(self):
		self.settings(duplicate_action="Update")
		cy = insert_lead(first_name="Cy", email_id="lead1@undo-tags.example.com", company_name="Old")
		add_tag("Kept", "Lead", cy)
		job = self.import_file(
			"undo.csv", csv_bytes(rows(2, "undo-tags.example.com")), tags="Fair", assign_to=[ANN]
		)
		created = frappe.db.get_value("Lead", {"email_id": "lead2@undo-tags.example.com"})
		self.run_undo(job.name)
		self.assertFalse(frappe.db.exists("Lead", created))
		self.assertFalse(frappe.db.exists("ToDo", {"reference_name": ("in", (cy, created))}))
		self.assertFalse(frappe.db.exists("Tag Link", {"document_name": created}))
		self.assertEqual(tagging.tags_of(frappe.db.get_value("Lead", cy, "_user_tags")), ["Kept"])
		self.assertEqual(
			frappe.get_all("Tag Link", {"document_name": cy}, pluck="tag"), ["Kept"], "only the import's go"
		)
		self.assertFalse(frappe.db.get_value("Lead", cy, "_assign"))

	def test_fast_mode_tags_and_assigns_as_documents_mode_does(self):
		self.settings(write_mode="Fast")
		job = self.import_file(
			"fast.csv", csv_bytes(rows(4, "fast.example.com")), tags="Fast", assign_to=[ANN, BOB]
		)
		self.assertEqual(job.imported, 4)
		self.assertEqual(assignees("fast.example.com"), expected_round_robin(4, "fast.example.com"))
		tagged = frappe.get_all("Lead", {"_user_tags": ("like", f"%{job.name}%")}, pluck="name")
		self.assertEqual(len(tagged), 4)
		self.assertEqual(frappe.db.count("Tag Link", {"tag": "Fast", "document_name": ("in", tagged)}), 4)

	def test_options_are_checked_when_the_job_is_made(self):
		frappe.db.set_value("User", BOB, "enabled", 0)
		with self.assertRaisesRegex(frappe.ValidationError, "disabled"):
			imports.after_import_options(assign_to=[BOB])
		with self.assertRaisesRegex(frappe.ValidationError, "no user"):
			imports.after_import_options(assign_to=["nobody@assign.example.com"])
		self.assertEqual(
			imports.after_import_options(tags=" #Fair ,fair,, Trade  Show")["lead_tags"], "Fair, Trade Show"
		)


class TestSplitAssignment(LeadImportTestCase):
	"""A split import's chunks, run by real workers, assign each row as one run does; commits, cleans up."""

	starts_without_leads = False

	def setUp(self) -> None:
		super().setUp()
		clean_up(SPLIT_DOMAIN)  # rolls back first: the users come after it
		make_user(ANN, ["Sales User"])
		make_user(BOB, ["Sales User"])
		self.settings(chunk_size=20, batch_size=5, parallel_chunks=2)
		frappe.db.commit()

	def tearDown(self) -> None:
		frappe.db.delete("ToDo", {"reference_type": "Lead", "allocated_to": ("in", (ANN, BOB))})
		clean_up(SPLIT_DOMAIN)
		self.settings(chunk_size=20000, parallel_chunks=2, batch_size=500)
		frappe.db.commit()
		super().tearDown()

	def test_the_chunks_of_a_split_import_assign_each_row_as_one_run_does(self):
		"""By the row's number in the file: a chunk resumed after its worker died, or fixed rows imported
		later, give a row the user one run gives it."""
		file = files.save_upload(f"{SPLIT_DOMAIN}.csv", csv_bytes(rows(50, SPLIT_DOMAIN)))
		job = imports.create_job(file.file_url, MAPPING, assign_to=[ANN, BOB])
		frappe.db.commit()
		JobRunner(job.name).run()
		frappe.db.rollback()
		self.assertGreater(len(frappe.get_doc("Lead Import Job", job.name).chunks), 1)
		self.assertEqual(run_workers(2), [])
		self.assertEqual(assignees(SPLIT_DOMAIN), expected_round_robin(50, SPLIT_DOMAIN))
		self.assertEqual(frappe.db.count("ToDo", {"description": ("like", f"{job.name}%")}), 50)

	def test_bench_import_leads_tags_and_assigns_in_turn(self):
		with tempfile.TemporaryDirectory() as folder:
			os.chmod(folder, 0o755)
			path = os.path.join(folder, f"{SPLIT_DOMAIN}-bench.csv")
			with open(path, "wb") as f:
				f.write(csv_bytes(rows(4, SPLIT_DOMAIN)))
			os.chmod(path, 0o644)
			done = bench(
				"import-leads", path, "--tag", "Bench Fair", "--assign", ANN, "--assign", BOB, "--json"
			)
		self.assertEqual(done.returncode, 0, done.stderr[-2000:])
		job = json.loads(done.stdout.strip().splitlines()[-1])["job"]
		frappe.db.rollback()
		self.assertEqual(assignees(SPLIT_DOMAIN), expected_round_robin(4, SPLIT_DOMAIN))
		tags = frappe.get_all("Lead", {"email_id": ("like", f"%@{SPLIT_DOMAIN}")}, pluck="_user_tags")
		self.assertEqual(len(tags), 4)
		self.assertTrue(all(set(tagging.tags_of(t)) == {"Bench Fair", job} for t in tags), tags)
