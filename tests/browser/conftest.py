"""Browser tests of the lead import wizard against a running bench site (see scripts/browser-tests).

The site's address comes from INTELLICON_UI_URL; without it these tests are skipped.
"""

from __future__ import annotations

import secrets
from pathlib import Path

import pytest
from support import (
	ADMIN_PASSWORD,
	BASE_URL,
	CHROMIUM,
	CHROMIUM_ARGS,
	DESKTOP,
	EMAIL_DOMAIN,
	EMAIL_FIELD,
	LEAD_DOCTYPE,
	OUTSIDER,
	PASSWORD,
	SALES_USER,
	SCREENSHOTS,
	TEMPLATE,
	Screenshots,
	SiteClient,
	lead_source_link,
)


def pytest_collection_modifyitems(config, items) -> None:
	if BASE_URL:
		return
	skip = pytest.mark.skip(reason="Browser tests need a running site: run scripts/browser-tests.")
	for item in items:
		item.add_marker(skip)


@pytest.fixture(scope="session")
def run_id() -> str:
	"""Unique per run, so that leads from earlier runs are never duplicates of this run's."""
	return secrets.token_hex(3)


@pytest.fixture(scope="session")
def admin() -> SiteClient:
	if not BASE_URL:
		pytest.skip("no site")
	return SiteClient(BASE_URL).login("Administrator", ADMIN_PASSWORD)


@pytest.fixture(scope="session", autouse=True)
def test_data(request):
	if not BASE_URL:
		yield
		return
	admin = request.getfixturevalue("admin")
	# ERPNext 16's lead sources are Frappe's UTM Sources, which marketing creates: the walk that creates
	# a source from a value gives the sales user that role where the site has it.
	roles = ["Sales User"]
	if lead_source_link(admin)[1] == "UTM Source" and admin.exists("Role", "Marketing Manager"):
		roles.append("Marketing Manager")
	admin.ensure_user(SALES_USER, "Sam Sales", roles)
	# The Frappe tests may share this site: the walks start from the rules a new site has.
	for fieldname, value in (("duplicate_action", "Skip"), ("in_file_duplicates", "Fail later rows")):
		admin.call(
			"POST",
			"/api/method/frappe.client.set_value",
			{
				"doctype": "Lead Import Settings",
				"name": "Lead Import Settings",
				"fieldname": fieldname,
				"value": value,
			},
		)
	admin.ensure_user(OUTSIDER, "Otto Outsider", ["Accounts User"])
	for lead in admin.get_list(LEAD_DOCTYPE, [[EMAIL_FIELD, "like", f"%@{EMAIL_DOMAIN}"]], ["name"]):
		admin.delete(LEAD_DOCTYPE, lead["name"])
	for job in admin.get_list("Lead Import Job", [["owner", "=", SALES_USER]], ["name"]):
		admin.delete("Lead Import Job", job["name"])
	if admin.exists("Lead Import Template", TEMPLATE):
		admin.delete("Lead Import Template", TEMPLATE)
	yield
	# The Frappe tests may share this site (ERPNext's): leave no lead behind.
	for lead in admin.get_list(LEAD_DOCTYPE, [[EMAIL_FIELD, "like", f"%@{EMAIL_DOMAIN}"]], ["name"]):
		admin.delete(LEAD_DOCTYPE, lead["name"])


@pytest.fixture(scope="session")
def screenshots() -> Screenshots:
	print(f"\nScreenshots: {SCREENSHOTS}")
	return Screenshots(SCREENSHOTS)


@pytest.fixture(scope="session")
def browser():
	from playwright.sync_api import sync_playwright

	with sync_playwright() as playwright:
		browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
		yield browser
		browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
	report = yield
	setattr(item, f"report_{report.when}", report)
	return report


@pytest.fixture
def login(browser, request, screenshots: Screenshots):
	"""login(user) -> a desk page of a fresh browser context, logged in as that user."""
	contexts = []

	def open_as(user: str, password: str = PASSWORD):
		context = browser.new_context(base_url=BASE_URL, viewport=DESKTOP, accept_downloads=True)
		contexts.append(context)
		answer = context.request.post("/api/method/login", form={"usr": user, "pwd": password})
		assert answer.ok, answer.text()
		page = context.new_page()
		page.set_default_timeout(30_000)
		return page

	yield open_as
	report = getattr(request.node, "report_call", None)
	for context in contexts:
		if report is not None and report.failed:
			for page in context.pages:
				screenshots.take(page, f"FAILED-{request.node.name}")
		context.close()


def pytest_terminal_summary(terminalreporter) -> None:
	if SCREENSHOTS.exists():
		terminalreporter.write_line(f"Screenshots of each step: {SCREENSHOTS}")
