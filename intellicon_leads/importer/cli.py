"""`python -m intellicon_leads.importer preview|check FILE`: look at and dry-run a lead file without a site."""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from typing import Any

from intellicon_leads.importer.choices import LinkRecord, LinkTargets
from intellicon_leads.importer.constants import check_constants
from intellicon_leads.importer.dedup import ACTIONS, IN_FILE_ACTIONS, DuplicateRule
from intellicon_leads.importer.failed import FailedRecordsWriter, failed_file_format
from intellicon_leads.importer.fields import DEFAULT_LEAD_SCHEMA
from intellicon_leads.importer.mapping import (
	Constant,
	MappingError,
	Template,
	constants_to_dict,
	resolve_mapping,
	suggest_mapping,
)
from intellicon_leads.importer.pipeline import FAILED, ImportPipeline, ImportResult
from intellicon_leads.importer.preview import FilePreview, display_value, preview_file
from intellicon_leads.importer.reading import FileRejected, open_table
from intellicon_leads.importer.store import MemoryStore
from intellicon_leads.importer.value_scan import (
	ValueReview,
	count_text,
	group_values,
	review_values,
	saved_choices,
)
from intellicon_leads.importer.vocabulary import country_names_in_english

MB = 1024 * 1024
DUPLICATE_CHOICES = {"skip": ACTIONS[0], "update": ACTIONS[1], "fill": ACTIONS[2]}
IN_FILE_CHOICES = {"fail": IN_FILE_ACTIONS[0], "merge": IN_FILE_ACTIONS[1]}
CONSTANTS_HELP = """values for every lead:
  --set FIELD=VALUE      every lead gets VALUE; a column mapped to FIELD is not read
  --default FIELD=VALUE  the file wins: VALUE fills only rows whose FIELD cell is empty,
                         or every row when no column is mapped to FIELD
  Both are repeatable and override a template's values for the same field. FIELD is a
  fieldname (see preview). VALUE is checked as a cell of FIELD would be, and goes through
  the same value choices (--accept-suggestions, a template's value maps)."""


class UsageProblem(Exception):
	"""Bad input from the command line: one sentence, exit status 2."""


def build_parser() -> argparse.ArgumentParser:
	parser = argparse.ArgumentParser(prog="python -m intellicon_leads.importer", description=__doc__)
	commands = parser.add_subparsers(dest="command", required=True)
	preview = commands.add_parser("preview", help="columns, suggested mapping and first rows of a file")
	check = commands.add_parser("check", help="a whole-file dry run against the default Lead fields")
	for sub in (preview, check):
		sub.epilog = CONSTANTS_HELP
		sub.formatter_class = argparse.RawDescriptionHelpFormatter
		sub.add_argument("file")
		sub.add_argument("--sheet", help="the sheet to read (default: the first that has data)")
		sub.add_argument(
			"--encoding", help="the encoding of a text file, e.g. windows-1253 (default: detected)"
		)
		sub.add_argument("--max-size-mb", type=float, default=50, help="refuse larger files (default 50)")
		sub.add_argument("--template", help="a template JSON file to apply")
		sub.add_argument("--json", action="store_true", help="print one JSON object")
		sub.add_argument(
			"--set",
			dest="constants",
			action="append",
			type=_constant_arg(file_wins=False),
			default=[],
			metavar="FIELD=VALUE",
			help="set FIELD to VALUE for every lead; it wins over the file (repeatable)",
		)
		sub.add_argument(
			"--default",
			dest="constants",
			action="append",
			type=_constant_arg(file_wins=True),
			metavar="FIELD=VALUE",
			help="set FIELD to VALUE for every lead whose file cell is empty; the file wins (repeatable)",
		)
	preview.add_argument("--rows", type=int, default=10, help="rows to show (default 10)")
	check.add_argument(
		"--accept-suggestions",
		action="store_true",
		help="apply the suggested value choices (Select, Link and Check values that need a match)",
	)
	check.add_argument(
		"--mapping", help='JSON {"File header": "fieldname"} or @file.json; default: suggested'
	)
	check.add_argument("--failed-out", help="write the failed rows to this CSV/XLSX file")
	check.add_argument("--match", default="email_id", help="duplicate match fields, comma-separated")
	check.add_argument("--duplicates", choices=DUPLICATE_CHOICES, default="skip")
	check.add_argument("--in-file", choices=IN_FILE_CHOICES, default="fail")
	check.add_argument("--date-order", choices=("dmy", "mdy"), help="for dates the file does not settle")
	return parser


