"""The import wizard as a user sees it: steps, controls and what they say."""

from __future__ import annotations

from pathlib import Path

from openpyxl import Workbook, load_workbook
from playwright.sync_api import Page, expect

IMPORT_TIMEOUT = 120_000


class Wizard:
	def __init__(self, page: Page) -> None:
		self.page = page
		self.root = page.locator(".lil-wizard")

	def open(self) -> Wizard:
		self.page.goto("/app/lead-import")
		expect(self.root).to_have_attribute("data-step", "upload")
		return self

	def expect_step(self, step: str) -> None:
		expect(self.root).to_have_attribute("data-step", step)
		expect(self.page.locator(".lil-stepper [aria-current=step]")).to_have_count(1)

	def choose_file_with_keyboard(self, path: Path) -> None:
		"""Focus Choose File and press Enter, as a keyboard user would: it opens the file input."""
		button = self.page.get_by_role("button", name="Choose File")
		button.focus()
		expect(button).to_be_focused()
		self.page.evaluate(
			"""() => document.querySelector('.lil-file-input').addEventListener(
				'click', () => { window.lil_file_input_opened = true; }, { once: true })"""
		)
		self.page.keyboard.press("Enter")
		assert self.page.evaluate("window.lil_file_input_opened === true")
		# Headless Chromium reports the native chooser unreliably: give the input its file directly.
		self.upload(path)

	def upload(self, path: Path) -> None:
		self.page.locator(".lil-file-input").set_input_files(str(path))

	def expect_uploaded(self, name: str) -> None:
		expect(self.page.locator(".lil-uploaded .lil-file-name")).to_have_text(name)
		expect(self.next_button).to_be_enabled()

	@property
	def next_button(self):
		return self.page.locator("button.lil-next")

	def next(self, step: str) -> None:
		self.next_button.click()
		self.expect_step(step)

	def back(self, step: str) -> None:
		self.page.locator("button.lil-back").click()
		self.expect_step(step)

	def field_select(self, header: str):
		return self.page.locator(f'select.lil-field-select[data-header="{header}"]')

	def mapping_kind(self, header: str):
		row = self.page.locator("table.lil-mapping tbody tr").filter(has=self.field_select(header))
		return row.locator(".lil-kind .indicator-pill")

	def status(self):
		return self.page.locator(".lil-progress .lil-status")

	def count(self, key: str):
		return self.page.locator(f'.lil-progress [data-count="{key}"]')

	def wait_for_status(self, status: str) -> None:
		expect(self.status()).to_have_attribute("data-status", status, timeout=IMPORT_TIMEOUT)

	def import_file(self, path: Path, status: str) -> str:
		"""Upload, go through every step with what the wizard suggests, import; the job's name."""
		self.upload(path)
		self.expect_uploaded(path.name)
		for step in ("preview", "map", "values", "execute"):
			self.next(step)
		self.page.get_by_role("button", name="Start Import").click()
		self.wait_for_status(status)
		return self.page.locator(".lil-job-link").inner_text().rsplit(" ", 1)[-1]


def write_xlsx(path: Path, header: list[str], rows: list[list]) -> Path:
	book = Workbook()
	sheet = book.active
	sheet.title = "Leads"
	sheet.append(header)
	for row in rows:
		sheet.append(row)
	book.save(path)
	return path


def read_xlsx(path: Path) -> list[list]:
	book = load_workbook(path, read_only=True)
	rows = [list(r) for r in book.active.iter_rows(values_only=True)]
	book.close()
	return rows
