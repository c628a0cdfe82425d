"""Spreadsheets fetched from a link: what comes back, and every way a link is refused.

A real local server answers. The test switch lets a fetch reach it over http on 127.0.0.1 and
nowhere else inside the network, so redirects onward from it still meet the full vetting. Host
names are pointed at the local server by replacing getaddrinfo, and https is served with a
certificate made for the test, trusted only where a test says so.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from lead_files import write_xls, write_xlsx

from intellicon_leads.importer import fetching
from intellicon_leads.importer.fetching import FetchRefused, fetch_spreadsheet, google_sheet_export_url
from intellicon_leads.importer.reading import open_table

CSV = b"First Name,Email Address\nAda,ada@example.com\nGrace,grace@example.com\n"
INSIDE = "This link points inside your network"

Route = Callable[[BaseHTTPRequestHandler], None]


class LinkServer(ThreadingHTTPServer):
	daemon_threads = True
	block_on_close = False

	def __init__(self) -> None:
		super().__init__(("127.0.0.1", 0), _Handler)
		self.routes: dict[str, Route] = {}
		self.requests: list[tuple[str, str]] = []
		self.connections = 0

	def get_request(self):
		self.connections += 1
		return super().get_request()

	def handle_error(self, request, client_address) -> None:
		pass  # clients that hang up on purpose, and TLS handshakes refused on purpose

	@property
	def port(self) -> int:
		return self.server_address[1]

	def url(self, path: str, host: str = "127.0.0.1", scheme: str = "http") -> str:
		return f"{scheme}://{host}:{self.port}{path}"


class _Handler(BaseHTTPRequestHandler):
	server: LinkServer

	def do_GET(self) -> None:
		self.server.requests.append((self.path, self.headers.get("Host", "")))
		route = self.server.routes.get(self.path.split("?", 1)[0])
		if route is None:
			self.send_error(404)
		else:
			route(self)

	def log_message(self, *args) -> None:
		pass


def answer(body: bytes, content_type: str = "text/csv", **headers: str) -> Route:
	def route(handler: BaseHTTPRequestHandler) -> None:
		handler.send_response(200)
		handler.send_header("Content-Type", content_type)
		handler.send_header("Content-Length", str(len(body)))
		for name, value in headers.items():
			handler.send_header(name.replace("_", "-"), value)
		handler.end_headers()
		handler.wfile.write(body)

	return route


def redirect(location: str, status: int = 302) -> Route:
	def route(handler: BaseHTTPRequestHandler) -> None:
		handler.send_response(status)
		handler.send_header("Location", location)
		handler.send_header("Content-Length", "0")
		handler.end_headers()

	return route


def _serve(server: LinkServer) -> Iterator[LinkServer]:
	thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
	thread.start()
	try:
		yield server
	finally:
		server.shutdown()
		server.server_close()


@pytest.fixture
def server() -> Iterator[LinkServer]:
	yield from _serve(LinkServer())


def fetch_local(url: str, **kwargs) -> fetching.FetchedFile:
	return fetch_spreadsheet(url, _allow_local_http_for_tests=True, **kwargs)


def refusal(url: str, **kwargs) -> str:
	with pytest.raises(FetchRefused) as raised:
		fetch_spreadsheet(url, **kwargs)
	assert str(raised.value) == raised.value.message
	return raised.value.message


def header_of(fetched: fetching.FetchedFile, tmp_path: Path) -> list[str]:
	path = tmp_path / fetched.filename
	path.write_bytes(fetched.content)
	with open_table(path) as table:
		return table.header


# --- Files that come back -------------------------------------------------------------------


def test_a_csv_link_gives_the_file_its_name_and_kind(server, tmp_path):
	server.routes["/exports/leads.csv"] = answer(CSV)
	fetched = fetch_local(server.url("/exports/leads.csv"))
	assert (fetched.content, fetched.filename, fetched.kind) == (CSV, "leads.csv", "csv")
	assert header_of(fetched, tmp_path) == ["First Name", "Email Address"]


def test_an_xlsx_is_named_by_its_content_disposition_and_read_back(server, tmp_path):
	book = write_xlsx(
		tmp_path / "source.xlsx", [["Ada", "Lovelace"]], ["First Name", "Last Name"]
	).read_bytes()
	server.routes["/download"] = answer(
		book, "application/octet-stream", Content_Disposition='attachment; filename="Q3 leads.xlsx"'
	)
	fetched = fetch_local(server.url("/download?id=7"))
	assert (fetched.content, fetched.filename, fetched.kind) == (book, "Q3 leads.xlsx", "xlsx")
	assert header_of(fetched, tmp_path) == ["First Name", "Last Name"]


def test_an_encoded_content_disposition_name_is_decoded(server):
	server.routes["/d"] = answer(
		CSV, Content_Disposition="attachment; filename=\"x.csv\"; filename*=UTF-8''Leads%20-%20M%C3%A4rz.csv"
	)
	assert fetch_local(server.url("/d")).filename == "Leads - März.csv"


def test_the_kind_comes_from_the_bytes_and_names_the_file(server, tmp_path):
	book = write_xls(tmp_path / "source.xls", [["Ada"]], ["First Name"]).read_bytes()
	server.routes["/files/12345"] = answer(book, "application/octet-stream")
	server.routes["/files/leads.csv"] = answer(book, "application/octet-stream")
	assert (
		fetch_local(server.url("/files/12345")).filename,
		fetch_local(server.url("/files/12345")).kind,
	) == (
		"12345.xls",
		"xls",
	)
	assert fetch_local(server.url("/files/leads.csv")).filename == "leads.xls"


def test_redirects_are_followed_to_the_file(server):
	server.routes["/share"] = redirect("/r2", 301)
	server.routes["/r2"] = redirect(server.url("/leads.csv"), 307)
	server.routes["/leads.csv"] = answer(CSV)
	fetched = fetch_local(server.url("/share"))
	assert fetched.content == CSV
	assert fetched.url == server.url("/leads.csv")
	assert [path for path, _ in server.requests] == ["/share", "/r2", "/leads.csv"]


@pytest.mark.parametrize(("hops", "fetched"), [(5, True), (6, False)])
def test_at_most_five_redirects_are_followed(server, hops, fetched):
	for hop in range(1, 7):
		server.routes[f"/hop/{hop}"] = redirect(f"/hop/{hop - 1}")
	server.routes["/hop/0"] = answer(CSV)
	if fetched:
		assert fetch_local(server.url(f"/hop/{hops}")).content == CSV
	else:
		with pytest.raises(FetchRefused, match="more than 5 times"):
			fetch_local(server.url(f"/hop/{hops}"))
		assert len(server.requests) == 6


# --- Addresses inside the network -----------------------------------------------------------


def test_without_the_switch_a_local_http_server_is_never_contacted(server):
	server.routes["/leads.csv"] = answer(CSV)
	assert refusal(server.url("/leads.csv")).startswith("Only https links can be fetched")
	assert INSIDE in refusal(server.url("/leads.csv", scheme="https"))
	assert INSIDE in refusal(server.url("/leads.csv", host="localhost", scheme="https"))
	assert server.connections == 0


@pytest.mark.parametrize(
	"link",
	[
		"https://127.0.0.1/leads.csv",
		"https://10.0.0.1/leads.csv",
		"https://172.16.5.4/leads.csv",
		"https://192.168.1.20/leads.csv",
		"https://100.64.0.1/leads.csv",
		"https://169.254.169.254/latest/meta-data/",
		"https://0.0.0.0/leads.csv",
		"https://224.0.0.1/leads.csv",
		"https://240.0.0.1/leads.csv",
		"https://[::1]/leads.csv",
		"https://[::]/leads.csv",
		"https://[fe80::1]/leads.csv",
		"https://[fd00:ec2::254]/latest/meta-data/",
		"https://[::ffff:127.0.0.1]/leads.csv",
		"https://[::ffff:169.254.169.254]/leads.csv",
		"https://[2002:a00:1::]/leads.csv",  # 6to4 around 10.0.0.1
		"https://[64:ff9b::a9fe:a9fe]/leads.csv",  # NAT64 around 169.254.169.254
		"https://localhost/leads.csv",
	],
)
def test_links_to_addresses_inside_the_network_are_refused(link):
	assert refusal(link).startswith(INSIDE)


@pytest.mark.parametrize(
	"target",
	[
		"http://10.0.0.1/leads.csv",
		"https://169.254.169.254/latest/meta-data/iam/",
		"http://127.0.0.2:{port}/leads.csv",
		"http://[::1]:{port}/leads.csv",
		"http://[::ffff:10.0.0.1]/leads.csv",
		"https://[fd00:ec2::254]/",
	],
)
def test_a_redirect_inside_the_network_is_refused_even_with_the_switch(server, target):
	server.routes["/share"] = redirect(target.format(port=server.port))
	with pytest.raises(FetchRefused, match=INSIDE):
		fetch_local(server.url("/share"))
	assert [path for path, _ in server.requests] == ["/share"]


def test_a_redirect_to_http_is_refused():
	# No public https server answers in tests, so the check every hop gets is called as a redirect's.
	with pytest.raises(FetchRefused, match="it sent us on to an address starting with http://"):
		fetching._vetted_hop("http://example.com/leads.csv", fetching._PUBLIC_HTTPS, redirected=True)


def fake_dns(monkeypatch, answers: dict[str, list[list[str]]], port: int | None = None) -> list[str]:
	"""Resolve the named hosts to the given addresses, one list per call (the last repeats)."""
	real = socket.getaddrinfo
	asked: list[str] = []

	def getaddrinfo(host, service, *args, **kwargs):
		if host not in answers:
			return real(host, service, *args, **kwargs)
		asked.append(host)
		calls = answers[host]
		addresses = calls[min(asked.count(host), len(calls)) - 1]
		return [
			(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "", (a, port or service))
			for a in addresses
		]

	monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
	return asked


def test_a_name_with_any_private_address_is_refused(monkeypatch):
	fake_dns(monkeypatch, {"mixed.example": [["93.184.216.34", "10.0.0.5"]]})
	assert refusal("https://mixed.example/leads.csv").startswith(INSIDE)


def test_the_socket_connects_to_the_address_that_was_vetted(server, monkeypatch):
	# A second look-up would say 10.0.0.1 (DNS rebinding): the fetch must not make one.
	asked = fake_dns(monkeypatch, {"leads.example": [["127.0.0.1"], ["10.0.0.1"]]})
	server.routes["/leads.csv"] = answer(CSV)
	fetched = fetch_local(server.url("/leads.csv", host="leads.example"), time_limit=3)
	assert fetched.content == CSV
	assert asked == ["leads.example"]
	assert server.requests == [("/leads.csv", f"leads.example:{server.port}")]


# --- Size and time --------------------------------------------------------------------------


@pytest.mark.parametrize(("size", "fetched"), [(64_000, True), (64_001, False)])
def test_a_body_over_the_limit_is_refused(server, size, fetched):
	body = b"a,b\n" + b"x" * (size - 4)

	def stream(handler):
		handler.send_response(200)
		handler.send_header("Content-Type", "text/csv")
		handler.end_headers()  # no length: the body ends when the connection does
		for start in range(0, len(body), 1000):
			handler.wfile.write(body[start : start + 1000])

	server.routes["/big.csv"] = stream
	if fetched:
		assert len(fetch_local(server.url("/big.csv"), max_size=64_000).content) == 64_000
	else:
		with pytest.raises(FetchRefused, match=r"larger than 62\.5 KB, the most that can be imported"):
			fetch_local(server.url("/big.csv"), max_size=64_000)


def test_an_endless_body_is_cut_at_the_limit(server):
	def endless(handler):
		handler.send_response(200)
		handler.end_headers()
		while True:
			handler.wfile.write(b"x" * 65536)

	server.routes["/endless.csv"] = endless
	with pytest.raises(FetchRefused, match="larger than 1 MB"):
		fetch_local(server.url("/endless.csv"), max_size=1 << 20)


def test_a_declared_length_over_50_mb_is_refused_before_reading(server):
	def huge(handler):
		handler.send_response(200)
		handler.send_header("Content-Length", str(60 << 20))
		handler.end_headers()
		handler.wfile.write(b"a,b\n")
		handler.wfile.flush()
		time.sleep(3)

	server.routes["/huge.csv"] = huge
	started = time.monotonic()
	with pytest.raises(FetchRefused) as raised:
		fetch_local(server.url("/huge.csv"))
	assert time.monotonic() - started < 1.5
	assert raised.value.message.startswith("The file at this link (60 MB) is larger than 50 MB")


def test_a_trickling_server_is_cut_at_the_time_limit(server):
	def trickle(handler):
		handler.send_response(200)
		handler.send_header("Content-Length", "100000")
		handler.end_headers()
		for _ in range(100):
			handler.wfile.write(b"a,b\n")
			handler.wfile.flush()
			time.sleep(0.05)

	server.routes["/slow.csv"] = trickle
	started = time.monotonic()
	with pytest.raises(FetchRefused, match=r"did not send the whole file within 0\.5 seconds"):
		fetch_local(server.url("/slow.csv"), time_limit=0.5)
	assert time.monotonic() - started < 1.5


def test_a_server_that_never_answers_is_cut_at_the_time_limit(server):
	server.routes["/silent.csv"] = lambda handler: time.sleep(3)
	started = time.monotonic()
	with pytest.raises(FetchRefused, match=r"within 0\.5 seconds"):
		fetch_local(server.url("/silent.csv"), time_limit=0.5)
	assert time.monotonic() - started < 1.5


# --- Answers that are not a spreadsheet -----------------------------------------------------


def test_an_error_status_is_reported_with_its_code(server):
	message = refusal(server.url("/missing.csv"), _allow_local_http_for_tests=True)
	assert message.startswith("The link answered with HTTP 404 (Not Found)")


@pytest.mark.parametrize(
	("body", "content_type", "expected"),
	[
		(b"<!DOCTYPE html><html><body>Sign in</body></html>", "text/html", "opens a web page"),
		(b"First Name\nAda\n", "text/html; charset=utf-8", "opens a web page"),
		(b"%PDF-1.7 ...", "application/pdf", "(it looks like a PDF document)"),
		(b"\x00\x01\x02\x03" * 100, "application/octet-stream", "is not a CSV, XLSX or XLS file"),
		(b"", "text/csv", "is empty"),
	],
)
def test_answers_that_are_not_spreadsheets_are_refused(server, body, content_type, expected):
	server.routes["/file"] = answer(body, content_type)
	assert expected in refusal(server.url("/file"), _allow_local_http_for_tests=True)


# --- Google Sheets --------------------------------------------------------------------------


@pytest.mark.parametrize(
	("link", "export"),
	[
		(
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/edit?usp=sharing",
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv",
		),
		(
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/edit#gid=1520",
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv&gid=1520",
		),
		(
			" https://docs.google.com/spreadsheets/u/0/d/1AbC-d_9/edit?gid=7#gid=7 ",
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv&gid=7",
		),
		(
			"http://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=xlsx",
			"https://docs.google.com/spreadsheets/d/1AbC-d_9/export?format=csv",
		),
		(
			"https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pubhtml?gid=3",
			"https://docs.google.com/spreadsheets/d/e/2PACX-1vQ/pub?output=csv&gid=3",
		),
		("https://docs.google.com/document/d/1AbC/edit", None),
		("https://drive.google.com/file/d/1AbC/view", None),
		("https://docs.google.com.evil.example/spreadsheets/d/1AbC/edit", None),
		("https://example.com/spreadsheets/d/1AbC/edit", None),
	],
)
def test_google_sheets_links_become_their_csv_export(link, export):
	assert google_sheet_export_url(link) == export


CERT_NAMES = ("docs.google.com", "leads.example")


@pytest.fixture(scope="module")
def certificate(tmp_path_factory) -> tuple[Path, Path]:
	if shutil.which("openssl") is None:
		pytest.skip("openssl is needed to make a test certificate")
	folder = tmp_path_factory.mktemp("tls")
	cert, key = folder / "cert.pem", folder / "key.pem"
	names = ",".join(f"DNS:{name}" for name in CERT_NAMES)
	subprocess.run(
		[
			*("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test"),
			*("-keyout", str(key), "-out", str(cert), "-addext", f"subjectAltName={names}"),
			*("-addext", "keyUsage=critical,digitalSignature,keyCertSign"),
		],
		check=True,
		capture_output=True,
	)
	return cert, key


@pytest.fixture
def tls_server(certificate) -> Iterator[LinkServer]:
	cert, key = certificate
	context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	context.load_cert_chain(cert, key)
	server = LinkServer()
	server.socket = context.wrap_socket(server.socket, server_side=True)
	yield from _serve(server)


@pytest.fixture
def trusted(certificate, monkeypatch) -> None:
	"""Trust the test certificate in place of the system's authorities."""
	default_context = ssl.create_default_context
	monkeypatch.setattr(ssl, "create_default_context", lambda: default_context(cafile=str(certificate[0])))


