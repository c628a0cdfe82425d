"""What a sales admin sets up around an import: values for every lead, a new field from a column, tags,
round-robin assignment, the list of exactly the import's leads, and a file fetched from a link.

Run as Administrator: only a System Manager may turn a column into a new field."""

from __future__ import annotations

import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote

import pytest
from playwright.sync_api import expect
from support import ADMIN_PASSWORD, EMAIL_DOMAIN, EMAIL_FIELD, LEAD_DOCTYPE, SiteClient, lead_source_link
from wizard import Wizard, write_xlsx

pytestmark = pytest.mark.skipif(LEAD_DOCTYPE != "Lead", reason="the walk names Lead's fields")

ANN = "lil.ann.rr@example.com"
BOB = "lil.bob.rr@example.com"
HEADER = ["First Name", "Last Name", "Email Address", "Booth Visits"]


def rows(run: str, tag: str) -> list[list]:
	# Not "...{run}@": the other walks count their leads by that ending.
	return [[f"Rr{i}", f"Walk{run}", f"rr{i}.{tag}-{run}@{EMAIL_DOMAIN}", i % 4] for i in range(1, 7)]


def test_values_for_every_lead_a_new_field_tags_and_round_robin_end_on_exactly_the_imports_leads(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	for email, name in ((ANN, "Ann"), (BOB, "Bob")):
		admin.ensure_user(email, name, ["Sales User"])
	source_field, source_doctype = lead_source_link(admin)
	source = f"Walk Fair {run_id}"
	name_field = "source_name" if source_doctype == "Lead Source" else "name"
	if not admin.exists(source_doctype, source):
		admin.call("POST", f"/api/resource/{quote(source_doctype)}", {name_field: source, "name": source})
	fieldname = f"custom_booth_visits_{run_id}"
	try:
		walk(login, admin, screenshots, run_id, tmp_path, source_field, source, fieldname)
	finally:
		if admin.exists("Custom Field", f"{LEAD_DOCTYPE}-{fieldname}"):
			admin.delete("Custom Field", f"{LEAD_DOCTYPE}-{fieldname}")


def walk(login, admin, screenshots, run_id, tmp_path, source_field, source, fieldname) -> None:
	page = login("Administrator", ADMIN_PASSWORD)
	wizard = Wizard(page).open()
	path = write_xlsx(tmp_path / "fair.xlsx", [*HEADER[:3], f"Booth Visits {run_id}"], rows(run_id, "fair"))
	wizard.upload(path)
	wizard.expect_uploaded(path.name)
	wizard.next("preview")
	wizard.next("map")

	# The unmapped column becomes a whole-number field, as its values suggest.
	column = f"Booth Visits {run_id}"
	expect(wizard.field_select(column)).to_have_value("")
	row = page.locator("table.lil-mapping tbody tr").filter(has=wizard.field_select(column))
	row.get_by_role("button", name=f"Create a field for column {column}").click()
	dialog = page.locator(".modal.show")
	expect(dialog.locator("select[data-fieldname=fieldtype]")).to_have_value("Int")
	screenshots.take(page, "after-import-new-field")
	dialog.get_by_role("button", name="Create").click()
	expect(wizard.field_select(column)).to_have_value(fieldname)

	# Source and Status for every lead.
	for field, value in ((source_field, source), ("status", "Interested")):
		page.get_by_role("button", name="Add a Value for Every Lead").click()
		constant = page.locator("tr.lil-constant").last
		constant.locator("select.lil-constant-field").select_option(field)
		value_input = page.locator(f"tr.lil-constant[data-fieldname={field}] .lil-constant-value")
		if field == "status":
			value_input.locator("select").select_option(value)
		else:
			value_input.locator("input").fill(value)
			value_input.locator("input").press("Escape")
	screenshots.take(page, "after-import-every-lead")
	wizard.next("values")
	wizard.next("execute")

	# Tags, the import's own tag, and two users in turn.
	page.locator("input.lil-tags").fill(f"Fair {run_id}")
	expect(page.locator("input.lil-import-tag")).to_be_checked()
	assign = page.locator(".lil-assign-to input")
	for user in (ANN, BOB):
		assign.fill(user)
		page.locator(".awesomplete li", has_text=user).first.click()
	assign.press("Escape")  # the list of users closes, as when a user moves on
	page.locator(".lil-after-import .control-label").first.click()
	screenshots.take(page, "after-import-execute")
	page.get_by_role("button", name="Start Import").click()
	wizard.wait_for_status("Completed")
	expect(wizard.count("imported")).to_have_text("6")
	job = page.locator(".lil-job-link").inner_text().rsplit(" ", 1)[-1]

	leads = admin.get_list(
		LEAD_DOCTYPE,
		[[EMAIL_FIELD, "like", f"%.fair-{run_id}@{EMAIL_DOMAIN}"]],
		["name", "first_name", source_field, "status", fieldname, "_user_tags", "_assign"],
	)
	by_first = {lead["first_name"]: lead for lead in leads}
	assert sorted(by_first) == [f"Rr{i}" for i in range(1, 7)]
	for i in range(1, 7):
		lead = by_first[f"Rr{i}"]
		assert (lead[source_field], lead["status"], lead[fieldname]) == (source, "Interested", i % 4)
		assert f"Fair {run_id}" in lead["_user_tags"] and job in lead["_user_tags"]
		assert json.loads(lead["_assign"]) == [(ANN, BOB)[(i - 1) % 2]], lead

	# View Imported Leads: the Leads list shows exactly this import's six leads.
	page.get_by_role("button", name="View Imported Leads").click()
	expect(page).to_have_url(re.compile(r"/(app|desk)/lead\b"))  # Frappe 16's desk is /desk
	list_rows = page.locator(".list-row-container .list-row")
	expect(list_rows).to_have_count(6, timeout=30_000)
	screenshots.take(page, "after-import-view-imported-leads")


class _File(BaseHTTPRequestHandler):
	content = b""

	def do_GET(self) -> None:
		self.send_response(200)
		self.send_header("Content-Type", "text/csv")
		self.send_header("Content-Length", str(len(self.content)))
		self.end_headers()
		self.wfile.write(self.content)

	def log_message(self, *args) -> None:
		return


def test_a_file_from_a_link_imports_like_an_upload(login, admin: SiteClient, run_id: str, screenshots):
	"""The test serves the CSV on 127.0.0.1; scripts/browser-tests lets this site reach it (files.py)."""
	lines = ["First Name,Last Name,Email Address"]
	lines += [f"Link{i},Walk,link{i}-{run_id}@{EMAIL_DOMAIN}" for i in range(1, 4)]
	_File.content = ("\n".join(lines) + "\n").encode()
	server = ThreadingHTTPServer(("127.0.0.1", 0), _File)
	threading.Thread(target=server.serve_forever, daemon=True).start()
	try:
		page = login("Administrator", ADMIN_PASSWORD)
		wizard = Wizard(page).open()
		link = f"http://127.0.0.1:{server.server_address[1]}/exports/contacts.csv"
		page.get_by_label("Or import from a link").fill(link)
		page.get_by_role("button", name="Import from Link").click()
		wizard.expect_uploaded("contacts.csv")
		screenshots.take(page, "link-uploaded")
		for step in ("preview", "map", "values", "execute"):
			wizard.next(step)
		page.get_by_role("button", name="Start Import").click()
		wizard.wait_for_status("Completed")
		expect(wizard.count("imported")).to_have_text("3")
	finally:
		server.shutdown()
	leads = admin.get_list(
		LEAD_DOCTYPE, [[EMAIL_FIELD, "like", f"link%-{run_id}@{EMAIL_DOMAIN}"]], ["first_name"]
	)
	assert sorted(lead["first_name"] for lead in leads if lead["first_name"].startswith("Link")) == [
		"Link1",
		"Link2",
		"Link3",
	]
