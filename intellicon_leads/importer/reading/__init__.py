"""Streaming readers for lead files: CSV, XLSX, XLS and HTML tables, as one `Table` of rows.

with open_table(path, filename="leads.xlsx") as table:
	table.header  # ["First Name", "Email", ...]
	for row in table.rows():  # Row(number, values, extra)
		...
"""

from intellicon_leads.importer.reading.opening import open_table
from intellicon_leads.importer.reading.table import MAX_FILE_SIZE, FileRejected, Row, Table

__all__ = ["MAX_FILE_SIZE", "FileRejected", "Row", "Table", "open_table"]
