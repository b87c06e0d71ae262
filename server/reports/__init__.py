"""Reports: per-period figures (issued, served, waits, service times, ratings) grouped by field, counter,
clerk or site, a ranking of clerks, and their CSV/XLSX exports. Definitions: docs/reports.md."""
