"""Import pages: previews (CSV and historical workbook), the ICD workbook upload, the log."""
