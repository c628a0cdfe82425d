"""A Salesforce export walked through the wizard: its values matched by accepting every suggestion."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect
from support import EMAIL_DOMAIN, SALES_USER, SiteClient, lead_source_link
from wizard import Wizard, write_xlsx

HEADER = ["First Name", "Last Name", "Email", "Company", "Lead Status", "Lead Source", "No. of Employees"]
TEMPLATE = "Salesforce Leads (browser test)"


def salesforce_rows(run: str, source: str) -> list[list]:
	email = lambda name: f"{name}.sf.{run}@{EMAIL_DOMAIN}"  # noqa: E731
	return [
		["Ann", "Lee", email("ann"), "Acme", "Open - Not Contacted", source, 10],
		["Bob", "Ray", email("bob"), "Globex", "Contacted", source, "1,200"],
		["Cid", "Moe", email("cid"), "Initech", "New", source, 250],
		["Dee", "Poe", email("dee"), "Umbrella", "Unqualified", source, 45],
		["Eve", "Ng", "eve at example", "Hooli", "New", source, 3],
	]


def walk_to_values(wizard: Wizard, path: Path) -> None:
	wizard.upload(path)
	wizard.expect_uploaded(path.name)
	wizard.next("preview")
	wizard.next("map")
	wizard.next("values")


def test_a_salesforce_export_imports_by_accepting_every_suggestion(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	source = f"Web {run_id}"
	if admin.exists("Lead Import Template", TEMPLATE):
		admin.delete("Lead Import Template", TEMPLATE)
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	first = write_xlsx(tmp_path / "salesforce-leads.xlsx", HEADER, salesforce_rows(run_id, source))

	# The preview no longer says there is no problem: the statuses are another CRM's.
	wizard.upload(first)
	wizard.expect_uploaded(first.name)
	wizard.next("preview")
	expect(page.locator(".lil-no-warnings")).to_have_count(0)
	expect(page.locator(".lil-warnings")).to_contain_text("holds values that are not a valid Status")
	wizard.next("map")
	expect(wizard.field_select("Company")).to_have_value("company_name")

	# Match Values: the whole file's values, each needing one with its suggestion and reason.
	wizard.next("values")
	status = page.locator('.lil-values-column[data-fieldname="status"]')
	expect(status.locator("tr[data-value='Open - Not Contacted'] select")).to_have_value(
		'{"action":"match","value":"Open","reason":"\'Open - Not Contacted\' in other CRMs means \'Open\' here."}'
	)
	expect(status.locator("tr[data-value='New'] td").nth(1)).to_have_text("2")
	employees = page.locator('.lil-values-column[data-fieldname="no_of_employees"]')
	expect(employees.locator("tr[data-value='1,200'] .lil-value-reason")).to_have_text(
		"1,200 falls in the range 1000+."
	)
	source_field, source_doctype = lead_source_link(admin)
	sources = page.locator(f'.lil-values-column[data-fieldname="{source_field}"]')
	expect(sources.locator(f"tr[data-value='{source}'] select option:checked")).to_have_text(
		f"Create {source} (suggested)"
	)
	screenshots.at_both_widths(page, "match-values")

	# Saved with the mapping, the choices come back for the next file of the same layout.
	page.get_by_label("Save the mapping and these choices as a template").fill(TEMPLATE)
	page.locator(".lil-values-save-template").click()
	expect(page.locator(".lil-values-template-message")).to_contain_text("saved with these choices")

	wizard.next("execute")
	page.get_by_role("button", name="Check File").click()
	dry_run = page.locator(".lil-dry-run")
	expect(dry_run.locator(".lil-count").filter(has_text="Would be imported").locator("dd")).to_have_text("4")
	assert not admin.exists(source_doctype, source)
	page.get_by_role("button", name="Start Import").click()
	wizard.wait_for_status("Completed with Errors")
	expect(wizard.count("imported")).to_have_text("4")
	# Only the row Frappe itself refuses fails: an email address that is not one.
	expect(wizard.count("failed")).to_have_text("1")
	screenshots.take(page, "salesforce-imported")
	assert admin.exists(source_doctype, source)
	leads = {
		lead["first_name"]: lead
		for lead in admin.get_list(
			"Lead",
			[["email_id", "like", f"%.sf.{run_id}@{EMAIL_DOMAIN}"]],
			["first_name", "status", source_field, "no_of_employees", "company_name"],
		)
	}
	assert {name: (lead["status"], lead["no_of_employees"]) for name, lead in leads.items()} == {
		"Ann": ("Open", "1-10"),
		"Bob": ("Replied", "1000+"),
		"Cid": ("Lead", "201-500"),
		"Dee": ("Do Not Contact", "11-50"),
	}
	assert {lead[source_field] for lead in leads.values()} == {source}
	assert leads["Ann"]["company_name"] == "Acme"

	# A second export of the same layout: the template's choices are applied, nothing to change.
	page.get_by_role("button", name="Import Another File").click()
	second = write_xlsx(tmp_path / "salesforce-march.xlsx", HEADER, salesforce_rows(f"{run_id}b", source)[:4])
	walk_to_values(wizard, second)
	status = page.locator('.lil-values-column[data-fieldname="status"]')
	expect(status.locator("tr[data-value='Unqualified'] .lil-value-reason")).to_have_text("Saved choice.")
	wizard.next("execute")
	page.get_by_role("button", name="Start Import").click()
	wizard.wait_for_status("Completed")
	expect(wizard.count("imported")).to_have_text("4")
	screenshots.take(page, "salesforce-template-reapplied")


def test_forty_head_counts_are_two_lines_that_open_to_their_values(login, run_id: str, tmp_path: Path):
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	rows = [[f"P{n}", "Lee", f"p{n}.hc.{run_id}@{EMAIL_DOMAIN}", "Acme", "New", "", n] for n in range(1, 41)]
	walk_to_values(wizard, write_xlsx(tmp_path / "head-counts.xlsx", HEADER, rows))
	employees = page.locator('.lil-values-column[data-fieldname="no_of_employees"]')
	expect(employees.locator(".lil-values-count")).to_contain_text("40 values need a match, in 40 rows")
	expect(employees.locator(".lil-group-row")).to_have_count(2)
	small = employees.locator('.lil-value-group[data-target="1-10"]')
	toggle = small.get_by_role("button", name="1-10 ← 10 values, 10 rows")
	expect(toggle).to_have_attribute("aria-expanded", "false")
	toggle.click()
	expect(toggle).to_have_attribute("aria-expanded", "true")
	# Not 3 or 10: the Salesforce walk's template may have saved a choice for those, with its own reason.
	expect(small.locator("tr[data-value='4'] .lil-value-reason")).to_have_text("4 falls in the range 1-10.")
	# One value changed on its own: the line says its values no longer share one choice.
	small.locator("tr[data-value='4'] select").select_option(label="11-50")
	expect(small.locator(".lil-group-choice option:checked")).to_have_text("Mixed choices")
	# The whole line changed: every value follows.
	small.locator(".lil-group-choice").select_option(label="51-200")
	expect(small.locator("tr[data-value='7'] select option:checked")).to_have_text("51-200")
