"""Sample print jobs: the demo ticket, and the longest realistic one (for the 6.5 KB budget)."""
from __future__ import annotations

from typing import Any

SAMPLE_JOB: dict[str, Any] = {
    "job_id": 1,
    "kiosk_id": 1,
    "reprint": False,
    "language": "vi",
    "ticket": {
        "id": 42,
        "number": "1005",
        "centre_name": "Trung tâm Phục vụ hành chính công",
        "site_name": "Điểm tiếp nhận số 1",
        "service_name": "Tư pháp – Hộ tịch",
        "priority_name": None,
        "issued_at": "2026-11-25T08:15:00+07:00",
        "issued_at_local": "25/11/2026 08:15",
        "ahead": 4,
        "estimated_wait_s": 720,
        "public_url": "http://127.0.0.1:5000/t/q8Jr2LwX5pN4sK7vT1mZ",
        "guidance": "Vui lòng chờ đến lượt",
    },
}

# The longest names a centre realistically has: a two-line centre name, a long field, a priority line,
# a long token URL and a two-line guidance.
LONGEST_JOB: dict[str, Any] = {
    **SAMPLE_JOB,
    "ticket": {
        **SAMPLE_JOB["ticket"],
        "number": "A1005",
        "centre_name": "Trung tâm Phục vụ hành chính công tỉnh Thừa Thiên Huế",
        "service_name": "Lao động – Thương binh và Xã hội",
        "priority_name": "Người khuyết tật, phụ nữ có thai",
        "ahead": 128,
        "estimated_wait_s": 8100,
        "public_url": "https://hanhchinhcong.thuathienhue.gov.vn/t/q8Jr2LwX5pN4sK7vT1mZa9Bc3De6Fg0H",
        "guidance": "Vui lòng chờ đến lượt, theo dõi màn hình và loa gọi số",
    },
}
