"""Fetch a spreadsheet from a link a user pasted, without letting the link reach inside our network.

The server fetches on the user's behalf, so a link is a request made from inside the network. Every hop
is https only; its host is resolved once, every address it resolves to must be public, and the socket
connects to that vetted address itself, so a name that answers differently the second time (DNS
rebinding) never reaches a private address. TLS still verifies the certificate for the host name.
Redirects are followed by hand and vetted the same way. Size and time are bounded while reading, not
after: the body stops one byte past the limit, and a watchdog cuts the socket at the time limit.

Only the standard library is used, so that no HTTP client resolves or connects behind our back.
"""

from __future__ import annotations

import email.utils
import http.client
import ipaddress
import os
import re
import socket
import ssl
import threading
import time
import unicodedata
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import parse_qs, unquote, urljoin, urlsplit

from intellicon_leads.importer.reading.opening import OLE_MAGIC, OTHER_FILES, ZIP_MAGIC
from intellicon_leads.importer.reading.table import MAX_FILE_SIZE, size_text
from intellicon_leads.importer.reading.text import detect_encoding, looks_binary

MAX_FETCH_SIZE = MAX_FILE_SIZE
TIME_LIMIT = 30.0
# How long one read may wait for the next bytes; the time limit bounds the whole fetch.
SOCKET_TIMEOUT = 10.0
MAX_REDIRECTS = 5
MAX_LINK_LENGTH = 4096
_CHUNK = 64 * 1024
_SNIFF = 64 * 1024
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
_USER_AGENT = "IntelliconLeads/1.0 (lead import from a link)"
_ACCEPT = (
	"text/csv, application/vnd.openxmlformats-officedocument.spreadsheetml.sheet, "
	"application/vnd.ms-excel, */*;q=0.5"
)
# Cloud metadata services: refused by name, even where their ranges already are.
_METADATA = frozenset(
	ipaddress.ip_address(a) for a in ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200")
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
_GOOGLE_SHEET_PATH = re.compile(r"/spreadsheets/(?:u/[0-9]+/)?d/(e/)?([A-Za-z0-9_-]+)")
_SPREADSHEET_SUFFIXES = (".csv", ".xlsx", ".xls", ".txt", ".tsv")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


class FetchRefused(Exception):
	"""A link that was not fetched; `message` is one sentence telling a sales admin what to do."""

	def __init__(self, message: str) -> None:
		super().__init__(message)
		self.message = message


@dataclass(frozen=True)
class FetchedFile:
	content: bytes
	filename: str
	kind: str  # "csv", "xlsx" or "xls"
	url: str  # where the file came from, after redirects


@dataclass(frozen=True)
class _Policy:
	"""Which schemes a hop may use and which non-public addresses it may reach (tests only)."""

	schemes: frozenset[str]
	allowed: frozenset[Address]


_PUBLIC_HTTPS = _Policy(frozenset({"https"}), frozenset())
# The test switch: a local http server on 127.0.0.1, and nothing else inside the network.
_LOCAL_TEST_SERVER = _Policy(frozenset({"https", "http"}), frozenset({ipaddress.ip_address("127.0.0.1")}))


@dataclass(frozen=True)
class _Hop:
	url: str
	scheme: str
	host: str
	port: int
	target: str  # path and query, as sent in the request line
	addresses: tuple[tuple, ...]  # getaddrinfo entries, every one vetted


def google_sheet_export_url(link: str) -> str | None:
	"""The CSV export address of a Google Sheets link (its tab too, when the link names one); None for others."""
	parts = urlsplit(link.strip())
	if parts.scheme not in ("http", "https") or parts.hostname != "docs.google.com":
		return None
	match = _GOOGLE_SHEET_PATH.match(parts.path)
	if match is None:
		return None
	published, sheet_id = match.groups()
	if published:
		url = f"https://docs.google.com/spreadsheets/d/e/{sheet_id}/pub?output=csv"
	else:
		url = f"https://docs.google.com/spreadsheets/d/{sheet_id}/export?format=csv"
	# A tab is named in the query (?gid=) or, in links copied from the address bar, the fragment.
	gids = parse_qs(parts.query).get("gid") or parse_qs(parts.fragment).get("gid") or []
	gid = next((g for g in gids if g.isdigit()), None)
	return f"{url}&gid={gid}" if gid else url


def fetch_spreadsheet(
	link: str,
	*,
	max_size: int = MAX_FETCH_SIZE,
	time_limit: float = TIME_LIMIT,
	_allow_local_http_for_tests: bool = False,
) -> FetchedFile:
	"""Download the CSV, XLSX or XLS file a link points to; FetchRefused says why one was not.

	`_allow_local_http_for_tests` lets tests reach a server on 127.0.0.1 over http; nothing else
	inside the network becomes reachable, redirects included.
	"""
	policy = _LOCAL_TEST_SERVER if _allow_local_http_for_tests else _PUBLIC_HTTPS
	link = link.strip()
	sheet_url = google_sheet_export_url(link)
	google = sheet_url is not None
	deadline = _Deadline(time_limit)
	url = sheet_url or link
	for redirects in range(MAX_REDIRECTS + 1):
		hop = _vetted_hop(url, policy, redirected=redirects > 0)
		with _exchange(hop, deadline) as response:
			location = response.getheader("Location")
			if response.status in _REDIRECT_STATUSES and location:
				url = urljoin(hop.url, location.strip())
				continue
			_check_status(response, google)
			content = _read_body(response, max_size, deadline)
			kind = _kind(content, response.getheader("Content-Type") or "", google)
			return FetchedFile(content, _file_name(response, hop.url, kind, google), kind, hop.url)
	raise FetchRefused(
		f"The link sent us on to another address more than {MAX_REDIRECTS} times, so it was not followed. "
		"Open it in your browser, download the file and upload it."
	)


# --- Vetting each hop -----------------------------------------------------------------------


def _vetted_hop(url: str, policy: _Policy, *, redirected: bool) -> _Hop:
	"""The hop to `url`, once its scheme and every address its host resolves to are allowed."""
	parts = _split(url)
	if parts.scheme not in policy.schemes:
		where = (
			f"it sent us on to an address starting with {parts.scheme}://"
			if redirected
			else f"this one starts with {parts.scheme}://"
		)
		raise FetchRefused(
			f"Only https links can be fetched, and {where}. Use the https:// address, "
			"or download the file and upload it."
		)
	if parts.username is not None or parts.password is not None:
		raise FetchRefused(
			"Links with a user name or password in them are not fetched. "
			"Share the file with a plain link, or download it and upload the file."
		)
	host = _ascii_host(parts.hostname or "")
	port = parts.port or (443 if parts.scheme == "https" else 80)
	addresses = _resolve(host, port)
	for entry in addresses:
		if not _allowed(_address_of(entry), policy):
			raise FetchRefused(
				"This link points inside your network; download the file and upload it instead."
			)
	target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
	return _Hop(url, parts.scheme, host, port, target, tuple(addresses))


def _split(url: str):
	invalid = FetchRefused(
		"This is not a link to a file. Paste the full address, starting with https://, "
		"or download the file and upload it."
	)
	if not url or len(url) > MAX_LINK_LENGTH or any(c.isspace() or ord(c) < 32 for c in url):
		raise invalid
	try:
		parts = urlsplit(url)
		_ = parts.port  # raises ValueError for a port that is not a number
	except ValueError:
		raise invalid
	if not parts.hostname:
		raise invalid
	return parts


def _ascii_host(host: str) -> str:
	"""The host as DNS knows it: international names in their xn-- form."""
	try:
		return host if host.isascii() else host.encode("idna").decode("ascii")
	except UnicodeError:
		raise FetchRefused(
			f"The address in this link ({host}) is not a valid site name. Check the link, "
			"or download the file and upload it."
		)


def _resolve(host: str, port: int) -> list[tuple]:
	try:
		entries = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
	except (socket.gaierror, UnicodeError):
		entries = []
	if not entries:
		raise FetchRefused(
			f"The site in this link ({host}) could not be found. Check the link, "
			"or download the file and upload it."
		)
	return entries


def _address_of(entry: tuple) -> Address:
	# IPv6 link-local answers carry a scope ("fe80::1%eth0"); the address is what is vetted.
	return ipaddress.ip_address(entry[4][0].split("%", 1)[0])


def _allowed(address: Address, policy: _Policy) -> bool:
	return address in policy.allowed or is_public_address(address)


def is_public_address(address: Address) -> bool:
	"""True for an address on the public internet; False for anything inside a network or special.

	IPv6 forms that carry an IPv4 address (mapped, 6to4, Teredo, NAT64) are judged by that address.
	"""
	if address.version == 6:
		mapped = address.ipv4_mapped
		if mapped is not None:
			return is_public_address(mapped)
		inner = [address.sixtofour, address.teredo[1] if address.teredo else None]
		if address in _NAT64:
			inner.append(ipaddress.IPv4Address(int(address) & 0xFFFFFFFF))
		if any(v4 is not None and not is_public_address(v4) for v4 in inner):
			return False
	special = (
		address.is_private
		or address.is_loopback
		or address.is_link_local
		or address.is_multicast
		or address.is_reserved
		or address.is_unspecified
	)
	return address.is_global and not special and address not in _METADATA


# --- One request and its answer -------------------------------------------------------------


class _Deadline:
	"""The time limit of the whole fetch, every hop included."""

	def __init__(self, seconds: float) -> None:
		self.seconds = seconds
		self.ends = time.monotonic() + seconds
		self.cut = False

	@property
	def expired(self) -> bool:
		return self.cut or time.monotonic() >= self.ends

	def remaining(self) -> float:
		left = self.ends - time.monotonic()
		if left <= 0:
			raise self.refusal()
		return left

	def refusal(self) -> FetchRefused:
		return FetchRefused(
			f"The link did not send the whole file within {self.seconds:g} seconds. "
			"Try again later, or download the file and upload it."
		)

	@contextmanager
	def watching(self, sock: socket.socket) -> Iterator[None]:
		"""Cut `sock` when time runs out, so that a server trickling bytes cannot hold a read open."""

		def cut() -> None:
			self.cut = True
			try:
				# The plain socket's shutdown, also on a TLS socket: it wakes a read blocked in another thread.
				socket.socket.shutdown(sock, socket.SHUT_RDWR)
			except OSError:
				pass

		timer = threading.Timer(self.remaining(), cut)
		timer.daemon = True
		timer.start()
		try:
			yield
		finally:
			timer.cancel()


@contextmanager
def _exchange(hop: _Hop, deadline: _Deadline):
	"""Connect to the hop's vetted address, send the GET and yield the answer; errors said for a user."""
	sock = _connect(hop, deadline)
	try:
		with deadline.watching(sock), _failures_explained(hop, deadline):
			connection_class = (
				http.client.HTTPSConnection if hop.scheme == "https" else http.client.HTTPConnection
			)
			connection = connection_class(hop.host, hop.port, timeout=SOCKET_TIMEOUT)
			# The socket is already connected to the vetted address; http.client must not open its own.
			connection.sock = sock
			connection.request("GET", hop.target, headers=_request_headers())
			response = connection.getresponse()
			yield response
	finally:
		sock.close()


def _request_headers() -> dict[str, str]:
	return {
		"User-Agent": _USER_AGENT,
		"Accept": _ACCEPT,
		"Accept-Encoding": "identity",
		"Connection": "close",
	}


def _connect(hop: _Hop, deadline: _Deadline) -> socket.socket:
	"""A socket connected to one of the hop's vetted addresses, wrapped in verified TLS for https."""
	last_error: OSError | None = None
	for family, kind, proto, _name, sockaddr in hop.addresses:
		sock = socket.socket(family, kind, proto)
		try:
			sock.settimeout(min(SOCKET_TIMEOUT, deadline.remaining()))
			sock.connect(sockaddr)
			sock.settimeout(SOCKET_TIMEOUT)
		except OSError as exc:
			sock.close()
			last_error = exc
			continue
		except BaseException:
			sock.close()
			raise
		return _secured(sock, hop, deadline)
	if isinstance(last_error, TimeoutError):
		raise _timeout_refusal(hop, deadline)
	raise FetchRefused(
		f"Could not connect to {hop.host}. Check the link, or download the file and upload it."
	)


def _secured(sock: socket.socket, hop: _Hop, deadline: _Deadline) -> socket.socket:
	if hop.scheme != "https":
		return sock
	context = ssl.create_default_context()
	try:
		with deadline.watching(sock):
			return context.wrap_socket(sock, server_hostname=hop.host)
	except ssl.SSLCertVerificationError:
		sock.close()
		raise FetchRefused(
			f"The site at this link ({hop.host}) did not show a valid security certificate, so the file "
			"was not fetched. Download the file and upload it instead."
		)
	except OSError:
		sock.close()
		if deadline.expired:
			raise deadline.refusal()
		raise FetchRefused(
			f"Could not open a secure connection to {hop.host}. Check the link, "
			"or download the file and upload it."
		)


@contextmanager
def _failures_explained(hop: _Hop, deadline: _Deadline) -> Iterator[None]:
	"""Network errors during the exchange, said as what happened and what to do."""
	try:
		yield
	except FetchRefused:
		raise
	except TimeoutError:
		raise _timeout_refusal(hop, deadline)
	except (OSError, http.client.HTTPException):
		if deadline.expired:
			raise deadline.refusal()
		raise FetchRefused(
			f"The connection to {hop.host} broke off before the file arrived. "
			"Try again, or download the file and upload it."
		)


def _timeout_refusal(hop: _Hop, deadline: _Deadline) -> FetchRefused:
	if deadline.expired:
		return deadline.refusal()
	return FetchRefused(
		f"{hop.host} stopped answering for {SOCKET_TIMEOUT:g} seconds. "
		"Try again later, or download the file and upload it."
	)


def _check_status(response: http.client.HTTPResponse, google_sheet: bool) -> None:
	if response.status == 200:
		return
	if google_sheet and response.status in (401, 403):
		raise FetchRefused(_not_shared_message())
	reason = f" ({response.reason})" if response.reason else ""
	raise FetchRefused(
		f"The link answered with HTTP {response.status}{reason} instead of the file. "
		"Check that the link is right and the file is shared, or download the file and upload it."
	)


def _read_body(response: http.client.HTTPResponse, max_size: int, deadline: _Deadline) -> bytes:
	"""The answer's body, refused as soon as it is larger than `max_size` (read one byte past it)."""
	declared = (response.getheader("Content-Length") or "").strip()
	if declared.isdigit() and int(declared) > max_size:
		raise _too_large(int(declared), max_size)
	chunks: list[bytes] = []
	received = 0
	while received <= max_size:
		# read1 returns what one read brings, so the time limit is checked between small reads.
		chunk = response.read1(min(_CHUNK, max_size + 1 - received))
		if not chunk:
			break
		chunks.append(chunk)
		received += len(chunk)
	if deadline.expired:
		raise deadline.refusal()
	if received > max_size:
		raise _too_large(None, max_size)
	return b"".join(chunks)


def _too_large(size: int | None, max_size: int) -> FetchRefused:
	size_part = f" ({size_text(size)})" if size else ""
	return FetchRefused(
		f"The file at this link{size_part} is larger than {size_text(max_size)}, the most that can be "
		"imported at once. Split it into smaller files and upload them one by one."
	)


# --- What came back -------------------------------------------------------------------------


def _not_shared_message() -> str:
	return (
		"This Google Sheet is not shared publicly; share it with 'Anyone with the link' "
		"or download it and upload the file."
	)


def _kind(content: bytes, content_type: str, google_sheet: bool) -> str:
	"""'xlsx', 'xls' or 'csv' from the bytes themselves; FetchRefused for web pages and other files."""
	if not content:
		raise FetchRefused("The file at this link is empty. Check the link, or upload the file instead.")
	if content.startswith(ZIP_MAGIC):
		return "xlsx"
	if content.startswith(OLE_MAGIC):
		return "xls"
	for magic, what in OTHER_FILES:
		if content.startswith(magic):
			raise FetchRefused(_not_a_spreadsheet(what))
	head = content[:_SNIFF]
	text = detect_encoding(head).decode_sample(head, final=len(content) <= _SNIFF)
	if looks_binary(text):
		raise FetchRefused(_not_a_spreadsheet())
	media_type = content_type.split(";", 1)[0].strip().lower()
	if media_type in ("text/html", "application/xhtml+xml") or _looks_like_markup(text):
		if google_sheet:
			raise FetchRefused(_not_shared_message())
		raise FetchRefused(
			"This link opens a web page, not a spreadsheet file. Use the link that downloads the CSV "
			"or Excel file itself, or download it and upload the file."
		)
	if media_type in ("application/json", "application/pdf") or media_type.startswith("image/"):
		raise FetchRefused(_not_a_spreadsheet())
	return "csv"


def _looks_like_markup(text: str) -> bool:
	start = text.lstrip("\ufeff \t\r\n")[:512].lower()
	return start.startswith(("<!doctype", "<html", "<?xml", "<head", "<body"))


def _not_a_spreadsheet(what: str = "") -> str:
	looks = f" (it looks like {what})" if what else ""
	return (
		f"The file at this link is not a CSV, XLSX or XLS file{looks}. "
		"Open it, save it as CSV or XLSX and upload that."
	)


def _file_name(response: http.client.HTTPResponse, url: str, kind: str, google_sheet: bool) -> str:
	"""The name the server gives the file, else the last part of its address, ending in its kind."""
	name = _disposition_name(response.msg)
	if not name and not google_sheet:
		name = unquote(urlsplit(url).path.rstrip("/").rpartition("/")[2])
	name = _tidy_name(name) or ("sheet" if google_sheet else "download")
	stem, suffix = os.path.splitext(name)
	if suffix.lower() == f".{kind}":
		return name
	return f"{stem if suffix.lower() in _SPREADSHEET_SUFFIXES else name}.{kind}"


def _disposition_name(headers: http.client.HTTPMessage) -> str:
	"""The Content-Disposition file name, its encoded form (filename*=UTF-8''...) first, as RFC 6266 says."""
	plain = encoded = ""
	try:
		for key, value in (headers.get_params(header="Content-Disposition") or [])[1:]:
			if key.lower() != "filename":
				continue
			if isinstance(value, tuple):
				encoded = encoded or email.utils.collapse_rfc2231_value(value)
			else:
				plain = plain or value
	except (ValueError, LookupError):
		return ""
	return encoded or plain


def _tidy_name(name: str) -> str:
	"""A name safe to store: no folders, no control characters, at most 140 characters."""
	name = name.replace("\\", "/").rpartition("/")[2]
	name = "".join(c for c in name if unicodedata.category(c)[0] != "C")
	return name.strip(" .")[:140]
