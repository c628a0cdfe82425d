"""Stop Import as a user does it: a 50 MB import stopped halfway from the job form, a queued one from the list."""

from __future__ import annotations

import csv
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support import SALES_USER, SiteClient
from wizard import IMPORT_TIMEOUT, Wizard

HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Company"]
STOP_DOMAIN = "lil-stop.example"  # not the suite's domain: its clean-up deletes leads one by one
FILE_MB = int(os.environ.get("INTELLICON_STOP_MB", "50"))
STOPPED = "Import stopped by Sam Sales"


def write_big_csv(path: Path, run: str, size_mb: float) -> int:
	"""A CSV just under `size_mb` MB; long company names keep the row count (and the test) moderate."""
	limit = int(size_mb * 1024 * 1024) - 2048
	rows = 0
	with open(path, "w", encoding="utf-8", newline="") as f:
		writer = csv.writer(f)
		writer.writerow(HEADER)
		while f.tell() < limit:
			rows += 1
			company = f"Stop Test Holdings {rows} " + "Global Trading " * 6
			writer.writerow([f"Ann{rows}", "Stop", f"stop-{rows}-{run}@{STOP_DOMAIN}", "", company[:130]])
	return rows


def start_import(page, path: Path) -> str:
	page.goto("/app/lead-import")
	wizard = Wizard(page)
	expect(wizard.root).to_have_attribute("data-step", re.compile("."))
	if wizard.root.get_attribute("data-step") == "execute":
		# The wizard shows the last import, running or not; another file can be imported meanwhile.
		page.get_by_role("button", name="Import Another File").click()
	expect(wizard.root).to_have_attribute("data-step", "upload")
	wizard.upload(path)
	expect(page.locator(".lil-uploaded .lil-file-name")).to_have_text(path.name, timeout=IMPORT_TIMEOUT)
	for step in ("preview", "map", "values", "execute"):
		# A 50 MB file takes a while to read at each step.
		expect(wizard.next_button).to_be_enabled(timeout=IMPORT_TIMEOUT)
		wizard.next_button.click()
		expect(wizard.root).to_have_attribute("data-step", step, timeout=IMPORT_TIMEOUT)
	page.get_by_role("button", name="Start Import").click()
	link = page.locator(".lil-job-link")
	expect(link).to_be_visible(timeout=IMPORT_TIMEOUT)
	return link.inner_text().rsplit(" ", 1)[-1]


def wait_for(admin: SiteClient, job: str, done, timeout_s: int = 600) -> dict:
	import time

	deadline = time.monotonic() + timeout_s
	while time.monotonic() < deadline:
		data = admin.get_doc("Lead Import Job", job)
		if done(data):
			return data
		time.sleep(0.5)
	raise AssertionError(f"{job} did not get there in {timeout_s} s: {data}")


def assert_counts_add_up(data: dict) -> None:
	counted = data["imported"] + data["updated"] + data["skipped"] + data["failed"]
	assert counted == data["total_rows"], data


def undo(admin: SiteClient, job: str) -> None:
	"""What the user may do after a stop: undo the rows already imported (and leave the site clean)."""
	admin.call("POST", "/api/method/intellicon_leads.api.undo_import", {"job": job})
	done = wait_for(admin, job, lambda d: d["status"] in ("Undone", "Partly Undone"))
	assert done["status"] == "Undone" and done["deleted"] == done["imported"], done


def set_chunks_at_once(admin: SiteClient, value: int) -> None:
	admin.call(
		"POST",
		"/api/method/frappe.client.set_value",
		{
			"doctype": "Lead Import Settings",
			"name": "Lead Import Settings",
			"fieldname": "parallel_chunks",
			"value": value,
		},
	)


@pytest.fixture
def one_worker_imports(admin: SiteClient):
	"""The big import runs unsplit, so that it holds the only worker and the second one really waits in
	the queue (split, the second would run between the plan and the chunks). Stopping a split import is
	proved by the Frappe tests (test_split)."""
	set_chunks_at_once(admin, 1)
	yield
	set_chunks_at_once(admin, 2)


