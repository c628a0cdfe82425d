"""Which Lead field each file column fills: suggestions from headers, the user's checked choice, and templates."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from difflib import SequenceMatcher
from functools import lru_cache
from typing import Any

from intellicon_leads.importer.aliases import HEADER_ALIASES
from intellicon_leads.importer.fields import Field, Schema, counterparts
from intellicon_leads.importer.values import cell_text

# Columns our failed-records files add in front of the original ones.
FAILED_FILE_COLUMNS = ("Row", "Error")

TEMPLATE, EXACT, ALIAS, LEARNED, FUZZY, MANUAL = "template", "exact", "alias", "learned", "fuzzy", "manual"
# When two columns claim one field, the lower rank wins.
METHOD_RANK = {TEMPLATE: 0, EXACT: 1, ALIAS: 2, LEARNED: 3, FUZZY: 4, MANUAL: 5}
LEARNED_CONFIDENCE = 0.95
# A guess is never shown as certain, even when every word matches in another order.
FUZZY_CEILING = 0.99
# Shorter headers ("Id", "No") match almost anything by character similarity.
FUZZY_MIN_LENGTH = 3

CUSTOM_PREFIX = "custom_"
_NOT_ALPHANUMERIC = re.compile(r"[\W_]+")
_CAMEL_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def normalize_header(text: str) -> str:
	"""Case-fold, strip accents and drop everything but letters and digits: "E-mail Id" -> "emailid"."""
	decomposed = unicodedata.normalize("NFKD", "" if text is None else str(text))
	bare = "".join(c for c in decomposed if not unicodedata.combining(c))
	return _NOT_ALPHANUMERIC.sub("", bare.casefold())


_FAILED_FILE_KEYS = frozenset(normalize_header(h) for h in FAILED_FILE_COLUMNS)


@dataclass
class ColumnMapping:
	"""The field suggested for one file column, how it was found, and how sure we are."""

	index: int
	header: str
	fieldname: str | None
	method: str | None
	confidence: float
	note: str = ""

	def to_dict(self) -> dict:
		return asdict(self)

	@classmethod
	def from_dict(cls, data: dict) -> ColumnMapping:
		return cls(
			index=int(data["index"]),
			header=data.get("header") or "",
			fieldname=data.get("fieldname") or None,
			method=data.get("method") or None,
			confidence=float(data.get("confidence") or 0.0),
			note=data.get("note") or "",
		)


@dataclass
class MappingSuggestion:
	"""A suggested field per column, plus the required fields nothing maps to yet."""

	columns: list[ColumnMapping]
	missing_required: list[str]

	def fields(self) -> list[str | None]:
		return [c.fieldname for c in self.columns]

	def to_dict(self) -> dict:
		return {
			"columns": [c.to_dict() for c in self.columns],
			"missing_required": list(self.missing_required),
		}

	@classmethod
	def from_dict(cls, data: dict) -> MappingSuggestion:
		return cls(
			columns=[ColumnMapping.from_dict(c) for c in data.get("columns") or ()],
			missing_required=list(data.get("missing_required") or ()),
		)


@dataclass(frozen=True)
class Constant:
	"""A value set for every imported lead. With `file_wins`, a row's own value for the field beats it:
	the constant only fills rows whose cell is empty, or every row when no column is mapped to the field.
	Without, the constant is every lead's value and the mapped column, if any, is not read."""

	value: str
	file_wins: bool = False

	def to_dict(self) -> dict:
		return {"value": self.value, "file_wins": self.file_wins}

	@classmethod
	def from_dict(cls, data: Any) -> Constant:
		"""From {"value": ..., "file_wins": ...}, or from a bare value (the constant wins)."""
		if isinstance(data, Mapping):
			return cls(_constant_text(data.get("value")), bool(data.get("file_wins")))
		return cls(_constant_text(data))


def _constant_text(value: Any) -> str:
	# JSON may carry 5 or true where the user typed "5" or "Yes"; constants are read as typed text.
	return "" if value is None else " ".join(cell_text(value).split())


def constants_from_dict(data: Mapping | None) -> dict[str, Constant]:
	"""Constants by fieldname, from JSON as templates, jobs and the wizard send them."""
	return {str(fieldname): Constant.from_dict(value) for fieldname, value in (data or {}).items()}