def _constant_arg(file_wins: bool):
	def parse(text: str) -> tuple[str, Constant]:
		fieldname, equals, value = text.partition("=")
		if not equals or not fieldname.strip():
			raise argparse.ArgumentTypeError(f"{text!r} is not FIELD=VALUE, e.g. source=Trade Show")
		return fieldname.strip(), Constant(value.strip(), file_wins)

	return parse


def chosen_constants(args: argparse.Namespace, template: Template | None) -> dict[str, Constant]:
	"""The template's values for every lead, then --set and --default, the last one of a field winning."""
	return {**(template.constants if template else {}), **dict(args.constants)}


def main(argv: Sequence[str] | None = None) -> int:
	args = build_parser().parse_args(argv)
	try:
		if args.command == "preview":
			return run_preview(args)
		return run_check(args)
	except (FileRejected, MappingError, UsageProblem) as exc:
		print(f"error: {exc}", file=sys.stderr)
		return 2
	except OSError as exc:
		print(f"error: cannot read {args.file}: {exc.strerror or exc}", file=sys.stderr)
		return 2
	except Exception as exc:  # the promise is one line, never a traceback
		print(f"error: unexpected problem with {args.file}: {type(exc).__name__}: {exc}", file=sys.stderr)
		return 3


def run_preview(args: argparse.Namespace) -> int:
	template = load_template(args.template)
	preview = preview_file(
		args.file,
		DEFAULT_LEAD_SCHEMA,
		sheet=args.sheet,
		max_size=int(args.max_size_mb * MB),
		limit=args.rows,
		template=template,
		encoding=args.encoding,
	)
	review = review_file(args, preview.suggestion.fields(), template)
	if args.json:
		print(json.dumps({**preview.to_dict(), "values": review.to_dict()}, ensure_ascii=False, indent=1))
	else:
		print_preview(preview)
		print_values(review)
	return 0


def review_file(args: argparse.Namespace, fields: list[str | None], template: Template | None) -> ValueReview:
	"""The whole file's Select, Link and Check values, with choices from the template or suggested."""
	with open_table(
		args.file, sheet=args.sheet, max_size=int(args.max_size_mb * MB), encoding=args.encoding
	) as table:
		return review_values(
			table.rows(),
			DEFAULT_LEAD_SCHEMA,
			fields,
			table.header,
			offline_targets,
			choices=saved_choices(template),
			constants=chosen_constants(args, template),
		)


