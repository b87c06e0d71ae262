"""The central (province) role: ingest of the sites' uplinks, live state per site, the province board,
roll-up reports (rankings, a site's reports) and the public wait page.

The site's core never imports this package; the app factory wires it in when HANGCHO_ROLE=central.
"""