def constants_to_dict(constants: Mapping[str, Constant] | None) -> dict[str, dict]:
	return {fieldname: constant.to_dict() for fieldname, constant in (constants or {}).items()}


@dataclass
class Template:
	"""A saved mapping for files with a known layout, found again by its header fingerprint."""

	name: str
	columns: dict[str, str | None]
	value_maps: dict[str, dict[str, str]] = field(default_factory=dict)
	fingerprint: str = ""
	# Link records to create, by fieldname: value choices that name a record the site does not have yet.
	new_links: dict[str, list[str]] = field(default_factory=dict)
	# Values set for every lead, by fieldname.
	constants: dict[str, Constant] = field(default_factory=dict)

	def to_dict(self) -> dict:
		return {
			"name": self.name,
			"columns": dict(self.columns),
			"value_maps": {fieldname: dict(values) for fieldname, values in self.value_maps.items()},
			"new_links": {fieldname: list(names) for fieldname, names in self.new_links.items()},
			"constants": constants_to_dict(self.constants),
			"fingerprint": self.fingerprint,
		}

	@classmethod
	def from_dict(cls, data: dict) -> Template:
		columns = {
			str(header): (fieldname or None) for header, fieldname in (data.get("columns") or {}).items()
		}
		value_maps = {
			str(fieldname): {str(k): str(v) for k, v in values.items()}
			for fieldname, values in (data.get("value_maps") or {}).items()
		}
		new_links = {str(f): [str(n) for n in names] for f, names in (data.get("new_links") or {}).items()}
		return cls(
			name=data.get("name") or "",
			columns=columns,
			value_maps=value_maps,
			fingerprint=data.get("fingerprint") or header_fingerprint(columns),
			new_links=new_links,
			constants=constants_from_dict(data.get("constants")),
		)


class MappingError(ValueError):
	"""The chosen mapping cannot be imported; `messages` are sentences to show the user."""

	def __init__(self, messages: Sequence[str] | str) -> None:
		self.messages = [messages] if isinstance(messages, str) else list(messages)
		super().__init__(" ".join(self.messages))


# Suggesting


def suggest_mapping(
	headers: Sequence[str],
	schema: Schema,
	*,
	template: Template | None = None,
	learned: Mapping[str, str] | None = None,
	fuzzy_threshold: float = 0.78,
) -> MappingSuggestion:
	"""Guess a field for each column; two columns never silently share one field."""
	matcher = _ColumnMatcher(schema, template, learned, fuzzy_threshold)
	columns = [matcher.match(index, header) for index, header in enumerate(headers)]
	_settle_conflicts(columns, schema)
	mapped = {c.fieldname for c in columns if c.fieldname} | _constant_fields(
		schema, template and template.constants
	)
	return MappingSuggestion(
		columns, [f.fieldname for f in _required_fields(schema) if f.fieldname not in mapped]
	)


@dataclass(frozen=True)
class _SchemaIndex:
	"""Lookups from a normalized header to a fieldname, built once per schema."""

	exact: dict[str, str]
	alias: dict[str, str]
	# fieldname -> (normalized text, its words) for every name the field goes by.
	names: dict[str, tuple[tuple[str, frozenset[str]], ...]]


