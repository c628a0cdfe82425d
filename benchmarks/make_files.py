"""Generate the benchmark lead files: a ~50 MB CSV and ~50 MB XLSX files of realistic, slightly dirty leads.

	python benchmarks/make_files.py [--out DIR]

Files that already exist are left alone, so running it again is cheap.
"""

from __future__ import annotations

import argparse
import csv
import datetime
import os
import random
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

DEFAULT_OUT = Path(__file__).resolve().parent / "data"
LIMIT = 50 * 1024 * 1024
CSV_ROWS = 360_000
XLSX_ROWS = 600_000
XLSX_SST_ROWS = 670_000
HEADER = [
	"first_name",
	"last_name",
	"email",
	"phone",
	"company",
	"job title",
	"status",
	"source",
	"city",
	"country",
	"annual revenue",
	"created date",
]
FIRST = (
	"James Mary Robert Patricia John Jennifer Michael Linda David Elizabeth William Barbara Richard Susan "
	"Joseph Jessica Thomas Sarah Charles Karen Christopher Lisa Daniel Nancy Matthew Betty Anthony Sandra "
	"Mark Ashley Donald Kimberly Steven Emily Andrew Donna Paul Michelle Joshua Carol Kenneth Amanda Kevin "
	"Melissa Brian Deborah George Stephanie Timothy Rebecca Ronald Sharon Jason Laura Edward Cynthia José "
	"María François Zoë Søren Łukasz Ümit Anaïs Björn Renée Siobhán Chloé Mateo Priya Wei Hiroshi Olu Aarav"
).split()
LAST = (
	"Smith Johnson Williams Brown Jones Garcia Miller Davis Rodriguez Martinez Hernandez Lopez Gonzalez "
	"Wilson Anderson Thomas Taylor Moore Jackson Martin Lee Perez Thompson White Harris Sanchez Clark Ramirez "
	"Lewis Robinson Walker Young Allen King Wright Scott Torres Nguyen Hill Flores Green Adams Nelson Baker "
	"Hall Rivera Campbell Mitchell Carter Roberts O'Brien Müller Dubois Rossi Kowalski Novák Andersson "
	"Yamamoto Chen Okafor Singh Fernández Schmidt D'Angelo Van der Berg"
).split()
COMPANY_A = (
	"Acme Globex Initech Umbrella Stark Wayne Wonka Hooli Vandelay Soylent Tyrell Cyberdyne Aperture".split()
)
COMPANY_B = ("Corp", "Inc.", "LLC", "Group", "Holdings", "Labs", "Systems", "& Sons", "GmbH", "S.A.", "Ltd")
TITLES = (
	"CEO",
	"CTO",
	"VP Sales",
	"Head of Marketing",
	"Sales Manager",
	"Account Executive",
	"Procurement Lead",
	"Operations Director",
	"Software Engineer",
	"Founder",
	"Office Manager",
	"",
)
STATUSES = ("Lead", "Open", "Replied", "Opportunity", "Interested", "Converted", "Do Not Contact")
DIRTY_STATUSES = ("hot", "Opn", "lead ", "CONVERTED", "n/a")
SOURCES = ("Website", "Trade Show", "Cold Calling", "Referral", "Campaign", "Advertisement", "LinkedIn")
PLACES = (
	("San Francisco", "United States"),
	("New York", "United States"),
	("Austin", "United States"),
	("London", "United Kingdom"),
	("Manchester", "United Kingdom"),
	("Berlin", "Germany"),
	("München", "Germany"),
	("Paris", "France"),
	("Lyon", "France"),
	("São Paulo", "Brazil"),
	("Mumbai", "India"),
	("Bengaluru", "India"),
	("Tokyo", "Japan"),
	("Sydney", "Australia"),
	("Toronto", "Canada"),
	("Zürich", "Switzerland"),
)
DOMAINS = ("gmail.com", "yahoo.com", "outlook.com", "example.com", "acme.io", "mail.de", "corp.co.uk")


def lead(rng: random.Random, i: int, *, typed: bool) -> list:
	"""One lead; `typed` gives numbers and dates as such (for XLSX), else text as a CSV holds them."""
	first, last = rng.choice(FIRST), rng.choice(LAST)
	city, country = rng.choice(PLACES)
	user = f"{first}.{last}".lower().replace(" ", "").replace("'", "")
	email = f"{user}{i}@{rng.choice(DOMAINS)}"
	digits = f"{rng.randint(201, 989)}{rng.randint(200, 999)}{rng.randint(0, 9999):04d}"
	phone: object = rng.choice(
		(f"+1 {digits[:3]}-{digits[3:6]}-{digits[6:]}", f"({digits[:3]}) {digits[3:6]}-{digits[6:]}", digits)
	)
	revenue: object = rng.choice((rng.randint(1, 500) * 10_000, round(rng.uniform(1e4, 5e7), 2), ""))
	created = datetime.datetime(2020, 1, 1) + datetime.timedelta(minutes=rng.randint(0, 5 * 525_600))
	status = rng.choice(STATUSES)
	if rng.random() < 0.03:
		email, status, first = rng.choice(
			(
				(f"{user}@", status, first),
				("n/a", status, first),
				(email, rng.choice(DIRTY_STATUSES), ""),
				(email.upper() + " ", status, first),
			)
		)
	if typed:
		phone = int(digits) if phone == digits else phone
		created = created.date() if i % 3 else created
	else:
		revenue = f"{revenue:,}" if revenue and i % 7 == 0 else str(revenue)
		created = created.strftime(rng.choice(("%Y-%m-%d", "%Y-%m-%d %H:%M", "%d/%m/%Y")))
	company = f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"
	title = rng.choice(TITLES)
	return [
		first,
		last,
		email,
		phone,
		company,
		title,
		status,
		rng.choice(SOURCES),
		city,
		country,
		revenue,
		created,
	]