def test_a_50_mb_import_stopped_halfway_from_the_job_form_and_a_queued_one_from_the_list(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path, one_worker_imports
):
	page = login(SALES_USER)
	big = tmp_path / "stop-big.csv"
	total = write_big_csv(big, run_id, FILE_MB - 0.5)
	big_job = start_import(page, big)
	try:
		stop_both(page, admin, screenshots, run_id, tmp_path, big_job, total)
	finally:
		# Whatever failed, the big import must not keep the browser tests' only worker busy.
		if admin.get_doc("Lead Import Job", big_job)["status"] in ("Queued", "Processing"):
			admin.call("POST", "/api/method/intellicon_leads.api.stop_import", {"job": big_job})


def stop_both(page, admin: SiteClient, screenshots, run_id: str, tmp_path: Path, big_job: str, total: int):

	# A second import waits in the queue behind the big one: stopped from the list, it never runs.
	small = tmp_path / "stop-small.csv"
	write_big_csv(small, run_id + "s", 0.05)
	queued_job = start_import(page, small)
	assert admin.get_doc("Lead Import Job", queued_job)["status"] == "Queued"
	page.goto("/app/lead-import-job")
	row = page.locator(".list-row-container").filter(has=page.locator(f'[data-name="{queued_job}"]'))
	row.locator(".list-row-checkbox").check()
	page.get_by_role("button", name="Actions").click()
	page.locator(".dropdown-menu.show").get_by_text("Stop Import", exact=True).click()
	# The list shows the indicator twice (wide and narrow layouts).
	expect(row.locator(".indicator-pill").first).to_have_text("Stopped", timeout=IMPORT_TIMEOUT)
	screenshots.take(page, "stop-from-list")
	queued = admin.get_doc("Lead Import Job", queued_job)
	assert queued["status"] == "Stopped" and queued["imported"] == 0, queued
	assert queued["failed"] == queued["total_rows"] > 0, queued
	assert_counts_add_up(queued)

	# The big import: open it, and stop it while it runs, once its first batch is in (in Documents mode,
	# halfway through 50 MB would take this machine most of an hour, and as long to clean up). The stop
	# rolls back the batch being written: on ERPNext's Lead, finishing it would take minutes.
	page.goto(f"/app/lead-import-job/{big_job}")
	wait_for(admin, big_job, lambda d: (d["processed_rows"] or 0) > 0)
	status = page.locator(".frappe-control[data-fieldname=progress_html] .lil-status")
	page.get_by_role("button", name="Stop Import").click()
	page.locator(".modal.show").get_by_role("button", name="Yes").click()
	expect(status).to_have_attribute("data-status", "Stopped", timeout=IMPORT_TIMEOUT)
	expect(page.get_by_role("button", name="Stop Import")).to_have_count(0)
	screenshots.take(page, "stopped-in-form")
	data = admin.get_doc("Lead Import Job", big_job)
	assert data["status"] == "Stopped", data
	assert data["total_rows"] == total, data
	assert 0 < data["imported"] < total and data["failed"] > 0, data
	assert_counts_add_up(data)
	assert data["error_message"] == STOPPED, data["error_message"]
	assert data["stop_requested_by"] == SALES_USER
	imported = admin.call(
		"GET",
		"/api/method/frappe.client.get_count",
		params={"doctype": "Lead", "filters": f'[["email_id", "like", "stop-%-{run_id}@{STOP_DOMAIN}"]]'},
	)["message"]
	assert imported == data["imported"], (imported, data["imported"])
	expect(page.locator(".lil-error-summary")).to_contain_text("Not processed")
	expect(page.get_by_role("button", name=re.compile("Fix Failed Rows"))).to_be_visible()
	undo(admin, big_job)
	assert admin.get_list("Lead", [["email_id", "like", f"stop-%-{run_id}@{STOP_DOMAIN}"]], ["name"]) == []
