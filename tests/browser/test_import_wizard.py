"""The lead import wizard in a real browser, logged in as a Sales User, against a real site and worker."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook
from playwright.sync_api import expect
from support import EMAIL_DOMAIN, OUTSIDER, SALES_USER, TEMPLATE, SiteClient, lead_requires_first_name
from wizard import Wizard, read_xlsx, write_xlsx

HEADER = [
	"First Name",
	"Last Name",
	"Email Address",
	"Mobile Phone",
	"Company",
	"Lead Status",
	"Town",
	"Booth Notes",
]
MB = 1024 * 1024


def lead_rows(run: str) -> list[list]:
	email = lambda name: f"{name}.{run}@{EMAIL_DOMAIN}"  # noqa: E731
	return [
		["Ann", "Lee", email("ann"), "+1 415 555 0100", "Acme", "Open", "Austin", "Stand 4"],
		["Bob", "Stone", email("bob"), "+1 415 555 0101", "Globex", "Lead", "Boston", "Stand 9"],
		["Cleo", "Park", email("cleo"), "+1 415 555 0102", "Initech", "Open", "Chicago", ""],
		["Dan", "Ray", "dan at example", "+1 415 555 0103", "Umbrella", "Open", "Denver", "bad email"],
		# No name, no email, no organisation: no Lead takes it, the app's own or ERPNext's.
		["", "", "", "+1 415 555 0104", "", "Open", "El Paso", "no name"],
	]


def test_import_with_failed_rows_then_fixed_and_reimported_with_the_template(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	page = login(SALES_USER)
	wizard = Wizard(page)

	# The Import button on the Lead list opens the wizard.
	page.goto("/app/lead")
	page.get_by_role("button", name="Import", exact=True).click()
	expect(page).to_have_url(re.compile(r"/(?:app|desk)/lead-import$"))
	wizard.expect_step("upload")
	expect(wizard.next_button).to_be_disabled()
	expect(page.locator(".lil-next-reason")).to_have_text("Choose a file to continue.")
	screenshots.at_both_widths(page, "upload")

	# Step 1: Upload, by keyboard.
	source = write_xlsx(tmp_path / "trade-show.xlsx", HEADER, lead_rows(run_id))
	wizard.choose_file_with_keyboard(source)
	wizard.expect_uploaded("trade-show.xlsx")
	screenshots.take(page, "uploaded")

	# Step 2: Preview: the first rows, and every column with its matched field.
	wizard.next("preview")
	columns = page.locator("table.lil-columns tbody tr")
	expect(columns).to_have_count(len(HEADER))
	expect(columns.filter(has_text="Town")).to_contain_text("City")
	expect(columns.filter(has_text="Booth Notes")).to_contain_text("Not imported")
	expect(page.locator("table.lil-rows tbody tr")).to_have_count(5)
	expect(page.locator("table.lil-rows")).to_contain_text(f"ann.{run_id}@{EMAIL_DOMAIN}")
	screenshots.at_both_widths(page, "preview")

	# Step 3: Map Fields: auto-mapped columns say so; Town is moved from City to State by hand.
	wizard.next("map")
	expect(wizard.field_select("Town")).to_have_value("city")
	expect(wizard.mapping_kind("Town")).to_have_text("Auto-mapped (verify)")
	expect(wizard.mapping_kind("Booth Notes")).to_have_text("Skip")
	required_mark = " *" if lead_requires_first_name(admin) else ""
	expect(wizard.field_select("First Name").locator("option[value=first_name]")).to_have_text(
		f"First Name{required_mark}"
	)
	wizard.field_select("Town").select_option("state")
	expect(wizard.mapping_kind("Town")).to_have_text("Manual")
	# One field, one column: State is now disabled in the other dropdowns.
	expect(wizard.field_select("Company").locator("option[value=state]")).to_be_disabled()
	expect(wizard.field_select("Company").locator("option[value=state]")).to_contain_text("used by Town")
	screenshots.at_both_widths(page, "map-fields")

	# A reload keeps the upload and the mapping.
	page.reload()
	wizard.expect_step("map")
	expect(wizard.field_select("Town")).to_have_value("state")

	# Save Template under a name.
	page.get_by_label("Save this mapping as a template").fill(TEMPLATE)
	page.get_by_role("button", name="Save Template").click()
	expect(page.locator(".lil-template-message")).to_have_text(f"Template {TEMPLATE} saved.")
	saved = admin.get_doc("Lead Import Template", TEMPLATE)
	assert {c["header"]: c["fieldname"] for c in saved["columns"]}["Town"] == "state"
	screenshots.take(page, "template-saved")

	# Map Fields, second part: every value of this file is valid, so there is nothing to match.
	wizard.next("values")
	expect(page.locator(".lil-values-summary")).to_contain_text("Every value in these columns is valid")

	# Step 4: Execute: the review; Back keeps what was done.
	wizard.next("execute")
	review = page.locator("table.lil-review-table")
	expect(review.locator("tr").filter(has_text="Town")).to_contain_text("State")
	expect(page.locator(".lil-duplicates")).to_contain_text("A duplicate is a lead with the same Email")
	expect(page.locator(".lil-duplicates")).to_contain_text("the row is skipped")
	wizard.back("values")
	wizard.back("map")
	expect(wizard.field_select("Town")).to_have_value("state")
	wizard.next("values")
	wizard.next("execute")

	# Check File: a dry run with projected counts and the first errors.
	page.get_by_role("button", name="Check File").click()
	dry_run = page.locator(".lil-dry-run")
	expect(dry_run).to_contain_text("Check result (nothing was saved)")
	expect(dry_run.locator(".lil-count").filter(has_text="Would be imported").locator("dd")).to_have_text("3")
	expect(dry_run.locator(".lil-count").filter(has_text="Would fail").locator("dd")).to_have_text("2")
	expect(dry_run.locator(".lil-first-errors li")).to_have_count(2)
	screenshots.at_both_widths(page, "check-file")
	assert admin.get_list("Lead", [["email_id", "like", f"%.{run_id}@{EMAIL_DOMAIN}"]], ["name"]) == []

	# Start Import, and watch it to the end: live, through the realtime channel.
	page.evaluate(
		"""() => frappe.realtime.on("lead_import_progress",
			(data) => (window.lil_statuses = window.lil_statuses || []).push(data.status))"""
	)
	page.get_by_role("button", name="Start Import").click()
	expect(page.locator(".lil-job-link")).to_be_visible()
	screenshots.take(page, "import-started")
	wizard.wait_for_status("Completed with Errors")
	expect(wizard.count("imported")).to_have_text("3")
	expect(wizard.count("failed")).to_have_text("2")
	expect(wizard.count("total")).to_have_text("5")
	expect(page.locator(".lil-progress [role=progressbar]")).to_have_attribute("aria-valuenow", "100")
	expect(page.get_by_role("button", name="Download Failed Records")).to_be_visible()
	page.wait_for_function("(window.lil_statuses || []).includes('Completed with Errors')")
	assert "Processing" in page.evaluate("window.lil_statuses")
	screenshots.at_both_widths(page, "import-completed-with-errors")
	first_job = page.locator(".lil-job-link").inner_text().rsplit(" ", 1)[-1]

	# The job in Batch Jobs: counts, error summary, and Download Failed Records.
	page.locator(".lil-job-link").click()
	expect(page).to_have_url(re.compile(rf"/(?:app|desk)/lead-import-job/{first_job}$"))
	job_form = page.locator(".frappe-control[data-fieldname=progress_html]")
	expect(job_form.locator(".lil-status")).to_have_attribute("data-status", "Completed with Errors")
	expect(job_form.locator("table.lil-error-summary tbody tr")).to_have_count(2)
	screenshots.at_both_widths(page, "job-form")
	with page.expect_download() as download_info:
		page.locator(".page-actions .primary-action").filter(has_text="Download Failed Records").click()
	failed_file = tmp_path / download_info.value.suggested_filename
	download_info.value.save_as(failed_file)
	failed = read_xlsx(failed_file)
	assert failed[0] == ["Row", "Error", *HEADER]
	assert [row[0] for row in failed[1:]] == [5, 6]
	assert "email" in failed[1][1].lower(), failed[1][1]
	assert "First Name" in failed[2][1] or "a person's name" in failed[2][1], failed[2][1]

	# Fix the failed rows in the downloaded file.
	book = load_workbook(failed_file)
	sheet = book.active
	sheet.cell(row=2, column=2 + HEADER.index("Email Address") + 1, value=f"dan.{run_id}@{EMAIL_DOMAIN}")
	sheet.cell(row=3, column=2 + HEADER.index("First Name") + 1, value="Nia")
	sheet.cell(row=3, column=2 + HEADER.index("Email Address") + 1, value=f"nia.{run_id}@{EMAIL_DOMAIN}")
	corrected = tmp_path / "trade-show-corrected.xlsx"
	book.save(corrected)

	# Re-import the corrected file with the saved template.
	page.goto("/app/lead-import")
	wizard.expect_step("execute")
	page.get_by_role("button", name="Import Another File").click()
	wizard.expect_step("upload")
	wizard.upload(corrected)
	wizard.expect_uploaded("trade-show-corrected.xlsx")
	wizard.next("preview")
	expect(page.locator("table.lil-columns tbody tr").filter(has_text="Error")).to_contain_text(
		"Not imported"
	)
	wizard.next("map")
	page.get_by_label("Saved template").select_option(TEMPLATE)
	page.get_by_role("button", name="Apply Template").click()
	expect(page.locator(".lil-notice")).to_contain_text(f"Template {TEMPLATE} applied")
	expect(wizard.field_select("Town")).to_have_value("state")
	expect(wizard.mapping_kind("Town")).to_have_text("Auto-mapped (verify)")
	expect(page.locator("table.lil-mapping")).to_contain_text(f"From template {TEMPLATE}")
	screenshots.at_both_widths(page, "template-applied")
	wizard.next("values")
	wizard.next("execute")
	expect(page.locator(".lil-review")).to_contain_text(f"Template: {TEMPLATE}")
	page.get_by_role("button", name="Start Import").click()
	wizard.wait_for_status("Completed")
	expect(wizard.count("imported")).to_have_text("2")
	expect(wizard.count("failed")).to_have_text("0")
	expect(page.get_by_role("button", name="Download Failed Records")).to_have_count(0)
	screenshots.take(page, "reimport-completed")
	second_job = page.locator(".lil-job-link").inner_text().rsplit(" ", 1)[-1]

	# What the database holds.
	leads = admin.get_list(
		"Lead",
		[["email_id", "like", f"%.{run_id}@{EMAIL_DOMAIN}"]],
		["first_name", "email_id", "state", "city"],
	)
	assert sorted(lead["first_name"] for lead in leads) == ["Ann", "Bob", "Cleo", "Dan", "Nia"]
	assert all(lead["state"] and not lead["city"] for lead in leads), leads
	first = admin.get_doc("Lead Import Job", first_job)
	assert (first["status"], first["total_rows"], first["imported"], first["failed"]) == (
		"Completed with Errors",
		5,
		3,
		2,
	)
	second = admin.get_doc("Lead Import Job", second_job)
	assert (second["status"], second["total_rows"], second["imported"], second["failed"]) == (
		"Completed",
		2,
		2,
		0,
	)
	assert second["template"] == TEMPLATE
	assert second["imported_by"] == SALES_USER
	notifications = admin.get_list(
		"Notification Log",
		[["for_user", "=", SALES_USER], ["document_name", "in", [first_job, second_job]]],
		["document_name"],
	)
	assert sorted(n["document_name"] for n in notifications) == sorted([first_job, second_job])


def test_a_file_over_50_mb_is_refused_with_the_advice_to_split_it(login, screenshots, tmp_path: Path):
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	huge = tmp_path / "huge.csv"
	with open(huge, "wb") as f:
		f.truncate(51 * MB)  # sparse: 51 MB on paper, nothing on disk
	uploads = []
	page.on("request", lambda r: "upload_chunk" in r.url and uploads.append(r.url))
	wizard.upload(huge)
	error = page.locator(".lil-error").first
	expect(error).to_contain_text("The file is 51.0 MB, larger than the 50 MB limit.")
	expect(error).to_contain_text("Split it into smaller batches")
	expect(wizard.next_button).to_be_disabled()
	assert uploads == [], "the browser must refuse the file before sending it"
	screenshots.at_both_widths(page, "refused-over-50-mb")

	# The server refuses it too, whatever a client claims.
	answer = page.request.post(
		"/api/method/intellicon_leads.api.upload_chunk",
		headers={"X-Frappe-CSRF-Token": page.evaluate("frappe.csrf_token")},
		multipart={
			"upload_id": "0" * 32,
			"offset": "0",
			"total_size": str(51 * MB),
			"filename": "huge.csv",
			"chunk": {"name": "huge.csv", "mimeType": "text/csv", "buffer": b"a,b\n"},
		},
	)
	assert not answer.ok
	assert "larger than the 50 MB limit" in answer.text()

	# Another format is refused in the browser with what to do instead.
	pdf = tmp_path / "leads.pdf"
	pdf.write_bytes(b"%PDF-1.4\n")
	wizard.upload(pdf)
	expect(error).to_contain_text("leads.pdf is not a CSV, XLSX or XLS file")


def test_next_stays_disabled_and_names_the_unmapped_required_field(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	if not lead_requires_first_name(admin):
		pytest.skip("this site's Lead (ERPNext's) requires no field: a lead needs a name or an email on save")
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	header = ["Contact Label", "Surname", "Email Address"]
	rows = [["Eve", "Stone", f"eve.{run_id}@{EMAIL_DOMAIN}"]]
	wizard.upload(write_xlsx(tmp_path / "no-first-name.xlsx", header, rows))
	wizard.expect_uploaded("no-first-name.xlsx")
	wizard.next("preview")
	wizard.next("map")
	expect(wizard.next_button).to_be_disabled()
	message = "Map a column to each required field, or set it for every lead, to continue: First Name."
	expect(page.locator(".lil-next-reason")).to_have_text(message)
	expect(page.locator(".lil-missing")).to_have_text(message)
	screenshots.at_both_widths(page, "required-field-unmapped")
	wizard.field_select("Contact Label").select_option("first_name")
	expect(wizard.next_button).to_be_enabled()
	expect(page.locator(".lil-missing")).to_be_hidden()


def test_preview_offers_the_sheets_of_a_workbook_and_shows_header_problems(
	login, screenshots, run_id: str, tmp_path: Path
):
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	book = Workbook()
	book.active.title = "Read Me"
	book.active.append(["This workbook's leads are on the next sheet."])
	leads = book.create_sheet("Leads")
	leads.append(["First Name", "Email Address", "Email Address", None, "Company"])
	leads.append(["Fay", f"fay.{run_id}@{EMAIL_DOMAIN}", "fay@other.example", "?", "Acme"])
	book.save(tmp_path / "two-sheets.xlsx")
	wizard.upload(tmp_path / "two-sheets.xlsx")
	wizard.expect_uploaded("two-sheets.xlsx")
	wizard.next("preview")
	sheet = page.get_by_label("Sheet")
	expect(sheet).to_have_value("Read Me")
	sheet.select_option("Leads")
	expect(page.locator("table.lil-columns tbody tr")).to_have_count(5)
	warnings = page.locator(".lil-warnings li")
	expect(warnings.first).to_be_visible()
	expect(page.locator(".lil-warnings")).to_contain_text("Email Address")
	screenshots.at_both_widths(page, "preview-sheets-and-warnings")
	wizard.next("map")
	expect(page.locator("table.lil-mapping tbody tr")).to_have_count(5)


def test_a_user_without_an_import_role_is_refused(login, screenshots):
	page = login(OUTSIDER)
	page.goto("/app/lead-import")
	refusal = page.locator(".modal-dialog").filter(has_text="Not permitted")
	expect(refusal).to_be_visible()
	expect(refusal).to_contain_text("You do not have enough permissions to access this resource")
	page.wait_for_timeout(500)  # the dialog's fade-in, for the screenshot
	expect(page.locator(".lil-wizard .lil-stepper")).to_have_count(0)
	screenshots.take(page, "not-permitted")
	csrf = {"X-Frappe-CSRF-Token": page.evaluate("frappe.csrf_token")}
	access = page.request.post("/api/method/intellicon_leads.api.import_access", headers=csrf)
	assert access.json()["message"]["allowed"] is False
	answer = page.request.post(
		"/api/method/intellicon_leads.api.list_templates", headers=csrf, data=json.dumps({})
	)
	assert answer.status == 403
	assert "You are not allowed to import leads" in answer.text()


def test_the_leads_workspace_links_the_wizard_and_batch_jobs(login, screenshots):
	page = login(SALES_USER)
	page.goto("/app/leads")
	for label in ("Lead", "Import Leads", "Batch Jobs", "Lead Import Templates"):
		expect(page.locator(".shortcut-widget-box").filter(has_text=label).first).to_be_visible()
	screenshots.take(page, "workspace")
	page.locator(".shortcut-widget-box").filter(has_text="Import Leads").click()
	expect(page.locator(".lil-wizard")).to_have_attribute("data-step", re.compile(".+"))