class _ColumnMatcher:
	"""Tries template, exact, alias, learned and fuzzy matching on one column at a time."""

	def __init__(
		self,
		schema: Schema,
		template: Template | None,
		learned: Mapping[str, str] | None,
		fuzzy_threshold: float,
	) -> None:
		self.schema = schema
		self.index = _index_schema(schema)
		self.template = template
		self.template_fields = _template_lookup(template)
		self.learned = {
			normalize_header(header): schema.resolve(fieldname)
			for header, fieldname in (learned or {}).items()
			if fieldname and schema.resolve(fieldname)
		}
		self.fuzzy_threshold = fuzzy_threshold

	def match(self, index: int, header: str) -> ColumnMapping:
		header = "" if header is None else str(header)
		key = normalize_header(header)
		if not key:
			return _skipped(index, header, "Column has no header; skipped.")
		if key in _FAILED_FILE_KEYS:
			return _skipped(index, header, "Column from a failed-records file; skipped.")
		note = ""
		if key in self.template_fields:
			fieldname = self.template_fields[key]
			if fieldname is None:
				return _skipped(index, header, f"Skipped by template '{self.template.name}'.")
			if self.schema.resolve(fieldname):  # a template made on another Lead names its fields so
				return ColumnMapping(index, header, self.schema.resolve(fieldname), TEMPLATE, 1.0)
			note = (
				f"Template '{self.template.name}' maps this column to '{fieldname}', "
				f"which is not a {self.schema.doctype} field."
			)
		for method, lookup, confidence in (
			(EXACT, self.index.exact, 1.0),
			(ALIAS, self.index.alias, 1.0),
			(LEARNED, self.learned, LEARNED_CONFIDENCE),
		):
			if key in lookup:
				return ColumnMapping(index, header, lookup[key], method, confidence)
		guess = self._fuzzy(header, key)
		if guess:
			return ColumnMapping(index, header, guess[0], FUZZY, guess[1])
		return _skipped(index, header, note)

	def _fuzzy(self, header: str, key: str) -> tuple[str, float] | None:
		if len(key) < FUZZY_MIN_LENGTH:
			return None
		words = _words(header)
		# SequenceMatcher caches its second sequence, so the header goes there once.
		matcher = SequenceMatcher(None, "", key, autojunk=False)
		best_field, best_score = None, 0.0
		for fieldname, names in self.index.names.items():
			for name, name_words in names:
				score = _similarity(matcher, words, name, name_words, max(best_score, self.fuzzy_threshold))
				if score > best_score:
					best_field, best_score = fieldname, score
		if best_field is None or best_score < self.fuzzy_threshold:
			return None
		return best_field, round(min(best_score, FUZZY_CEILING), 3)


def _skipped(index: int, header: str, note: str = "") -> ColumnMapping:
	return ColumnMapping(index, header, None, None, 0.0, note)


def _template_lookup(template: Template | None) -> dict[str, str | None]:
	"""The template's columns by normalized header; a real field beats an explicit skip for the same key."""
	lookup: dict[str, str | None] = {}
	for header, fieldname in (template.columns if template else {}).items():
		key = normalize_header(header)
		if key and lookup.get(key) is None:
			lookup[key] = fieldname or None
	return lookup


def _settle_conflicts(columns: list[ColumnMapping], schema: Schema) -> None:
	"""Keep the strongest claim on each field and skip the others, saying which column won."""
	claims: dict[str, list[ColumnMapping]] = defaultdict(list)
	for column in columns:
		if column.fieldname:
			claims[column.fieldname].append(column)
	for fieldname, contenders in claims.items():
		winner = min(contenders, key=_claim_strength)
		label = schema[fieldname].label
		for loser in contenders:
			if loser is not winner:
				note = f"Also looked like {label}, which is mapped from column '{winner.header}'; skipped."
				columns[loser.index] = _skipped(loser.index, loser.header, note)


def _claim_strength(column: ColumnMapping) -> tuple[int, float, int]:
	return METHOD_RANK[column.method], -column.confidence, column.index


def _index_schema(schema: Schema) -> _SchemaIndex:
	try:
		hash(schema)
	except TypeError:
		# A schema built with lists inside cannot be cached, only indexed.
		return _build_index(schema)
	return _cached_index(schema)


@lru_cache(maxsize=32)
def _cached_index(schema: Schema) -> _SchemaIndex:
	return _build_index(schema)


def _build_index(schema: Schema) -> _SchemaIndex:
	exact: dict[str, str] = {}
	# Fieldnames first, so a fieldname beats another field's label of the same spelling.
	for key_of in (lambda f: f.fieldname, lambda f: f.label, _bare_fieldname):
		for df in schema.fields:
			exact.setdefault(normalize_header(key_of(df)), df.fieldname)
	exact.pop("", None)
	aliases = {df.fieldname: _aliases_for(df, schema) for df in schema.fields}
	alias: dict[str, str] = {}
	for fieldname, texts in aliases.items():
		for text in texts:
			alias.setdefault(normalize_header(text), fieldname)
	for key, fieldname in alias.items():
		# ERPNext's Lead links "company" to the user's own Company: an export's "Company" column is
		# the lead's organisation, so what exports mean beats a Link field that happens to share the name.
		if key in exact and exact[key] != fieldname and schema[exact[key]].fieldtype == "Link":
			del exact[key]
	names = {
		df.fieldname: tuple(
			{
				normalize_header(t): _words(t)
				for t in (df.label, df.fieldname, _bare_fieldname(df), *aliases[df.fieldname])
			}.items()
		)
		for df in schema.fields
	}
	return _SchemaIndex(exact, alias, names)


