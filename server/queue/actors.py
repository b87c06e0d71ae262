"""Who is acting: a staff member, a device, a citizen holding a ticket token, or the system itself."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

ActorKind = Literal["staff", "device", "citizen", "system"]


@dataclass(frozen=True)
class Actor:
    kind: ActorKind
    id: int | None = None
    site_id: int | None = None
    # Staff role (admin, supervisor, clerk, inspector) or device kind (kiosk, display, …).
    role: str | None = None
    # For a rating terminal or counter display: the counter it belongs to.
    counter_id: int | None = None
    name: str = ""

    @property
    def label(self) -> str:
        """How the actor appears in the event log."""
        if self.kind == "system":
            return "system"
        return f"{self.kind}:{self.role}:{self.id}" if self.role else f"{self.kind}:{self.id}"

    @property
    def is_staff(self) -> bool:
        return self.kind == "staff"

    @property
    def is_supervisor(self) -> bool:
        return self.kind == "staff" and self.role in ("supervisor", "admin")

    def is_device(self, kind: str) -> bool:
        return self.kind == "device" and self.role == kind


SYSTEM = Actor(kind="system")
