"""Citizen input screens: the kiosk touchscreen (`kiosk.views`), the phone page behind a ticket's QR code
(also `kiosk.views`) and the counter rating terminal (`kiosk.rating`)."""