def run_check(args: argparse.Namespace) -> int:
	schema = DEFAULT_LEAD_SCHEMA
	rule = DuplicateRule(
		match_fields=tuple(f.strip() for f in args.match.split(",") if f.strip()),
		action=DUPLICATE_CHOICES[args.duplicates],
		in_file=IN_FILE_CHOICES[args.in_file],
	)
	unknown = [f for f in rule.match_fields if f not in schema]
	if unknown:
		raise UsageProblem(f"--match names fields a Lead does not have: {', '.join(unknown)}.")
	template = load_template(args.template)
	constants = chosen_constants(args, template)
	with open_table(
		args.file, sheet=args.sheet, max_size=int(args.max_size_mb * MB), encoding=args.encoding
	) as table:
		fields = choose_fields(table.header, args.mapping, template, constants)
	value_maps, new_links = chosen_values(args, fields, template)
	check_constants(
		schema, constants, value_maps=value_maps, new_links=new_links, targets_for=offline_targets
	)
	with open_table(
		args.file, sheet=args.sheet, max_size=int(args.max_size_mb * MB), encoding=args.encoding
	) as table:
		writer = None
		if args.failed_out:
			writer = FailedRecordsWriter(args.failed_out, table.header, failed_file_format(table.format))
		pipeline = ImportPipeline(
			schema,
			fields,
			MemoryStore(schema, links=offline_links()),
			headers=table.header,
			rule=rule,
			value_maps=value_maps,
			new_links=new_links,
			constants=constants,
			dry_run=True,
			failed_sink=writer,
			date_order=args.date_order,
		)
		try:
			result = pipeline.run(table)
		finally:
			if writer:
				writer.close()
	report = check_report(args.file, table, fields, result, args.failed_out, constants)
	if args.json:
		print(json.dumps(report, ensure_ascii=False, indent=1))
	else:
		print_check(report, result)
	return 1 if result.aborted else 0


def chosen_values(
	args: argparse.Namespace, fields: list[str | None], template: Template | None
) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
	"""The template's value choices, plus every suggestion when --accept-suggestions asks for them."""
	value_maps = {f: dict(m) for f, m in (template.value_maps if template else {}).items()}
	new_links = {f: list(n) for f, n in (template.new_links if template else {}).items()}
	if args.accept_suggestions:
		suggested_maps, suggested_links = review_file(args, fields, template).suggested_value_maps()
		for fieldname, pairs in suggested_maps.items():
			value_maps[fieldname] = {**pairs, **value_maps.get(fieldname, {})}
		for fieldname, names in suggested_links.items():
			new_links[fieldname] = list(dict.fromkeys([*new_links.get(fieldname, []), *names]))
	return value_maps, new_links


def offline_targets(doctype: str) -> LinkTargets | None:
	"""Without a site, only countries are known (from Babel); other links are taken as they are."""
	if doctype != "Country":
		return None
	names = country_names_in_english()
	return LinkTargets("Country", [LinkRecord(name, labels=(code,)) for code, name in names.items()])


def offline_links() -> dict[str, list[str]]:
	return {"Country": list(country_names_in_english().values())} if country_names_in_english() else {}


def choose_fields(
	header: list[str],
	mapping_arg: str | None,
	template: Template | None,
	constants: dict[str, Constant] | None = None,
) -> list[str | None]:
	"""The --mapping given (checked), else the suggested mapping, which must cover required fields
	(a field set for every lead is covered)."""
	schema = DEFAULT_LEAD_SCHEMA
	if mapping_arg:
		return resolve_mapping(header, schema, load_json_arg(mapping_arg, "--mapping"), constants)
	suggestion = suggest_mapping(header, schema, template=template)
	return resolve_mapping(header, schema, suggestion.fields(), constants)


def load_template(path: str | None) -> Template | None:
	if not path:
		return None
	return Template.from_dict(load_json_arg("@" + path, "--template"))


def load_json_arg(value: str, option: str) -> Any:
	try:
		if value.startswith("@"):
			with open(value[1:], encoding="utf-8") as f:
				return json.load(f)
		return json.loads(value)
	except OSError as exc:
		raise UsageProblem(f"{option}: cannot read {value[1:]}: {exc.strerror or exc}.")
	except json.JSONDecodeError as exc:
		raise UsageProblem(f"{option} is not valid JSON ({exc.msg} at position {exc.pos}).")


def check_report(
	path: str,
	table: Any,
	fields: list[str | None],
	result: ImportResult,
	failed_out: str | None,
	constants: dict[str, Constant] | None = None,
) -> dict:
	report = {
		"file": os.path.basename(path),
		"format": table.format,
		"mapping": {h: f for h, f in zip(table.header, fields, strict=False) if f},
		"constants": constants_to_dict(constants),
		**result.to_dict(),
	}
	if failed_out:
		report["failed_file"] = failed_out
	return report


