"""Reports: dashboard, per-unit scoring, Excel/Word/CSV exports, imports, calendar feeds."""
