"""The central (province) role: ingest, live state, roll-up reports and the province screens."""
