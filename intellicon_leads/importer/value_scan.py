"""The whole file's values in each mapped Select, Link and Check column, each valid or with a suggestion.

One streamed pass over the rows counts the distinct values; checking and suggesting then works on
the distinct values only, so a 50 MB file costs a read, not a suggestion per row.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from intellicon_leads.importer.choices import (
	CHOICE_TYPES,
	COUNTRY,
	CREATE,
	EMPTY,
	MATCH,
	NEVER_CREATED,
	NEW_RECORD,
	RANGE,
	RECORD,
	SPELLING,
	TYPO,
	VOCABULARY,
	YES_NO,
	LinkTargets,
	ValueCheck,
	ValueChoice,
	as_value_maps,
)
from intellicon_leads.importer.constants import SET_FOR_EVERY_LEAD
from intellicon_leads.importer.fields import Field, Schema
from intellicon_leads.importer.mapping import Constant
from intellicon_leads.importer.reading import Row
from intellicon_leads.importer.values import cell_text, value_key

SAVED = "Saved choice."
SAVED_RULE = "saved"
MIXED_RULE = "mixed"  # values of one target matched by different rules
# What a group of values one rule sends to one target has in common; other rules show their first reason.
GROUP_REASONS = {
	RANGE: "Numbers in the range {target}.",
	SPELLING: "The option '{target}', written differently.",
	VOCABULARY: "What other CRMs call '{target}'.",
	TYPO: "Spellings close to '{target}'.",
	RECORD: "Other names of '{target}'.",
	COUNTRY: "Names and codes of {target}.",
	YES_NO: "Words for {target}.",
	NEW_RECORD: "Not like any existing record: a new one is created for each.",
	SAVED_RULE: "Saved choices.",
	MIXED_RULE: "Values matched to '{target}' for different reasons: open the line to see each.",
}
# A column with more distinct values than this holds free text, not a list of choices.
MAX_DISTINCT = 5000


@dataclass
class ValueCount:
	value: str
	count: int
	valid: bool
	choice: ValueChoice | None = None
	# The value set for every lead (alone, or also written in the file); `count` is the rows it fills.
	constant: bool = False

	def to_dict(self) -> dict:
		return {
			"value": self.value,
			"count": self.count,
			"valid": self.valid,
			"choice": self.choice.to_dict() if self.choice else None,
			"constant": self.constant,
		}


@dataclass
class ColumnValues:
	"""The values of one mapped column: those needing a match first, most frequent first."""

	index: int
	header: str
	field: Field
	rows: int
	values: list[ValueCount]
	too_many: bool = False
	can_create: bool = False
	# The value set for every lead's field; a column with index -1 holds only it (no column is mapped).
	constant: Constant | None = None

	@property
	def needs_match(self) -> list[ValueCount]:
		return [v for v in self.values if not v.valid]

	def texts(self) -> dict[str, str]:
		"""The column's counts as a UI shows them: "3 values need a match", "40 rows"."""
		needing = self.needs_match
		return {
			"needs_match": needs_match_text(len(needing)),
			"rows_needing_match": count_text(sum(v.count for v in needing), "row"),
			"distinct": count_text(len(self.values), "value"),
			"rows": count_text(self.rows, "row"),
		}

	def to_dict(self) -> dict:
		return {
			"index": self.index,
			"header": self.header,
			"fieldname": self.field.fieldname,
			"label": self.field.label,
			"fieldtype": self.field.fieldtype,
			"link_doctype": self.field.link_doctype,
			"required": self.field.required,
			"options": list(self.field.options),
			"rows": self.rows,
			"distinct": len(self.values),
			"needs_match": len(self.needs_match),
			"rows_needing_match": sum(v.count for v in self.needs_match),
			"texts": self.texts(),
			"groups": [g.to_dict() for g in group_values(self.values)],
			"too_many": self.too_many,
			"can_create": self.can_create,
			"constant": self.constant.to_dict() if self.constant else None,
			"values": [v.to_dict() for v in self.values],
		}


@dataclass
class ValueReview:
	columns: list[ColumnValues] = field(default_factory=list)
	rows: int = 0

	@property
	def needs_match(self) -> int:
		return sum(len(c.needs_match) for c in self.columns)

	def suggested_choices(self) -> dict[str, dict[str, ValueChoice]]:
		"""Every suggestion accepted, by fieldname and value."""
		return {
			c.field.fieldname: {v.value: v.choice for v in c.needs_match if v.choice}
			for c in self.columns
			if c.needs_match
		}

	def suggested_value_maps(self) -> tuple[dict[str, dict[str, str]], dict[str, list[str]]]:
		return as_value_maps(self.suggested_choices())

	def to_dict(self) -> dict:
		return {
			"rows": self.rows,
			"needs_match": self.needs_match,
			"texts": {
				"needs_match": needs_match_text(self.needs_match),
				"rows": count_text(self.rows, "row"),
			},
			"columns": [c.to_dict() for c in self.columns],
		}


