"""A file from a link: fetched by the server, stored as an upload is, and every refusal a clean message.

A local http server in a thread serves the files. Only `files.save_from_link`'s test switch lets a fetch
reach it (http, on 127.0.0.1); the API has no such argument, so through the API the same server is
refused as any address inside the network is.
"""

from __future__ import annotations

import inspect
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from unittest.mock import patch

import frappe

from intellicon_leads import api
from intellicon_leads.importer import fetching
from intellicon_leads.lead_import import files, imports
from intellicon_leads.tests.utils import HEADER, LeadImportTestCase, csv_bytes, xlsx_bytes

ROWS = [
	["Ann", "Lee", "ann@link.example.com", "+1 415 555 0100", "Acme", "Open"],
	["Bob", "Ray", "bob@link.example.com", "", "Globex", "Open"],
]
INSIDE = "points inside your network"
MB = 1024 * 1024


class FileServer(ThreadingHTTPServer):
	"""Serves `routes` (path -> (content type, body)) on 127.0.0.1, on a port of its own."""

	daemon_threads = True
	block_on_close = False

	def __init__(self, routes: dict[str, tuple[str, bytes]]) -> None:
		super().__init__(("127.0.0.1", 0), _Handler)
		self.routes = routes
		self.requests: list[str] = []

	def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
		return f"{scheme}://{host}:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
	server: FileServer

	def do_GET(self) -> None:
		self.server.requests.append(self.path)
		if self.path not in self.server.routes:
			self.send_error(404)
			return
		content_type, body = self.server.routes[self.path]
		self.send_response(200)
		self.send_header("Content-Type", content_type)
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		try:
			self.wfile.write(body)
		except (BrokenPipeError, ConnectionResetError):
			pass  # the fetch stopped reading at the size limit, as it should

	def log_message(self, *args) -> None:
		pass


class TestFileFromLink(LeadImportTestCase):
	def setUp(self) -> None:
		super().setUp()
		# The browser tests' run lets their site (ERPNext's, which these tests share) fetch from this
		# machine, and forbids it again when it ends; a run that was killed may have left it allowed.
		allowed = frappe.local.conf.get(files.LOCAL_LINKS_FOR_TESTS)
		frappe.local.conf[files.LOCAL_LINKS_FOR_TESTS] = 0
		self.addCleanup(frappe.local.conf.__setitem__, files.LOCAL_LINKS_FOR_TESTS, allowed)
		self.server = FileServer(
			{
				"/exports/hubspot-leads.csv": ("text/csv", csv_bytes(ROWS)),
				"/exports/trade-show.xlsx": (
					"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
					xlsx_bytes(ROWS),
				),
				"/big.csv": ("text/csv", csv_bytes(ROWS * 40_000)),
			}
		)
		self.thread = threading.Thread(
			target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
		)
		self.thread.start()

	def tearDown(self) -> None:
		self.server.shutdown()
		self.server.server_close()
		super().tearDown()

	def fetched(self, path: str) -> frappe._dict:
		return files.save_from_link(self.server.url(path), _allow_local_http_for_tests=True)

	def refusal(self, link: str) -> str:
		with self.assertRaises(frappe.ValidationError) as caught:
			api.upload_from_link(link)
		message = str(caught.exception)
		self.assertNotIn("Traceback", message)
		return message

	def test_a_csv_from_a_link_is_a_private_upload_and_previews_like_one(self):
		file = self.fetched("/exports/hubspot-leads.csv")
		self.assertEqual(file.file_name, "hubspot-leads.csv")
		self.assertTrue(file.file_url.startswith(f"/private/files/{files.FOLDER}/"))
		self.assertTrue(frappe.db.get_value("File", file.name, "is_private"))
		self.assertEqual(file.file_size, len(csv_bytes(ROWS)))
		preview = imports.preview_upload(file.file_url)
		self.assertEqual(preview["header"], HEADER)
		self.assertEqual(preview["rows"][0]["values"][2], "ann@link.example.com")
		self.assertEqual(preview["mapping"]["columns"][2]["fieldname"], "email_id")

	def test_an_xlsx_from_a_link_is_read_as_a_workbook(self):
		file = self.fetched("/exports/trade-show.xlsx")
		self.assertEqual(file.file_name, "trade-show.xlsx")
		preview = imports.preview_upload(file.file_url)
		self.assertEqual(preview["header"], HEADER)
		self.assertEqual([r["values"][0] for r in preview["rows"]], ["Ann", "Bob"])

	def test_a_missing_file_is_refused_with_the_status(self):
		with self.assertRaises(frappe.ValidationError) as caught:
			self.fetched("/gone.csv")
		self.assertIn("HTTP 404", str(caught.exception))

	def test_the_api_has_no_way_to_reach_inside_the_network(self):
		self.assertEqual(list(inspect.signature(api.upload_from_link).parameters), ["link"])
		with self.assertRaises(frappe.ValidationError) as caught:
			frappe.call(
				api.upload_from_link,
				link=self.server.url("/exports/hubspot-leads.csv", scheme="https"),
				_allow_local_http_for_tests=True,
			)
		self.assertIn(INSIDE, str(caught.exception))
		self.assertEqual(self.server.requests, [])

	def test_an_http_link_is_refused(self):
		message = self.refusal(self.server.url("/exports/hubspot-leads.csv"))
		self.assertIn("Only https links can be fetched", message)
		self.assertEqual(self.server.requests, [])

	def test_links_to_this_machine_are_refused(self):
		for host in ("127.0.0.1", "localhost"):
			with self.subTest(host=host):
				message = self.refusal(self.server.url("/exports/hubspot-leads.csv", host, "https"))
				self.assertIn(INSIDE, message)
		self.assertEqual(self.server.requests, [])

	def test_a_private_address_is_refused(self):
		for link in ("https://10.0.0.1/leads.csv", "https://192.168.1.20/leads.csv", "https://[::1]/l.csv"):
			with self.subTest(link=link):
				self.assertIn(INSIDE, self.refusal(link))

	def test_a_file_over_the_sites_limit_is_refused_while_it_is_fetched(self):
		self.settings(max_file_size_mb=1)
		self.assertGreater(len(self.server.routes["/big.csv"][1]), MB)

		# No public https server answers in a test: the API's fetch is given the test switch, nothing else.
		def local(link: str, **options) -> fetching.FetchedFile:
			return fetching.fetch_spreadsheet(link, **{**options, "_allow_local_http_for_tests": True})

		with patch.object(files, "fetch_spreadsheet", local):
			message = self.refusal(self.server.url("/big.csv"))
		self.assertIn("larger than 1 MB", message)
		self.assertIn("Split it into smaller files", message)
		self.assertFalse(frappe.db.exists("File", {"file_name": "big.csv"}))
