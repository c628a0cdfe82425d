"""Two imports at once, for real: overlapping files, two RQ workers or two bench commands, and the sums.

Used by test_concurrency and benchmarks/concurrency_loop.py. Everything here commits, because other
processes must see it; `clean_up` removes what a run made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass, field

import frappe

from intellicon_leads.lead_import import files, imports
from intellicon_leads.tests.utils import csv_bytes

MAPPING = ["first_name", "last_name", "email_id", "mobile_no", "company_name", "status"]
TIMEOUT = 900


@dataclass
class Outcome:
	"""Two imports of `rows` rows each, `shared` of them with the same emails: what the database holds."""

	rows: int
	shared: int
	leads: int = 0
	repeated_emails: int = 0
	jobs: list[dict] = field(default_factory=list)
	seconds: float = 0.0
	errors: list[str] = field(default_factory=list)

	@property
	def expected(self) -> int:
		return 2 * self.rows - self.shared

	def sums(self, key: str) -> int:
		return sum(job.get(key) or 0 for job in self.jobs)

	@property
	def correct(self) -> bool:
		return (
			not self.errors
			and self.leads == self.expected
			and not self.repeated_emails
			and self.sums("imported") == self.expected
			and self.sums("skipped") == self.shared
			and self.sums("failed") == 0
			and self.sums("total_rows") == 2 * self.rows
			and all(job["status"] == "Completed" for job in self.jobs)
		)

	def line(self) -> str:
		counts = " + ".join(f"{j.get('imported')}/{j.get('skipped')}" for j in self.jobs)
		return (
			f"leads {self.leads} (expected {self.expected}), repeated emails {self.repeated_emails}, "
			f"imported/skipped {counts} = {self.sums('imported')}/{self.sums('skipped')}, "
			f"statuses {','.join(j['status'] for j in self.jobs)}, {self.seconds:.1f} s"
			+ (f", errors: {' | '.join(self.errors)}" if self.errors else "")
		)


def overlapping_rows(domain: str, rows: int, shared: int) -> tuple[list[list], list[list]]:
	"""Two files; the shared emails come in opposite orders, so the two imports meet in many batches."""
	common = [f"shared-{i}@{domain}" for i in range(shared)]
	own = rows - shared
	first = common + [f"a-{i}@{domain}" for i in range(own)]
	second = list(reversed(common)) + [f"b-{i}@{domain}" for i in range(own)]
	first, second = _interleave(first, shared), _interleave(second, shared)
	return [_row("A", e) for e in first], [_row("B", e) for e in second]


def _interleave(emails: list[str], shared: int) -> list[str]:
	common, own = emails[:shared], emails[shared:]
	mixed = []
	for i in range(max(len(common), len(own))):
		mixed.extend(x[i] for x in (common, own) if i < len(x))
	return mixed


def _row(who: str, email: str) -> list:
	return [who, email.split("@")[0], email, "", "Concurrency", "Open"]


def run_with_workers(domain: str, rows: int, shared: int, batch_size: int = 100) -> Outcome:
	"""Both files queued as wizard jobs, then two real `bench worker --burst` processes at once."""
	outcome = Outcome(rows, shared)
	names = []
	for label, data in zip(("a", "b"), overlapping_rows(domain, rows, shared), strict=True):
		file = files.save_upload(f"{domain}-{label}.csv", csv_bytes(data))
		frappe.db.commit()
		job = imports.start_import(file.file_url, MAPPING)
		job.db_set("batch_size", batch_size)
		names.append(job.name)
	frappe.db.commit()  # both jobs reach the queue here
	started = time.monotonic()
	workers = [_bench("worker", "--queue", "long", "--burst") for _ in range(2)]
	for worker in workers:
		_out, err = worker.communicate(timeout=TIMEOUT)
		if worker.returncode:
			outcome.errors.append(f"worker exit {worker.returncode}: {err[-500:]}")
	outcome.seconds = time.monotonic() - started
	return _measure(outcome, domain, names)


def run_with_commands(domain: str, rows: int, shared: int) -> Outcome:
	"""Two `bench import-leads` commands on the two files, started at the same moment."""
	outcome = Outcome(rows, shared)
	paths = []
	for label, data in zip(("a", "b"), overlapping_rows(domain, rows, shared), strict=True):
		with tempfile.NamedTemporaryFile("wb", suffix=f"-{label}.csv", prefix=domain, delete=False) as f:
			f.write(csv_bytes(data))
		os.chmod(f.name, 0o644)
		paths.append(f.name)
	started = time.monotonic()
	commands = [_bench("import-leads", path, "--json") for path in paths]
	names = []
	for command, path in zip(commands, paths, strict=True):
		out, err = command.communicate(timeout=TIMEOUT)
		os.remove(path)
		lines = out.strip().splitlines()
		if command.returncode or not lines:
			outcome.errors.append(f"import-leads exit {command.returncode}: {err[-800:]}")
			continue
		names.append(json.loads(lines[-1])["job"])
	outcome.seconds = time.monotonic() - started
	return _measure(outcome, domain, names)


def _measure(outcome: Outcome, domain: str, names: list[str]) -> Outcome:
	frappe.db.rollback()  # a new transaction, to read what the other processes committed
	pattern = f"%@{domain}"
	outcome.leads = frappe.db.count("Lead", {"email_id": ("like", pattern)})
	outcome.repeated_emails = len(
		frappe.db.sql(
			"select email_id from `tabLead` where email_id like %s group by email_id having count(*) > 1",
			pattern,
		)
	)
	outcome.jobs = [imports.job_status(name) for name in names]
	return outcome


def clean_up(domain: str) -> None:
	"""Remove the run's leads, jobs and their files."""
	frappe.db.rollback()
	pattern = f"%@{domain}"
	if frappe.db.exists("DocType", "Contact"):  # ERPNext's Lead makes a Contact for each lead
		contacts = frappe.get_all("Contact", {"email_id": ("like", pattern)}, pluck="name")
		if contacts:
			for child in ("Dynamic Link", "Contact Email", "Contact Phone"):
				frappe.db.delete(child, {"parenttype": "Contact", "parent": ("in", contacts)})
			frappe.db.delete("Contact", {"name": ("in", contacts)})
	frappe.db.delete("Lead", {"email_id": ("like", pattern)})
	jobs = frappe.get_all("Lead Import Job", {"file_name": ("like", f"{domain}%")}, pluck="name")
	for name in jobs:
		for file in frappe.get_all("File", {"attached_to_name": name}, pluck="name"):
			frappe.delete_doc("File", file, force=True, ignore_permissions=True)
		frappe.delete_doc("Lead Import Job", name, force=True, ignore_permissions=True)
	frappe.db.commit()


def _bench(*args: str) -> subprocess.Popen:
	command = shutil.which("bench") or os.path.expanduser("~/.local/bin/bench")
	return subprocess.Popen(
		[command, "--site", frappe.local.site, *args],
		cwd=frappe.utils.get_bench_path(),
		stdout=subprocess.PIPE,
		stderr=subprocess.PIPE,
		text=True,
	)