def print_preview(preview: FilePreview) -> None:
	where = f", sheet '{preview.sheet}'" if preview.sheet else ""
	if preview.delimiter:
		unsure = (
			"" if preview.encoding_confident else " (detection unsure: check the letters, or pass --encoding)"
		)
		where += f", {preview.encoding}{unsure}, delimiter {preview.delimiter!r}"
	print(f"{preview.filename}: {preview.format.upper()}{where}, {preview.size / MB:.1f} MB")
	print(f"Header on row {preview.header_row}, {len(preview.header)} columns\n")
	print(f"  {'Column':<28} {'Lead field':<22} {'How':<9} Confidence")
	for col in preview.suggestion.columns:
		field = col.fieldname or "(skipped)"
		how = col.method or ""
		confidence = f"{col.confidence:.0%}" if col.fieldname else ""
		print(f"  {_clip(col.header or '(no header)', 28):<28} {field:<22} {how:<9} {confidence}")
	missing = preview.suggestion.missing_required
	print(f"\nRequired fields not mapped: {', '.join(missing) if missing else 'none'}")
	for warning in preview.warnings:
		print(f"Warning: {warning}")
	print(f"\nFirst {len(preview.rows)} rows:")
	for number, values in preview.rows:
		cells = " | ".join(_clip(str(display_value(v) if v is not None else ""), 18) for v in values)
		print(f"  {number:>5}: {cells}")


def print_values(review: ValueReview) -> None:
	"""Per column, the values needing a match grouped by where they go: one line per target, however
	many distinct values the column holds."""
	print(f"\nValues in the whole file ({count_text(review.rows, 'row')}):")
	if not review.columns:
		print("  No mapped column holds dropdown, link or yes/no values.")
	for column in review.columns:
		texts = column.texts()
		state = (
			f"{texts['needs_match']}, in {texts['rows_needing_match']}" if column.needs_match else "all valid"
		)
		print(f"  {column.header} -> {column.field.label}: {texts['distinct']}, {state}")
		groups = group_values(column.values)
		for group in groups[:20]:
			target = f"'{group.target}'" if group.target else group.action
			shown = ", ".join(f"'{_clip(v.value, 20)}'" for v in group.values[:3])
			more = ", …" if len(group.values) > 3 else ""
			print(f"    {target} <- {group.text()} ({shown}{more}): {group.reason}")
		if len(groups) > 20:
			print(f"    ... and {len(groups) - 20:,} more groups")


def print_check(report: dict, result: ImportResult) -> None:
	print(
		f"Checked {report['file']} ({report['format'].upper()}): {result.total:,} rows in {result.seconds:.2f} s"
	)
	for label, key in (
		("import", "imported"),
		("update", "updated"),
		("skip", "skipped"),
		("fail", "failed"),
	):
		print(f"  would {label:<7} {report[key]:>9,}")
	if report["in_file_duplicates"]:
		print(f"  of which duplicates inside the file: {report['in_file_duplicates']:,}")
	if report["error_summary"]:
		kinds = ", ".join(f"{label} {n:,}" for label, n in report["error_summary"].items())
		print(f"Problems by kind: {kinds}")
	failed = [o for o in result.outcomes if o.status == FAILED]
	for outcome in failed[:20]:
		print(f"  {outcome.message}")
	if len(failed) > 20:
		print(f"  ... and {len(failed) - 20:,} more failed rows")
	if report.get("failed_file"):
		print(f"Failed records written to {report['failed_file']} ({result.failed:,} rows).")
	if result.aborted:
		print(f"Stopped early: {result.aborted}")
	for doctype, names in result.created_links.items():
		print(f"Would create {doctype}: {', '.join(names)}")


def _clip(text: str, width: int) -> str:
	return text if len(text) <= width else text[: width - 1] + "…"
