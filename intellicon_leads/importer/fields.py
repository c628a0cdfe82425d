"""Lead fields described as plain data, so the engine never needs DocType meta."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

# Field types the engine knows how to parse; the Frappe layer maps DocType fieldtypes onto these.
FIELD_TYPES = frozenset(
	{
		"Data",
		"Text",
		"Email",
		"Phone",
		"URL",
		"Select",
		"Link",
		"Int",
		"Float",
		"Currency",
		"Percent",
		"Date",
		"Datetime",
		"Check",
	}
)


# One lead field under the names the Leads this app imports into give it: ERPNext 15's (and the app's
# own Lead's) first, then Frappe CRM's CRM Lead's or ERPNext 16's. Aliases, templates and duplicate
# rules written for one find the other.
COUNTERPARTS: tuple[tuple[str, ...], ...] = (
	("email_id", "email"),
	("company_name", "organization"),
	("source", "utm_source"),  # ERPNext 16 links its Lead to Frappe's UTM Source
	("campaign_name", "utm_campaign"),
)


def counterparts(fieldname: str) -> tuple[str, ...]:
	"""The other names of a lead field (ERPNext's first), or none."""
	for names in COUNTERPARTS:
		if fieldname in names:
			return tuple(n for n in names if n != fieldname)
	return ()


@dataclass(frozen=True)
class Field:
	"""One importable field: what it is called, what it holds, and what is valid in it."""

	fieldname: str
	label: str
	fieldtype: str = "Data"
	required: bool = False
	options: tuple[str, ...] = ()
	length: int = 0
	link_doctype: str = ""
	default: str = ""
	custom: bool = False

	def __post_init__(self) -> None:
		if self.fieldtype not in FIELD_TYPES:
			raise ValueError(f"Unknown field type {self.fieldtype!r} for {self.fieldname!r}")

	def to_dict(self) -> dict:
		return {
			"fieldname": self.fieldname,
			"label": self.label,
			"fieldtype": self.fieldtype,
			"required": self.required,
			"options": list(self.options),
			"length": self.length,
			"link_doctype": self.link_doctype,
			"default": self.default,
			"custom": self.custom,
		}

	@classmethod
	def from_dict(cls, data: dict) -> Field:
		return cls(
			fieldname=data["fieldname"],
			label=data.get("label") or data["fieldname"],
			fieldtype=data.get("fieldtype") or "Data",
			required=bool(data.get("required")),
			options=tuple(data.get("options") or ()),
			length=int(data.get("length") or 0),
			link_doctype=data.get("link_doctype") or "",
			default=data.get("default") or "",
			custom=bool(data.get("custom")),
		)


@dataclass(frozen=True)
class Schema:
	"""The importable fields of one DocType, in form order."""

	doctype: str
	fields: tuple[Field, ...]
	# Groups of fields of which a record needs at least one ("a person's or an organisation's name").
	one_of: tuple[tuple[str, ...], ...] = ()
	_by_name: dict[str, Field] = field(init=False, repr=False, compare=False)

	def __post_init__(self) -> None:
		object.__setattr__(self, "_by_name", {f.fieldname: f for f in self.fields})

	def needs_one_of(self) -> list[tuple[Field, ...]]:
		"""The one-of groups, as the fields of each that this schema has."""
		groups = [tuple(self._by_name[f] for f in group if f in self._by_name) for group in self.one_of]
		return [g for g in groups if g]

	def __contains__(self, fieldname: object) -> bool:
		return fieldname in self._by_name

	def get(self, fieldname: str) -> Field | None:
		return self._by_name.get(fieldname)

	def resolve(self, fieldname: str) -> str | None:
		"""This schema's name for a lead field named as in any Lead the app knows: "email_id" is
		"email" in Frappe CRM's CRM Lead."""
		if fieldname in self._by_name:
			return fieldname
		return next((n for n in counterparts(fieldname) if n in self._by_name), None)

	def __getitem__(self, fieldname: str) -> Field:
		return self._by_name[fieldname]

	@property
	def required(self) -> tuple[Field, ...]:
		return tuple(f for f in self.fields if f.required)

	def with_fields(self, extra: Iterable[Field]) -> Schema:
		"""This schema plus `extra` fields (custom fields), later names replacing earlier ones."""
		merged = dict(self._by_name)
		merged.update((f.fieldname, f) for f in extra)
		return Schema(self.doctype, tuple(merged.values()), self.one_of)

	def to_dict(self) -> dict:
		return {
			"doctype": self.doctype,
			"fields": [f.to_dict() for f in self.fields],
			"one_of": [list(g) for g in self.one_of],
		}

	@classmethod
	def from_dict(cls, data: dict) -> Schema:
		one_of = tuple(tuple(g) for g in data.get("one_of") or ())
		return cls(data["doctype"], tuple(Field.from_dict(f) for f in data["fields"]), one_of)


LEAD_STATUSES = (
	"Lead",
	"Open",
	"Replied",
	"Opportunity",
	"Quotation",
	"Lost Quotation",
	"Interested",
	"Converted",
	"Do Not Contact",
)

# ERPNext's Lead fieldnames, used when there is no site (the CLI, the engine tests).
DEFAULT_LEAD_SCHEMA = Schema(
	"Lead",
	(
		Field("salutation", "Salutation", "Link", link_doctype="Salutation"),
		Field("first_name", "First Name", "Data", required=True, length=140),
		Field("middle_name", "Middle Name", "Data", length=140),
		Field("last_name", "Last Name", "Data", length=140),
		Field("email_id", "Email", "Email", length=140),
		Field("mobile_no", "Mobile No", "Phone", length=140),
		Field("phone", "Phone", "Phone", length=140),
		Field("whatsapp_no", "WhatsApp", "Phone", length=140),
		Field("company_name", "Organization Name", "Data", length=140),
		Field("job_title", "Job Title", "Data", length=140),
		Field("status", "Status", "Select", required=True, options=LEAD_STATUSES, default="Lead"),
		Field("source", "Source", "Link", link_doctype="Lead Source"),
		Field("lead_owner", "Lead Owner", "Link", link_doctype="User"),
		Field("website", "Website", "URL", length=140),
		Field("city", "City", "Data", length=140),
		Field("state", "State/Province", "Data", length=140),
		Field("country", "Country", "Link", link_doctype="Country"),
		Field("annual_revenue", "Annual Revenue", "Currency"),
		Field(
			"no_of_employees",
			"No of Employees",
			"Select",
			options=("1-10", "11-50", "51-200", "201-500", "501-1000", "1000+"),
		),
		Field("industry", "Industry", "Data", length=140),
		Field(
			"qualification_status",
			"Qualification Status",
			"Select",
			options=("Unqualified", "In Process", "Qualified"),
		),
		Field("qualified_on", "Qualified on", "Date"),
		Field("unsubscribed", "Unsubscribed", "Check"),
		Field("notes", "Notes", "Text"),
	),
)