def _bare_fieldname(df: Field) -> str:
	"""The fieldname without Frappe's "custom_" prefix, so custom_linkedin_url matches "LinkedIn URL"."""
	return df.fieldname.removeprefix(CUSTOM_PREFIX) if df.custom else df.fieldname


def _aliases_for(df: Field, schema: Schema) -> tuple[str, ...]:
	"""The alias table entry for a field, found by fieldname, or for a custom field also by its label."""
	bare = df.fieldname.removeprefix(CUSTOM_PREFIX)
	if bare in HEADER_ALIASES and (bare == df.fieldname or bare not in schema):
		return HEADER_ALIASES[bare]
	# Frappe CRM's "email" takes the aliases of ERPNext's "email_id" where the schema has no email_id.
	for other in counterparts(df.fieldname):
		if other in HEADER_ALIASES and other not in schema:
			return HEADER_ALIASES[other]
	if not df.custom:
		return ()
	own_names = {normalize_header(df.label), normalize_header(bare)}
	for key, texts in HEADER_ALIASES.items():
		# A custom "Zip Code" field takes the pincode aliases only when there is no pincode field.
		if key not in schema and own_names & {normalize_header(t) for t in texts}:
			return texts
	return ()


def _words(text: str) -> frozenset[str]:
	"""The words in a header or fieldname, camelCase split: "LeadSource" -> {"lead", "source"}."""
	spaced = _CAMEL_BOUNDARY.sub(" ", "" if text is None else str(text))
	return frozenset(w for w in (normalize_header(part) for part in re.split(r"[\W_]+", spaced)) if w)


def _similarity(
	matcher: SequenceMatcher, words: frozenset[str], name: str, name_words: frozenset[str], floor: float
) -> float:
	"""The better of character similarity (typos) and shared words (reordered or extra words).

	Character similarity is only worked out when it could reach `floor`.
	"""
	# An ID column ("Owner ID", "Record ID") holds a record key, not the value of the field it names.
	if "id" in words and "id" not in name_words:
		return 0.0
	shared = 2 * len(words & name_words) / (len(words) + len(name_words)) if words and name_words else 0.0
	matcher.set_seq1(name)
	# The quick ratios are upper bounds on ratio(), so skip the expensive call when it cannot win.
	bound = max(shared, floor)
	if matcher.real_quick_ratio() < bound or matcher.quick_ratio() < bound:
		return shared
	return max(shared, matcher.ratio())


def _required_fields(schema: Schema) -> list[Field]:
	"""Fields the user must map: required and with no default to fall back on."""
	return [f for f in schema.required if not f.default]


# Checking the user's choice


def resolve_mapping(
	headers: Sequence[str],
	schema: Schema,
	chosen: Mapping[str, str | None] | Sequence[str | None],
	constants: Mapping[str, Constant] | None = None,
) -> list[str | None]:
	"""The fieldname per column index from the user's choice, or MappingError with every problem in it.

	A field set for every lead (`constants`) needs no column, even when it is required.
	"""
	fields = _chosen_fields(headers, chosen)
	unknown = [f for f in dict.fromkeys(fields) if f and f not in schema]
	messages = [f"'{f}' is not a {schema.doctype} field." for f in unknown]
	messages += _duplicate_messages(headers, fields, schema)
	covered = set(fields) | _constant_fields(schema, constants)
	missing = [df.label for df in _required_fields(schema) if df.fieldname not in covered]
	if missing:
		messages.append(
			f"Required fields are not mapped: {', '.join(missing)}. "
			"Map a column to each, or add the column to your file."
		)
	for group in schema.needs_one_of():
		if not any(df.fieldname in covered for df in group):
			labels = ", ".join(df.label for df in group)
			messages.append(
				f"Map a column to at least one of: {labels}. A {schema.doctype} needs one of them."
			)
	if messages:
		raise MappingError(messages)
	return fields