@dataclass
class ValueGroup:
	"""Values needing a match that one rule sends to one target ("1-10" <- 10 values, 40 rows).

	A UI shows the group as one line and expands it to its values, each with its own count, choice and
	reason, to change any one of them. Values to create, to leave empty or whose rows fail have no
	common target: each action is one group of its own.
	"""

	action: str
	target: str
	rule: str
	reason: str
	values: list[ValueCount]

	@property
	def rows(self) -> int:
		return sum(v.count for v in self.values)

	def text(self) -> str:
		return f"{count_text(len(self.values), 'value')}, {count_text(self.rows, 'row')}"

	def to_dict(self) -> dict:
		return {
			"action": self.action,
			"target": self.target,
			"rule": self.rule,
			"reason": self.reason,
			"value_count": len(self.values),
			"rows": self.rows,
			"text": self.text(),
			"values": [v.to_dict() for v in self.values],
		}


def group_values(values: Iterable[ValueCount]) -> list[ValueGroup]:
	"""The values needing a match (as review_values lists them), one group per choice and target, the
	groups with the most rows first; valid values need no match and are left out. A group whose values
	were matched by one rule says that rule's reason; values matched by several rules (a range and a
	template's saved choice) share their target's line, and each value keeps its own reason."""
	members: dict[tuple[str, str], list[tuple[str, ValueCount]]] = {}
	for value in values:
		choice = value.choice
		if value.valid or choice is None:
			continue
		rule = SAVED_RULE if choice.reason == SAVED else choice.rule
		target = choice.value if choice.action == MATCH else ""
		members.setdefault((choice.action, target), []).append((rule, value))
	groups = []
	for (action, target), found in members.items():
		rules = {rule for rule, _value in found}
		rule = rules.pop() if len(rules) == 1 else MIXED_RULE
		template = GROUP_REASONS.get(rule)
		shown = target.lower() if rule == YES_NO else target
		reason = template.format(target=shown) if template else found[0][1].choice.reason
		groups.append(ValueGroup(action, target, rule, reason, [value for _rule, value in found]))
	return sorted(groups, key=lambda g: -g.rows)


def count_text(count: int, noun: str, plural: str = "") -> str:
	"""A count with its noun in the right number: "1 row", "40 rows", "1,200 rows"."""
	return f"{count:,} {noun if count == 1 else plural or noun + 's'}"


def needs_match_text(count: int) -> str:
	""" "1 value needs a match", "3 values need a match"."""
	return f"{count_text(count, 'value')} {'needs' if count == 1 else 'need'} a match"


def choice_columns(schema: Schema, fields: Sequence[str | None]) -> list[tuple[int, Field]]:
	"""The mapped columns whose values must be one of a list: Select, Link and Check fields."""
	columns = []
	for index, fieldname in enumerate(fields):
		field_ = schema.get(fieldname) if fieldname else None
		if field_ is not None and field_.fieldtype in CHOICE_TYPES:
			if field_.fieldtype != "Select" or any(o.strip() for o in field_.options):
				columns.append((index, field_))
	return columns


def count_values(rows: Iterable[Row], indexes: Sequence[int]) -> dict[int, tuple[Counter, dict[str, str]]]:
	"""Per column index: how many rows hold each value (by value key), and the value as first written."""
	counts: dict[int, tuple[Counter, dict[str, str]]] = {i: (Counter(), {}) for i in indexes}
	columns = [(i, *counts[i]) for i in indexes]
	for row in rows:
		values = row.values
		for index, counter, shown in columns:
			raw = values[index] if index < len(values) else None
			if raw is None or raw == "":
				continue
			key = value_key(raw)
			if not key:
				continue
			if key not in shown:
				if len(shown) >= MAX_DISTINCT:
					counter[None] += 1
					continue
				shown[key] = " ".join(cell_text(raw).split())
			counter[key] += 1
	return counts


