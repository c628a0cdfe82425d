"""Shared test helpers: real files, uploads, jobs run in the test's transaction, users with roles."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager

import frappe

try:  # Frappe v16
	from frappe.tests import IntegrationTestCase
except ImportError:  # Frappe v15
	from frappe.tests.utils import FrappeTestCase as IntegrationTestCase

from intellicon_leads.lead_import import JOB_DOCTYPE, files, imports
from intellicon_leads.lead_import.importing import JobRunner
from intellicon_leads.lead_import.swaps import commits_held

CHECKPOINT = "intellicon_test_checkpoint"
HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Company", "Lead Status"]


class LeadImportTestCase(IntegrationTestCase):
	"""Each test runs in one transaction that is rolled back: nothing it writes stays."""

	# Tests count leads and rank templates, so each starts from none (rolled back after; other test runs may leave some).
	# Not where another process must write leads: the uncommitted delete would lock it out.
	starts_without_leads = True

	def setUp(self) -> None:
		frappe.set_user("Administrator")
		if self.starts_without_leads:
			frappe.db.delete("Lead")
			frappe.db.delete("Lead Import Template")
		self.settings(duplicate_action="Skip", in_file_duplicates="Fail later rows", write_mode="Documents")

	def tearDown(self) -> None:
		frappe.set_user("Administrator")
		frappe.db.rollback()
		frappe.clear_cache(doctype="Lead Import Settings")

	def settings(self, match_fields: tuple[str, ...] = ("email_id",), **values) -> None:
		doc = frappe.get_single("Lead Import Settings")
		doc.update(values)
		doc.set("duplicate_match_fields", [{"fieldname": f} for f in match_fields])
		doc.save()
		frappe.clear_document_cache("Lead Import Settings", "Lead Import Settings")

	def run_job(self, job_name: str) -> frappe._dict:
		"""Run the job in this transaction: its commits become savepoints, its rollback goes to the last."""
		frappe.db.savepoint(CHECKPOINT)
		JobRunner(
			job_name,
			commit=lambda: frappe.db.savepoint(CHECKPOINT),
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
		).run()
		return frappe._dict(imports.job_status(job_name))

	def run_undo(self, job_name: str, **runner_options) -> frappe._dict:
		"""Undo the job in this transaction, as run_job runs it; the job as it ends."""
		from intellicon_leads import api
		from intellicon_leads.lead_import import undo

		api.undo_import(job_name)
		frappe.db.savepoint(CHECKPOINT)
		undo.UndoRunner(
			job_name,
			commit=lambda: frappe.db.savepoint(CHECKPOINT),
			rollback=lambda: frappe.db.rollback(save_point=CHECKPOINT),
			**runner_options,
		).run()
		return frappe._dict(frappe.get_doc(JOB_DOCTYPE, job_name).as_dict())

	def import_file(self, filename: str, content: bytes, mapping=None, **options) -> frappe._dict:
		file = files.save_upload(filename, content)
		if mapping is None:
			preview = imports.preview_upload(file.file_url)
			mapping = [c["fieldname"] for c in preview["mapping"]["columns"]]
		job = imports.create_job(file.file_url, mapping, **options)
		return self.run_job(job.name)


@contextmanager
def outside_tests() -> Iterator[None]:
	"""Frappe as on a real site, where it skips what it skips in tests (gravatar look-ups): Frappe 15
	asks frappe.flags.in_test, Frappe 16 frappe.in_test."""
	had_module_flag = hasattr(frappe, "in_test")
	frappe.flags.in_test = False
	if had_module_flag:
		frappe.in_test = False
	try:
		yield
	finally:
		frappe.flags.in_test = True
		if had_module_flag:
			frappe.in_test = True


def complete_setup() -> None:
	"""A new site opens on the setup wizard; the browser tests need the desk. Frappe 15 reads System
	Settings, Frappe 16 each installed app's is_setup_complete (`bench execute` runs this)."""
	frappe.db.set_single_value("System Settings", "setup_complete", 1)
	if frappe.db.has_column("Installed Application", "is_setup_complete"):
		frappe.db.set_value("Installed Application", {"name": ("is", "set")}, "is_setup_complete", 1)
	ensure_fiscal_year()
	frappe.db.commit()


