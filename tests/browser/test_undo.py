"""Undo Import: a user undoes an import from the job form; its new leads are gone, the updated fields
restored, and the lead someone edited since is kept and listed in a file they can download."""

from __future__ import annotations

import csv
import re
from pathlib import Path
from urllib.parse import quote

from playwright.sync_api import expect
from support import EMAIL_DOMAIN, SALES_USER, SiteClient
from wizard import IMPORT_TIMEOUT, Wizard, write_xlsx

HEADER = ["First Name", "Last Name", "Email Address", "Company"]
SETTINGS = "/api/resource/Lead%20Import%20Settings/Lead%20Import%20Settings"


def email(name: str, run: str) -> str:
	return f"undo-{name}-{run}@{EMAIL_DOMAIN}"


def lead_of(admin: SiteClient, address: str) -> dict | None:
	found = admin.get_list(
		"Lead", [["email_id", "=", address]], ["name", "last_name", "company_name", "city"]
	)
	return found[0] if found else None


def wait_for_status(admin: SiteClient, job: str, statuses: tuple[str, ...], page) -> dict:
	data = admin.get_doc("Lead Import Job", job)
	for _ in range(IMPORT_TIMEOUT // 1000):
		if data["status"] in statuses:
			return data
		page.wait_for_timeout(1000)
		data = admin.get_doc("Lead Import Job", job)
	raise AssertionError(f"the job stayed {data['status']}")


def test_an_undone_import_deletes_its_new_leads_restores_the_updated_fields_and_lists_the_kept_lead(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	previous_action = admin.call("GET", SETTINGS)["data"].get("duplicate_action") or "Skip"
	admin.call("PUT", SETTINGS, {"duplicate_action": "Update"})
	try:
		admin.call(
			"POST",
			"/api/resource/Lead",
			{
				"first_name": "Cy",
				"last_name": "Old",
				"email_id": email("cy", run_id),
				"company_name": "Old Co",
			},
		)
		page = login(SALES_USER)
		wizard = Wizard(page).open()
		rows = [
			["Ann", "Lee", email("ann", run_id), "Acme"],
			["Bob", "Ray", email("bob", run_id), "Globex"],
			["Cy", "Woo", email("cy", run_id), "New Co"],
		]
		path = write_xlsx(tmp_path / "undo-me.xlsx", HEADER, rows)
		job = wizard.import_file(path, "Completed")
		expect(wizard.count("imported")).to_have_text("2")
		expect(wizard.count("updated")).to_have_text("1")
		assert lead_of(admin, email("cy", run_id))["company_name"] == "New Co"

		# Someone works on Bob after the import: the undo must keep him.
		bob = lead_of(admin, email("bob", run_id))
		admin.call("PUT", f"/api/resource/Lead/{quote(bob['name'])}", {"city": "Lyon"})

		page.locator(".lil-job-link").click()
		expect(page).to_have_url(re.compile(rf"/(?:app|desk)/lead-import-job/{job}$"))
		page.get_by_role("button", name="Undo Import").click()
		dialog = page.locator(".modal.show")
		expect(dialog).to_contain_text("2 leads it created will be deleted")
		expect(dialog).to_contain_text("cannot be run again")
		screenshots.take(page, "undo-confirm")
		dialog.get_by_role("button", name="Yes").click()

		data = wait_for_status(admin, job, ("Undone", "Partly Undone"), page)
		assert (data["status"], data["deleted"], data["restored"], data["kept"]) == (
			"Partly Undone",
			1,
			1,
			1,
		), data
		page.reload()
		status = page.locator(".frappe-control[data-fieldname=progress_html] .lil-status")
		expect(status).to_have_attribute("data-status", "Partly Undone")
		undo_box = page.locator(".lil-undo")
		for key, value in (("deleted", "1"), ("restored", "1"), ("kept", "1")):
			expect(undo_box.locator(f"[data-count={key}]")).to_have_text(value)
		expect(page.get_by_role("button", name="Undo Import")).to_have_count(0)
		screenshots.take(page, "undo-done")

		assert lead_of(admin, email("ann", run_id)) is None
		assert lead_of(admin, email("bob", run_id))["city"] == "Lyon"
		cy = lead_of(admin, email("cy", run_id))
		assert (cy["last_name"], cy["company_name"]) == ("Old", "Old Co")

		with page.expect_download() as download_info:
			undo_box.get_by_role("button", name="Download Kept Leads").click()
		kept_file = tmp_path / download_info.value.suggested_filename
		download_info.value.save_as(kept_file)
		with open(kept_file, encoding="utf-8") as f:
			kept = list(csv.reader(f))
		assert kept[0] == ["Lead", "Row", "Action", "Reason"]
		assert [row[:3] for row in kept[1:]] == [[bob["name"], "3", "Created"]]
		assert "edited after the import" in kept[1][3]
	finally:
		admin.call("PUT", SETTINGS, {"duplicate_action": previous_action})
