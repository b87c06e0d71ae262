"""The central (province) role: ingest of the sites' uplinks, live state per site, the province board.

The site's core never imports this package; the app factory wires it in when HANGCHO_ROLE=central.
"""