SHEET_LINK = "https://docs.google.com/spreadsheets/d/1AbC/edit#gid=42"
EXPORT_PATH = "/spreadsheets/d/1AbC/export"


def test_a_public_google_sheet_is_fetched_as_csv(tls_server, trusted, monkeypatch):
	fake_dns(monkeypatch, {"docs.google.com": [["127.0.0.1"]]}, port=tls_server.port)
	tls_server.routes[EXPORT_PATH] = answer(CSV, "text/csv")
	fetched = fetch_local(SHEET_LINK)
	assert (fetched.content, fetched.filename, fetched.kind) == (CSV, "sheet.csv", "csv")
	assert tls_server.requests == [("/spreadsheets/d/1AbC/export?format=csv&gid=42", "docs.google.com")]


def test_a_google_sheet_names_itself_when_it_says_its_name(tls_server, trusted, monkeypatch):
	fake_dns(monkeypatch, {"docs.google.com": [["127.0.0.1"]]}, port=tls_server.port)
	tls_server.routes[EXPORT_PATH] = answer(
		CSV, "text/csv", Content_Disposition="attachment; filename*=UTF-8''Leads%20-%20Sheet1.csv"
	)
	assert fetch_local(SHEET_LINK).filename == "Leads - Sheet1.csv"


def test_a_private_google_sheet_answering_with_a_login_page_is_explained(tls_server, trusted, monkeypatch):
	fake_dns(monkeypatch, {"docs.google.com": [["127.0.0.1"]]}, port=tls_server.port)
	tls_server.routes[EXPORT_PATH] = redirect("https://docs.google.com/ServiceLogin?continue=x")
	tls_server.routes["/ServiceLogin"] = answer(b"<!doctype html><html>Sign in</html>", "text/html")
	message = refusal(SHEET_LINK, _allow_local_http_for_tests=True)
	assert message == (
		"This Google Sheet is not shared publicly; share it with 'Anyone with the link' "
		"or download it and upload the file."
	)
	assert [path.split("?")[0] for path, _ in tls_server.requests] == [EXPORT_PATH, "/ServiceLogin"]


def test_https_refuses_a_certificate_that_is_not_trusted(tls_server, monkeypatch):
	fake_dns(monkeypatch, {"leads.example": [["127.0.0.1"]]}, port=tls_server.port)
	tls_server.routes["/leads.csv"] = answer(CSV)
	message = refusal("https://leads.example/leads.csv", _allow_local_http_for_tests=True)
	assert message.startswith(
		"The site at this link (leads.example) did not show a valid security certificate"
	)


def test_https_checks_the_certificate_against_the_host_name(tls_server, trusted, monkeypatch):
	fake_dns(
		monkeypatch, {"leads.example": [["127.0.0.1"]], "other.example": [["127.0.0.1"]]}, tls_server.port
	)
	tls_server.routes["/leads.csv"] = answer(CSV)
	assert fetch_local("https://leads.example/leads.csv").content == CSV
	message = refusal("https://other.example/leads.csv", _allow_local_http_for_tests=True)
	assert "(other.example) did not show a valid security certificate" in message