def _constant_fields(schema: Schema, constants: Mapping[str, Constant] | None) -> set[str]:
	"""The schema's names of the fields set for every lead (a template may use another Lead's names)."""
	return {name for f in (constants or {}) if (name := schema.resolve(f))}


def _chosen_fields(
	headers: Sequence[str], chosen: Mapping[str, str | None] | Sequence[str | None]
) -> list[str | None]:
	if isinstance(chosen, Mapping):
		stripped = {str(h).strip(): f for h, f in chosen.items()}
		picks = [chosen[h] if h in chosen else stripped.get(str(h).strip()) for h in headers]
		return [p or None for p in picks]
	if isinstance(chosen, str):
		raise TypeError("chosen must be a mapping of header to fieldname, or a list of fieldnames")
	picks = list(chosen)
	if len(picks) > len(headers):
		raise MappingError(
			f"The mapping has {len(picks)} columns but the file has {len(headers)}. Map the columns again."
		)
	# Clients may drop trailing skipped columns.
	return [p or None for p in picks] + [None] * (len(headers) - len(picks))


def _duplicate_messages(headers: Sequence[str], fields: list[str | None], schema: Schema) -> list[str]:
	by_field: dict[str, list[int]] = defaultdict(list)
	for index, fieldname in enumerate(fields):
		if fieldname and fieldname in schema:
			by_field[fieldname].append(index)
	messages = []
	for fieldname, indexes in by_field.items():
		if len(indexes) > 1:
			names = [_column_name(headers, i) for i in indexes]
			listed = f"{', '.join(names[:-1])} and {names[-1]}"
			both = "both" if len(names) == 2 else "all"
			label = schema[fieldname].label
			messages.append(f"Columns {listed} are {both} mapped to {label}; map only one.")
	return messages


def _column_name(headers: Sequence[str], index: int) -> str:
	header = str(headers[index] or "").strip()
	return f"'{header}'" if header else f"column {index + 1} (no header)"


# Templates


def header_fingerprint(headers: Iterable[str]) -> str:
	"""A digest of the set of headers, so the same export matches whatever the column order."""
	return _digest(_fingerprint_keys(headers))


def _fingerprint_keys(headers: Iterable[str]) -> frozenset[str]:
	keys = {normalize_header(h) for h in headers}
	return frozenset(keys - _FAILED_FILE_KEYS - {""})


def _digest(keys: frozenset[str]) -> str:
	return hashlib.sha256("\n".join(sorted(keys)).encode()).hexdigest()


def make_template(
	name: str,
	headers: Sequence[str],
	fields: Sequence[str | None],
	value_maps: Mapping | None = None,
	new_links: Mapping | None = None,
	constants: Mapping[str, Constant] | None = None,
) -> Template:
	"""A template from the mapping the user settled on; failed-file and unnamed columns are left out."""
	if len(headers) != len(fields):
		raise ValueError(f"{len(headers)} headers but {len(fields)} fields")
	columns: dict[str, str | None] = {}
	for header, fieldname in zip(headers, fields, strict=True):
		key = normalize_header(header)
		if key and key not in _FAILED_FILE_KEYS and columns.get(header) is None:
			columns[header] = fieldname or None
	maps = {str(f): {str(k): str(v) for k, v in values.items()} for f, values in (value_maps or {}).items()}
	links = {str(f): [str(n) for n in names] for f, names in (new_links or {}).items() if names}
	return Template(name, columns, maps, header_fingerprint(headers), links, dict(constants or {}))


def rank_templates(headers: Sequence[str], templates: Iterable[Template]) -> list[tuple[Template, float]]:
	"""Templates that fit the file, best first: 1.0 for the same header set, else the share of headers known."""
	keys = _fingerprint_keys(headers)
	if not keys:
		return []
	fingerprint = _digest(keys)
	ranked = []
	for template in templates:
		exact = (template.fingerprint or header_fingerprint(template.columns)) == fingerprint
		score = 1.0 if exact else len(keys & _fingerprint_keys(template.columns)) / len(keys)
		if score >= 0.5:
			ranked.append((template, score, exact))
	# Sorting is stable, so equal scores keep the caller's order.
	ranked.sort(key=lambda r: (r[1], r[2]), reverse=True)
	return [(template, score) for template, score, _ in ranked]
