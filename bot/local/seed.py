"""The local workspace's people and channels (console and demo). Fictional, of course."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

ADMIN = "UADMIN01"
STAFF_TOKYO = "USTAFFTKY"
STAFF_OSAKA = "USTAFFOSA"
LECTURER = "ULECTURER1"

ANNOUNCE_CHANNEL = "jirei-announce"
PORTAL_CHANNEL = "sc-connect-portal"

# (user id, display name, prefecture, affiliation, themes)
COORDINATORS: tuple[tuple[str, str, str, str, tuple[str, ...]], ...] = (
    ("UCOORD01", "佐藤 花子", "東京都", "public", ("medical_welfare", "education")),
    ("UCOORD02", "鈴木 一郎", "神奈川県", "private", ("immigration", "labor")),
    ("UCOORD03", "高橋 美咲", "埼玉県", "public", ("medical_welfare", "family_dv")),
    ("UCOORD04", "田中 健", "千葉県", "private", ("education", "public_services")),
    ("UCOORD05", "伊藤 さくら", "東京都", "public", ("immigration", "medical_welfare")),
    ("UCOORD06", "渡辺 大輔", "茨城県", "private", ("labor", "culture_religion")),
    ("UCOORD07", "山本 由美", "群馬県", "public", ("family_dv", "education")),
    ("UCOORD08", "中村 翔", "栃木県", "private", ("medical_welfare", "immigration")),
    ("UCOORD09", "小林 明子", "長野県", "public", ("education", "medical_welfare")),
    ("UCOORD10", "加藤 誠", "新潟県", "private", ("public_services", "labor")),
    ("UCOORD11", "吉田 真理", "山梨県", "public", ("medical_welfare", "family_dv")),
    ("UCOORD21", "松本 直樹", "大阪府", "public", ("immigration", "education")),
    ("UCOORD22", "井上 彩", "京都府", "private", ("medical_welfare", "labor")),
    ("UCOORD23", "木村 拓也", "兵庫県", "public", ("family_dv", "immigration")),
)

STAFF = (
    (ADMIN, "事務局 管理者"),
    (STAFF_TOKYO, "東京局 在留支援担当"),
    (STAFF_OSAKA, "大阪局 在留支援担当"),
    (LECTURER, "講師 青木"),
)

# The demo's start, and its coordinators by region.
JST = ZoneInfo("Asia/Tokyo")
START = datetime(2027, 4, 1, 9, 0, tzinfo=JST)
TOKYO = [c[0] for c in COORDINATORS if c[2] not in ("大阪府", "京都府", "兵庫県")]
OSAKA = [c[0] for c in COORDINATORS if c[2] in ("大阪府", "京都府", "兵庫県")]