def leads(count: int, *, typed: bool) -> Iterator[list]:
	rng = random.Random(42)
	for i in range(count):
		yield lead(rng, i, typed=typed)


def write_csv(path: Path, count: int = CSV_ROWS) -> None:
	with open(path, "w", encoding="utf-8", newline="") as file:
		writer = csv.writer(file)
		writer.writerow(HEADER)
		writer.writerows(leads(count, typed=False))


def write_xlsx(path: Path, count: int = XLSX_ROWS) -> None:
	"""openpyxl write-only: inline strings, as openpyxl and many web apps write them."""
	from openpyxl import Workbook
	from openpyxl.cell import WriteOnlyCell
	from openpyxl.styles import NamedStyle

	book = Workbook(write_only=True)
	sheet = book.create_sheet("Leads")
	date_style = NamedStyle("date_style", number_format="yyyy-mm-dd")
	moment_style = NamedStyle("moment_style", number_format="yyyy-mm-dd hh:mm")
	sheet.append(HEADER)
	for row in leads(count, typed=True):
		cell = WriteOnlyCell(sheet, row[-1])
		cell.style = moment_style if isinstance(row[-1], datetime.datetime) else date_style
		row[-1] = cell
		sheet.append(row)
	book.save(path)


def write_xlsx_shared_strings(path: Path, count: int = XLSX_SST_ROWS) -> None:
	"""The layout Excel itself writes: every text in sharedStrings.xml, cells pointing at it."""
	strings: dict[str, int] = {}
	epoch = datetime.datetime(1899, 12, 30)
	with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as book:
		for name, text in _EXCEL_PARTS.items():
			book.writestr(name, text)
		with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
			part.write(_SHEET_HEAD)
			rows = leads(count, typed=True)
			for number, row in enumerate([HEADER, *rows], start=1):
				part.write(_excel_row(number, row, strings, epoch).encode())
			part.write(b"</sheetData></worksheet>")
		with book.open("xl/sharedStrings.xml", "w", force_zip64=True) as part:
			part.write(
				f'{_XML}<sst xmlns="{_NS}" count="{len(strings)}" uniqueCount="{len(strings)}">'.encode()
			)
			for text in strings:
				space = ' xml:space="preserve"' if text != text.strip() else ""
				part.write(f"<si><t{space}>{escape(text)}</t></si>".encode())
			part.write(b"</sst>")


def _excel_row(number: int, row: list, strings: dict[str, int], epoch: datetime.datetime) -> str:
	cells = []
	for col, value in enumerate(row):
		ref = f"{chr(65 + col)}{number}"
		if value == "" or value is None:
			continue
		if isinstance(value, str):
			index = strings.setdefault(value, len(strings))
			cells.append(f'<c r="{ref}" t="s"><v>{index}</v></c>')
		elif isinstance(value, datetime.datetime):
			cells.append(f'<c r="{ref}" s="2"><v>{(value - epoch).total_seconds() / 86400!r}</v></c>')
		elif isinstance(value, datetime.date):
			cells.append(f'<c r="{ref}" s="1"><v>{(value - epoch.date()).days}</v></c>')
		else:
			cells.append(f'<c r="{ref}"><v>{value}</v></c>')
	return f'<row r="{number}" spans="1:12">{"".join(cells)}</row>'


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_NS = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SHEET_HEAD = f'{_XML}<worksheet xmlns="{_NS}" xmlns:r="{_REL}"><sheetData>'.encode()
_EXCEL_PARTS = {
	"[Content_Types].xml": _XML
	+ '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
	'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
	'<Default Extension="xml" ContentType="application/xml"/>'
	'<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
	'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>'
	'<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>'
	'<Override PartName="/xl/sharedStrings.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>'
	"</Types>",
	"_rels/.rels": _XML
	+ '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
	f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/></Relationships>',
	"xl/workbook.xml": _XML + f'<workbook xmlns="{_NS}" xmlns:r="{_REL}"><sheets>'
	'<sheet name="Leads" sheetId="1" r:id="rId1"/></sheets></workbook>',
	"xl/_rels/workbook.xml.rels": _XML
	+ '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
	f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
	f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
	f'<Relationship Id="rId3" Type="{_REL}/sharedStrings" Target="sharedStrings.xml"/>'
	"</Relationships>",
	"xl/styles.xml": _XML
	+ f'<styleSheet xmlns="{_NS}"><numFmts count="1"><numFmt numFmtId="164" formatCode="yyyy\\-mm\\-dd\\ hh:mm"/>'
	'</numFmts><cellXfs count="3"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/>'
	'<xf numFmtId="164" applyNumberFormat="1"/></cellXfs></styleSheet>',
}

FILES = {
	"leads_50mb.csv": write_csv,
	"leads_50mb.xlsx": write_xlsx,
	"leads_50mb_shared_strings.xlsx": write_xlsx_shared_strings,
}


def make_files(out: Path) -> dict[str, Path]:
	out.mkdir(parents=True, exist_ok=True)
	made = {}
	for name, write in FILES.items():
		path = out / name
		if not path.exists():
			partial = path.with_name(path.name + ".partial")
			write(partial)
			os.replace(partial, path)
		size = path.stat().st_size
		print(
			f"{path}  {size / 1024 / 1024:.1f} MB{'  (over 50 MB!)' if size > LIMIT else ''}", file=sys.stderr
		)
		made[name] = path
	return made


def main() -> None:
	parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	parser.add_argument(
		"--out", type=Path, default=DEFAULT_OUT, help="directory for the files (default: %(default)s)"
	)
	make_files(parser.parse_args().out)


if __name__ == "__main__":
	main()
