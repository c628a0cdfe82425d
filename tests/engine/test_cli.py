"""The command line, run as a user would run it: a real process on real files."""

from __future__ import annotations

import json
import subprocess
import sys

from lead_files import write_csv, write_xlsx

GOOD = [["Ann", "Lee", "ann@example.com", "+1 415 555 0100", "Acme", "Open"]]


def cli(*args: str) -> subprocess.CompletedProcess:
	return subprocess.run(
		[sys.executable, "-m", "intellicon_leads.importer", *args],
		capture_output=True,
		text=True,
		timeout=120,
	)


def test_preview_lists_columns_with_suggested_fields_and_methods(tmp_path):
	path = write_xlsx(tmp_path / "hubspot.xlsx", GOOD)
	out = cli("preview", str(path))
	assert out.returncode == 0, out.stderr
	assert "Email Address" in out.stdout and "email_id" in out.stdout and "alias" in out.stdout
	assert "Required fields not mapped: none" in out.stdout
	assert "ann@example.com" in out.stdout


def test_preview_json_has_mapping_and_rows(tmp_path):
	out = cli("preview", "--json", str(write_csv(tmp_path / "l.csv", GOOD)))
	data = json.loads(out.stdout)
	assert data["format"] == "csv"
	assert [c["fieldname"] for c in data["mapping"]["columns"]][:3] == ["first_name", "last_name", "email_id"]
	assert data["rows"][0]["row"] == 2


def test_check_json_reports_counts_and_failed_rows(tmp_path):
	rows = [*GOOD, ["Eve", "X", "eve(at)example", "", "", ""], ["Ann", "Lee", "ann@example.com", "", "", ""]]
	out = cli("check", "--json", str(write_csv(tmp_path / "l.csv", rows)))
	assert out.returncode == 0, out.stderr
	data = json.loads(out.stdout)
	assert {k: data[k] for k in ("total", "imported", "updated", "skipped", "failed")} == {
		"total": 3,
		"imported": 1,
		"updated": 0,
		"skipped": 0,
		"failed": 2,
	}
	assert [r["row"] for r in data["failed_rows"]] == [3, 4]
	assert data["in_file_duplicates"] == 1
	assert "duplicate of row 2" in data["failed_rows"][1]["message"]


def test_check_writes_the_failed_records_file(tmp_path):
	rows = [*GOOD, ["Eve", "X", "eve(at)example", "", "", ""]]
	failed = tmp_path / "failed.csv"
	out = cli("check", str(write_csv(tmp_path / "l.csv", rows)), "--failed-out", str(failed))
	assert out.returncode == 0, out.stderr
	assert "would import" in out.stdout and "Row 3, column 'Email Address'" in out.stdout
	assert failed.read_text(encoding="utf-8-sig").splitlines()[1].startswith("3,")


def test_check_with_explicit_mapping_skips_unmapped_columns(tmp_path):
	mapping = json.dumps({"First Name": "first_name", "Company": "company_name"})
	out = cli("check", "--json", "--mapping", mapping, str(write_csv(tmp_path / "l.csv", GOOD)))
	data = json.loads(out.stdout)
	assert data["mapping"] == {"First Name": "first_name", "Company": "company_name"}
	assert data["imported"] == 1


def test_unmapped_required_field_is_refused_with_one_line(tmp_path):
	mapping = json.dumps({"Company": "company_name"})
	out = cli("check", "--mapping", mapping, str(write_csv(tmp_path / "l.csv", GOOD)))
	assert out.returncode == 2
	assert "First Name" in out.stderr and "Traceback" not in out.stderr
	assert len(out.stderr.strip().splitlines()) == 1


def test_unusable_files_exit_non_zero_with_one_line_and_no_traceback(tmp_path):
	junk = tmp_path / "junk.csv"
	junk.write_bytes(bytes(range(256)) * 40)
	missing = tmp_path / "nope.csv"
	bad_json = write_csv(tmp_path / "l.csv", GOOD)
	for args in (
		("check", str(junk)),
		("preview", str(missing)),
		("check", "--mapping", "{oops", str(bad_json)),
	):
		out = cli(*args)
		assert out.returncode == 2, args
		assert "Traceback" not in out.stderr and len(out.stderr.strip().splitlines()) == 1, out.stderr
		assert out.stderr.startswith("error: ")


def test_too_large_file_is_refused_with_the_split_advice(tmp_path):
	path = write_csv(tmp_path / "l.csv", GOOD * 5000)
	out = cli("check", "--max-size-mb", "0.1", str(path))
	assert out.returncode == 2
	assert "Split it into smaller batches" in out.stderr


def test_an_encoding_given_on_the_command_line_reads_the_letters_right(tmp_path):
	path = tmp_path / "greek.csv"
	path.write_bytes("First Name,Last Name,Email\nΝίκος,Παπαδόπουλος,n@example.com\n".encode("cp1253"))
	guessed = cli("preview", str(path))
	assert "detection unsure" in guessed.stdout.splitlines()[0]
	chosen = json.loads(cli("preview", "--json", "--encoding", "windows-1253", str(path)).stdout)
	assert chosen["rows"][0]["values"][:2] == ["Νίκος", "Παπαδόπουλος"]
