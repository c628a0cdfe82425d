"""Behaviour of the Lead this app provides (a custom DocType, so its controller lives in hooks)."""

from __future__ import annotations

from intellicon_leads.lead_import.store import OWN_LEAD_MODULE as APP_MODULE
from intellicon_leads.lead_import.store import lead_name_of


def set_lead_name(doc, method: str | None = None) -> None:
	"""lead_name from the person's names (else organisation or email), as ERPNext's Lead does."""
	if doc.meta.module != APP_MODULE:
		return
	doc.lead_name = lead_name_of(doc.as_dict())