def ensure_fiscal_year() -> None:
	"""ERPNext's desk asks for today's fiscal year on every page once set up (a modal when there is
	none); a site made without its setup wizard has none."""
	if not frappe.db.exists("DocType", "Fiscal Year"):
		return
	today = frappe.utils.getdate()
	covering = {"year_start_date": ("<=", today), "year_end_date": (">=", today)}
	if not frappe.db.exists("Fiscal Year", covering):
		frappe.get_doc(
			{
				"doctype": "Fiscal Year",
				"year": str(today.year)
				if not frappe.db.exists("Fiscal Year", str(today.year))
				else f"{today.year}-lead-import",
				"year_start_date": f"{today.year}-01-01",
				"year_end_date": f"{today.year}-12-31",
			}
		).insert(ignore_permissions=True)


def insert_lead(**values) -> str:
	"""A Lead inserted as the importer inserts: ERPNext's Contact hook would otherwise commit the test's data."""
	with commits_held():
		return frappe.get_doc({"doctype": "Lead", **values}).insert().name


def first_name_required() -> bool:
	"""The app's own Lead requires a First Name; ERPNext's requires a person's or an organisation's name."""
	from intellicon_leads.lead_import.schema import lead_schema

	return "first_name" in {f.fieldname for f in lead_schema().required}


def source_field() -> str:
	"""The Lead's source: `source` (a Lead Source), or ERPNext 16's `utm_source` (Frappe's UTM Source)."""
	from intellicon_leads.lead_import.schema import lead_schema

	return lead_schema().resolve("source")


def source_doctype() -> str:
	from intellicon_leads.lead_import.schema import lead_schema

	return lead_schema()[source_field()].link_doctype


def add_source(name: str) -> str:
	"""A source record, made as an import makes one (Lead Source or UTM Source)."""
	from intellicon_leads.lead_import.links import create_link

	return create_link(source_doctype(), name)


def no_name_message() -> str:
	"""What a row with no name at all fails with on this site's Lead."""
	return "First Name is required" if first_name_required() else "a Lead needs one of them"


def csv_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
	out = io.StringIO()
	writer = csv.writer(out)
	writer.writerow(header)
	writer.writerows(rows)
	return out.getvalue().encode("utf-8")


def xlsx_bytes(rows: list[list], header: list[str] = HEADER) -> bytes:
	from openpyxl import Workbook

	book = Workbook()
	sheet = book.active
	sheet.append(header)
	for row in rows:
		sheet.append(row)
	out = io.BytesIO()
	book.save(out)
	return out.getvalue()


def failed_rows(job: frappe._dict) -> list[list[str]]:
	"""The failed-records file of a job, as text cells, header first."""
	path = files.local_path(job.failed_file)
	if path.endswith(".csv"):
		with open(path, encoding="utf-8-sig", newline="") as f:
			return list(csv.reader(f))
	from openpyxl import load_workbook

	book = load_workbook(path, read_only=True)
	rows = [["" if v is None else str(v) for v in r] for r in book.active.iter_rows(values_only=True)]
	book.close()
	width = len(rows[0])
	return [r + [""] * (width - len(r)) for r in rows]


def make_user(email: str, roles: list[str]) -> str:
	if not frappe.db.exists("User", email):
		frappe.get_doc(
			{"doctype": "User", "email": email, "first_name": email.split("@")[0], "send_welcome_email": 0}
		).insert(ignore_permissions=True)
	for role in roles:  # Frappe 16 has no Blogger: a role a test names exists
		if not frappe.db.exists("Role", role):
			frappe.get_doc({"doctype": "Role", "role_name": role, "desk_access": 1}).insert()
	user = frappe.get_doc("User", email)
	user.set("roles", [])
	user.add_roles(*roles)
	return email


def leads_by_email() -> dict[str, frappe._dict]:
	rows = frappe.get_all("Lead", fields=["*"])
	return {r.email_id: r for r in rows if r.email_id}


def summary(job: frappe._dict) -> dict:
	return job.error_summary if isinstance(job.error_summary, dict) else json.loads(job.error_summary or "{}")
