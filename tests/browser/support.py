"""What the browser tests share: the site's address, its REST API, the test users, screenshots."""

from __future__ import annotations

import json
import os
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.error import HTTPError
from urllib.parse import quote, urlencode
from urllib.request import HTTPCookieProcessor, Request, build_opener

BASE_URL = os.environ.get("INTELLICON_UI_URL", "").rstrip("/")
CHROMIUM = os.environ.get("INTELLICON_CHROMIUM", "/usr/bin/chromium")
ADMIN_PASSWORD = os.environ.get("INTELLICON_ADMIN_PASSWORD", "admin")
PASSWORD = "Lil-Browser-Test-2026!"
SALES_USER = "lil.sales@example.com"
OUTSIDER = "lil.outsider@example.com"
EMAIL_DOMAIN = "lil-test.example"
TEMPLATE = "Trade Show Leads (browser test)"
# The Lead the site's imports go to: scripts/browser-tests says "crm" for a site with Frappe CRM.
LEAD_DOCTYPE, EMAIL_FIELD = (
	("CRM Lead", "email") if os.environ.get("INTELLICON_UI_LEAD") == "crm" else ("Lead", "email_id")
)
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = Path(os.environ.get("INTELLICON_SCREENSHOTS", REPO / "artifacts" / "screenshots"))
CHROMIUM_ARGS = [
	"--headless",
	"--no-sandbox",
	"--disable-gpu",
	"--disable-background-networking",
	"--disable-component-update",
	"--no-first-run",
	"--disable-sync",
]
DESKTOP = {"width": 1280, "height": 900}
PHONE = {"width": 375, "height": 812}


class SiteClient:
	"""The site's REST API with a logged-in session, for setting up and checking what the UI did."""

	def __init__(self, base_url: str) -> None:
		self.base_url = base_url
		self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

	def login(self, user: str, password: str) -> SiteClient:
		self.call("POST", "/api/method/login", {"usr": user, "pwd": password})
		return self

	def call(self, method: str, path: str, data: dict | None = None, params: dict | None = None) -> dict:
		url = self.base_url + path + (f"?{urlencode(params)}" if params else "")
		body = json.dumps(data).encode() if data is not None else None
		request = Request(url, data=body, method=method, headers={"Content-Type": "application/json"})
		try:
			with self.opener.open(request, timeout=60) as response:
				return json.loads(response.read() or b"{}")
		except HTTPError as error:
			raise AssertionError(f"{method} {path} failed: {error.code} {error.read()[:2000]!r}") from None

	def exists(self, doctype: str, name: str) -> bool:
		found = self.call(
			"GET",
			f"/api/resource/{quote(doctype)}",
			params={"filters": json.dumps([["name", "=", name]]), "limit_page_length": 1},
		)
		return bool(found["data"])

	def get_list(self, doctype: str, filters: list, fields: list[str]) -> list[dict]:
		params = {"filters": json.dumps(filters), "fields": json.dumps(fields), "limit_page_length": 0}
		return self.call("GET", f"/api/resource/{quote(doctype)}", params=params)["data"]

	def get_doc(self, doctype: str, name: str) -> dict:
		return self.call("GET", f"/api/resource/{quote(doctype)}/{quote(name)}")["data"]

	def delete(self, doctype: str, name: str) -> None:
		self.call("DELETE", f"/api/resource/{quote(doctype)}/{quote(name)}")

	def ensure_user(self, email: str, first_name: str, roles: list[str]) -> None:
		values = {
			"first_name": first_name,
			"enabled": 1,
			"user_type": "System User",
			"new_password": PASSWORD,
			"send_welcome_email": 0,
			"roles": [{"role": r} for r in roles],
		}
		if self.exists("User", email):
			self.call("PUT", f"/api/resource/User/{quote(email)}", values)
		else:
			self.call("POST", "/api/resource/User", {"email": email, **values})


class Screenshots:
	"""Numbered full-page screenshots of each step, at the page's current width."""

	def __init__(self, folder: Path) -> None:
		self.folder = folder
		self.count = 0
		folder.mkdir(parents=True, exist_ok=True)
		for old in folder.glob("*.png"):
			old.unlink()

	def take(self, page, name: str) -> Path:
		self.count += 1
		width = page.viewport_size["width"]
		path = self.folder / f"{self.count:02d}-{name}-{width}px.png"
		# From the top, so that the desk's sticky header is not painted halfway down the picture.
		page.evaluate("window.scrollTo(0, 0)")
		page.screenshot(path=str(path), full_page=True)
		return path

	def at_both_widths(self, page, name: str) -> None:
		self.take(page, name)
		page.set_viewport_size(PHONE)
		page.wait_for_timeout(300)
		self.take(page, name)
		page.set_viewport_size(DESKTOP)
		page.wait_for_timeout(300)


def lead_source_link(admin: SiteClient) -> tuple[str, str]:
	"""The Lead's source field and the DocType it links to: source (Lead Source), or ERPNext 16's
	utm_source (UTM Source)."""
	fields = {f["fieldname"]: f for f in admin.get_doc("DocType", LEAD_DOCTYPE)["fields"]}
	name = "source" if "source" in fields else "utm_source"
	return name, fields[name]["options"]


def lead_requires_first_name(admin: SiteClient) -> bool:
	"""The app's own Lead requires a First Name; ERPNext's Lead requires no field at all."""
	fields = admin.get_doc("DocType", "Lead")["fields"]
	return any(f["fieldname"] == "first_name" and f.get("reqd") for f in fields)
