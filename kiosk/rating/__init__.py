"""The counter rating terminal: the citizen-facing tablet that asks for a rating after each service."""
