"""Fix Failed Rows: a user repairs three failed rows in the job form's grid and imports them."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import expect
from support import EMAIL_DOMAIN, SALES_USER, SiteClient
from wizard import IMPORT_TIMEOUT, Wizard, read_xlsx, write_xlsx

HEADER = ["First Name", "Last Name", "Email Address", "Mobile Phone", "Company"]


def rows(run: str) -> list[list]:
	email = lambda name: f"fix-{name}-{run}@{EMAIL_DOMAIN}"  # noqa: E731
	return [
		["Ann", "Lee", email("ann"), "+1 415 555 0100", "Acme"],
		["Bob", "Ray", email("bob"), "+1 415 555 0101", "Globex"],
		["Cy", "Woo", "cy at example", "+1 415 555 0102", "Initech"],  # row 4: invalid email
		["Di", "Fox", email("ann"), "+1 415 555 0103", "Umbrella"],  # row 5: duplicate of row 2
		["Ed", "Kim", email("ed"), "call me maybe", "Hooli"],  # row 6: invalid phone
		["Flo", "Ng", "flo at example", "+1 415 555 0105", "Zeta"],  # row 7: left failing
	]


def test_three_failed_rows_fixed_in_the_grid_are_imported_and_the_job_counts_move(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	path = write_xlsx(tmp_path / "fix-in-grid.xlsx", HEADER, rows(run_id))
	job = wizard.import_file(path, "Completed with Errors")
	expect(wizard.count("failed")).to_have_text("4")
	page.locator(".lil-job-link").click()
	expect(page).to_have_url(re.compile(rf"/(?:app|desk)/lead-import-job/{job}$"))

	# The grid: the failed rows, the error beside the cell it concerns.
	page.get_by_role("button", name="Fix Failed Rows").click()
	grid = page.locator(".lil-fix")
	expect(grid.locator("tbody tr")).to_have_count(4)
	email_4 = grid.get_by_label("Email Address, row 4")
	expect(email_4).to_have_attribute("aria-invalid", "true")
	expect(grid.locator("tr[data-row='4'] .invalid-feedback")).to_contain_text("cy at example")
	expect(grid.locator("tr[data-row='6'] .invalid-feedback")).to_contain_text("call me maybe")
	screenshots.take(page, "fix-failed-rows")

	# Filter by kind of error.
	grid.get_by_label("Show", exact=True).select_option(label="Invalid email format (2)")
	expect(grid.locator("tbody tr")).to_have_count(2)
	grid.get_by_label("Show", exact=True).select_option(value="")
	expect(grid.locator("tbody tr")).to_have_count(4)

	# Fix two cells: each row is checked again at once.
	email_4.fill(f"fix-cy-{run_id}@{EMAIL_DOMAIN}")
	email_4.press("Enter")
	expect(grid.locator("tr[data-row='4'] .lil-fix-check")).to_have_text("Will Import")
	email_5 = grid.get_by_label("Email Address, row 5")
	email_5.fill(f"fix-di-{run_id}@{EMAIL_DOMAIN}")
	email_5.press("Enter")
	expect(grid.locator("tr[data-row='5'] .lil-fix-check")).to_have_text("Will Import")

	# Clear a column of a selected row.
	grid.get_by_label("Select row 6").check()
	grid.get_by_label("Column", exact=True).select_option(label="Mobile Phone")
	grid.get_by_role("button", name="Clear Column of Selected Rows").click()
	expect(grid.locator("tr[data-row='6'] .lil-fix-check")).to_have_text("Will Import")
	expect(grid.get_by_label("Mobile Phone, row 6")).to_have_value("")
	expect(grid.locator("tr[data-row='7'] .lil-fix-check")).to_have_count(0)
	screenshots.take(page, "fix-failed-rows-fixed")

	# Import Fixed Rows: a run of the same job; the counts move and row 7 stays to fix.
	page.get_by_role("button", name="Import Fixed Rows").click()
	data = admin.get_doc("Lead Import Job", job)
	for _ in range(IMPORT_TIMEOUT // 1000):
		if len(data["runs"]) == 2 and data["runs"][-1].get("finished"):
			break
		page.wait_for_timeout(1000)
		data = admin.get_doc("Lead Import Job", job)
	assert (data["total_rows"], data["imported"], data["failed"]) == (6, 5, 1), data
	assert [r["run_type"] for r in data["runs"]] == ["Import", "Retry Fixed Rows"]
	status = page.locator(".frappe-control[data-fieldname=progress_html] .lil-status")
	expect(status).to_have_attribute("data-status", "Completed with Errors")
	emails = {
		lead["email_id"]
		for lead in admin.get_list(
			"Lead", [["email_id", "like", f"fix-%-{run_id}@{EMAIL_DOMAIN}"]], ["email_id"]
		)
	}
	assert emails == {f"fix-{n}-{run_id}@{EMAIL_DOMAIN}" for n in ("ann", "bob", "cy", "di", "ed")}
	phone = admin.get_list("Lead", [["email_id", "=", f"fix-ed-{run_id}@{EMAIL_DOMAIN}"]], ["mobile_no"])
	assert not phone[0]["mobile_no"]

	# Download Failed Records now holds only the row still failing.
	page.reload()
	with page.expect_download() as download_info:
		page.locator(".page-actions .primary-action").filter(has_text="Download Failed Records").click()
	failed_file = tmp_path / download_info.value.suggested_filename
	download_info.value.save_as(failed_file)
	assert [row[0] for row in read_xlsx(failed_file)[1:]] == [7]
	screenshots.take(page, "fix-failed-rows-imported")
