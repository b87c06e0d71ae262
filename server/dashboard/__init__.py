"""The supervisors' dashboard (/dashboard): live board, alerts, notice line, charts, and the reports page."""
