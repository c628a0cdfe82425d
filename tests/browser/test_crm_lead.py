"""On a site with Frappe CRM: another CRM's export imported into CRM Lead by accepting every suggestion,
then seen in Frappe CRM's own Leads list, whose Import button leads back to the wizard.

scripts/browser-tests runs this file alone on the Frappe CRM site (INTELLICON_UI_SITE=crm)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.sync_api import expect
from support import EMAIL_DOMAIN, LEAD_DOCTYPE, SALES_USER, SiteClient
from wizard import Wizard, write_xlsx

pytestmark = pytest.mark.skipif(LEAD_DOCTYPE != "CRM Lead", reason="needs a site with Frappe CRM")

HEADER = ["First Name", "Last Name", "Email Address", "Company Name", "Lead Status", "Lead Source"]


def hubspot_rows(run: str) -> list[list]:
	email = lambda name: f"{name}.crm.{run}@{EMAIL_DOMAIN}"  # noqa: E731
	return [
		["Ann", "Lee", email("ann"), "Acme", "Open - Not Contacted", "Cold Call"],
		["Bob", "Ray", email("bob"), "Globex", "Working - Contacted", "Website"],
		["Cid", "Moe", email("cid"), "Initech", "Junk Lead", "Cold Call"],
	]


def test_another_crms_export_lands_in_frappe_crms_leads_list(
	login, admin: SiteClient, screenshots, run_id: str, tmp_path: Path
):
	page = login(SALES_USER)
	wizard = Wizard(page).open()
	path = write_xlsx(tmp_path / "hubspot-contacts.xlsx", HEADER, hubspot_rows(run_id))
	wizard.upload(path)
	wizard.expect_uploaded(path.name)
	wizard.next("preview")
	wizard.next("map")
	expect(wizard.field_select("Email Address")).to_have_value("email")
	expect(wizard.field_select("Company Name")).to_have_value("organization")
	screenshots.take(page, "crm-map")
	wizard.next("values")
	status = page.locator('.lil-values-column[data-fieldname="status"]')
	expect(status.locator("tr[data-value='Open - Not Contacted'] select")).to_have_value(
		re.compile('"value":"New"')
	)
	expect(status.locator("tr[data-value='Junk Lead'] select")).to_have_value(re.compile('"value":"Junk"'))
	screenshots.take(page, "crm-values")
	wizard.next("execute")
	page.get_by_role("button", name="Start Import").click()
	wizard.wait_for_status("Completed")
	expect(wizard.count("imported")).to_have_text("3")
	leads = admin.get_list(LEAD_DOCTYPE, [["email", "like", f"%.crm.{run_id}@{EMAIL_DOMAIN}"]], ["status"])
	assert sorted(lead["status"] for lead in leads) == ["Contacted", "Junk", "New"]

	# View Leads opens Frappe CRM's own Leads list, where the new leads are.
	page.get_by_role("link", name="View Leads").click()
	expect(page).to_have_url(re.compile(r"/crm/leads"))
	expect(page.get_by_text("Ann Lee").first).to_be_visible(timeout=30_000)
	screenshots.take(page, "crm-leads-list")

	# Its Import button (a CRM Form Script the app installs) leads back to the wizard.
	page.get_by_role("button", name="Import").click()
	expect(page).to_have_url(re.compile(r"/(?:app|desk)/lead-import$"))
	expect(page.locator(".lil-wizard")).to_have_attribute("data-step", re.compile(".+"))