def review_values(
	rows: Iterable[Row],
	schema: Schema,
	fields: Sequence[str | None],
	headers: Sequence[str],
	targets_for: Callable[[str], LinkTargets | None] = lambda doctype: None,
	*,
	choices: Mapping[str, Mapping[str, ValueChoice]] | None = None,
	constants: Mapping[str, Constant] | None = None,
) -> ValueReview:
	"""Read every row once and judge each distinct value of each choice column.

	`choices` are choices already made (from a template): they replace the suggestion for their value.
	`constants` (values for every lead) are judged as the file's values are, among the values of their
	field's column: a constant that wins replaces the column's values (they are not imported), one the
	file wins over counts the rows whose cell is empty. A field no column is mapped to gets a column of
	its own, index -1, holding only its constant.
	"""
	columns = choice_columns(schema, fields)
	review = ValueReview()
	counted = count_values(_counting(rows, review), [i for i, _ in columns])
	made = {f: {value_key(v): c for v, c in by_value.items()} for f, by_value in (choices or {}).items()}
	for index, field_ in columns:
		counter, shown = counted[index]
		targets = targets_for(field_.link_doctype) if field_.fieldtype == "Link" else None
		check = ValueCheck.for_field(field_, targets)
		values = [
			_judge(shown[key], count, check, made.get(field_.fieldname, {}).get(key))
			for key, count in counter.most_common()
			if key is not None
		]
		values.sort(key=lambda v: v.valid)
		rows_with_value = sum(counter.values())
		can_create = bool(targets and targets.can_create and field_.link_doctype not in NEVER_CREATED)
		review.columns.append(
			ColumnValues(
				index, str(headers[index] or ""), field_, rows_with_value, values, None in counter, can_create
			)
		)
	for field_, constant in _choice_constants(schema, constants):
		_add_constant(review, field_, constant, targets_for, made.get(field_.fieldname, {}))
	return review


def _choice_constants(
	schema: Schema, constants: Mapping[str, Constant] | None
) -> list[tuple[Field, Constant]]:
	"""Constants for Select, Link and Check fields, under the schema's names; check_constants refuses
	the constants of other fields that cannot be used."""
	picked = []
	for name, constant in (constants or {}).items():
		fieldname = schema.resolve(name)
		if fieldname and constant.value.strip():
			picked += [(field_, constant) for _, field_ in choice_columns(schema, [fieldname])]
	return picked


def _add_constant(
	review: ValueReview,
	field_: Field,
	constant: Constant,
	targets_for: Callable[[str], LinkTargets | None],
	made: Mapping[str, ValueChoice],
) -> None:
	"""The constant among its field's values, counted as the rows it fills."""
	column = next((c for c in review.columns if c.field.fieldname == field_.fieldname), None)
	if column is None:
		column = ColumnValues(-1, SET_FOR_EVERY_LEAD, field_, review.rows, [])
		review.columns.append(column)
		rows = review.rows
	elif constant.file_wins:
		rows = review.rows - column.rows
	else:
		column.values, column.rows, column.too_many, rows = [], review.rows, False, review.rows
	targets = targets_for(field_.link_doctype) if field_.fieldtype == "Link" else None
	column.can_create = bool(targets and targets.can_create and field_.link_doctype not in NEVER_CREATED)
	key = value_key(constant.value)
	same = next((v for v in column.values if value_key(v.value) == key), None)
	if same is None:
		same = _judge(constant.value, 0, ValueCheck.for_field(field_, targets), made.get(key))
	else:
		column.values.remove(same)
	same.count += rows
	same.constant = True
	column.values.insert(0, same)
	column.values.sort(key=lambda v: v.valid)
	column.constant = constant


def _judge(value: str, count: int, check: ValueCheck, made: ValueChoice | None) -> ValueCount:
	if check.is_valid(value):
		return ValueCount(value, count, True)
	return ValueCount(value, count, False, made or check.suggest(value))


def _counting(rows: Iterable[Row], review: ValueReview) -> Iterable[Row]:
	for row in rows:
		review.rows += 1
		yield row


def choices_from_value_maps(
	value_maps: Mapping[str, Mapping[str, str]] | None, new_links: Mapping[str, Iterable[str]] | None
) -> dict[str, dict[str, ValueChoice]]:
	"""Saved value maps and records to create, read back as choices (the inverse of as_value_maps)."""
	created = {f: {value_key(n) for n in names} for f, names in (new_links or {}).items()}
	choices: dict[str, dict[str, ValueChoice]] = {}
	for fieldname, pairs in (value_maps or {}).items():
		for value, target in pairs.items():
			if not target:
				action = EMPTY
			elif value_key(target) in created.get(fieldname, ()):
				action = CREATE
			else:
				action = MATCH
			choices.setdefault(fieldname, {})[value] = ValueChoice(action, target, SAVED)
	return choices


def saved_choices(template) -> dict[str, dict[str, ValueChoice]] | None:
	"""A template's value choices, as review_values takes them; None without a template."""
	return choices_from_value_maps(template.value_maps, template.new_links) if template else None
