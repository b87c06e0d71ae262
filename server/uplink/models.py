"""The uplink's own state at a site: what the central acknowledged and whether the link is up.

Written only by the uplink (never by the queue's verbs), read by the site's dashboard.
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Boolean, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from server.models import Base


class UplinkState(Base):
    __tablename__ = "uplink_states"
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
    central_url: Mapped[str] = mapped_column(String(300), default="")
    connected: Mapped[bool] = mapped_column(Boolean, default=False)
    acknowledged_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    last_error: Mapped[str] = mapped_column(String(300), default="")
    updated_at: Mapped[dt.datetime | None] = mapped_column(default=None)
    # The central's public base URL, from its answer to `hello`: the QR codes of new tickets point there
    # (docs/phone-via-central.md). Empty until a central has told it.
    phone_base_url: Mapped[str] = mapped_column(String(300), default="", server_default="")
    # The province catalogue's version this site last applied (the central's hello answer names its own).
    catalogue_version: Mapped[str] = mapped_column(String(64), default="", server_default="")
