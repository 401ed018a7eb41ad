"""The demo's registry: about thirty producers in several provinces, Qom among them."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

from pahna.parties import Producer

# (id, English name, Persian name, province, type, IPv4 prefix, IPv6 prefix or "")
_ROWS = [
    ("qom-seminary-media", "Qom Seminary Media Centre", "مرکز رسانه حوزه قم", "IR-25",
     "public_centre", "185.100.0.0/22", "2a0e:9b00::/32"),
    ("qom-univ", "University of Qom", "دانشگاه قم", "IR-25", "public_centre",
     "185.120.0.0/16", "2a0e:9b10::/32"),
    ("qom-startup-lab", "Qom Student Start-up Lab", "آزمایشگاه استارتاپ دانشجویی قم",
     "IR-25", "student_startup", "185.120.64.0/24", ""),
    ("qom-tv", "Qom Provincial TV", "صدا و سیمای مرکز قم", "IR-25", "public_centre",
     "185.101.0.0/22", ""),
    ("qom-games", "Pardis Games", "بازی‌سازی پردیس", "IR-25", "private_company",
     "185.102.0.0/23", ""),
    ("qom-podcast", "Qom Podcast Collective", "جمع پادکست قم", "IR-25", "student_startup",
     "185.102.2.0/24", ""),
    ("teh-aparat", "Tehran Video Platform", "سکوی ویدئوی تهران", "IR-23", "private_company",
     "185.103.0.0/20", "2a0e:9b20::/32"),
    ("teh-news", "Tehran News Agency", "خبرگزاری تهران", "IR-23", "public_centre",
     "185.104.0.0/22", ""),
    ("teh-edu", "Tehran Online School", "مدرسه برخط تهران", "IR-23", "private_company",
     "185.105.0.0/22", ""),
    ("teh-music", "Navak Music", "موسیقی ناوک", "IR-23", "private_company",
     "185.106.0.0/23", ""),
    ("teh-maps", "Neshan-like Maps", "نقشه‌های شهری", "IR-23", "private_company",
     "185.107.0.0/22", "2a0e:9b30::/32"),
    ("isf-heritage", "Isfahan Heritage Archive", "آرشیو میراث اصفهان", "IR-10",
     "public_centre", "185.108.0.0/23", ""),
    ("isf-tech", "Isfahan Tech Park Studio", "استودیوی پارک فناوری اصفهان", "IR-10",
     "private_company", "185.109.0.0/22", ""),
    ("isf-students", "Isfahan Student Media", "رسانه دانشجویی اصفهان", "IR-10",
     "student_startup", "185.110.0.0/24", ""),
    ("mhd-shrine", "Mashhad Shrine Media", "رسانه حرم مشهد", "IR-09", "public_centre",
     "185.111.0.0/22", "2a0e:9b40::/32"),
    ("mhd-books", "Mashhad E-books", "کتاب الکترونیک مشهد", "IR-09", "private_company",
     "185.112.0.0/23", ""),
    ("shz-poetry", "Shiraz Poetry Audio", "شعرخوانی شیراز", "IR-07", "public_centre",
     "185.113.0.0/24", ""),
    ("shz-tourism", "Fars Tourism Portal", "درگاه گردشگری فارس", "IR-07", "public_centre",
     "185.113.4.0/22", ""),
    ("tbz-carpet", "Tabriz Carpet Market", "بازار فرش تبریز", "IR-03", "private_company",
     "185.114.0.0/23", ""),
    ("tbz-univ", "University of Tabriz Media", "رسانه دانشگاه تبریز", "IR-03", "public_centre",
     "185.115.0.0/22", ""),
    ("ahv-oil-academy", "Ahvaz Oil Academy", "آکادمی نفت اهواز", "IR-06", "public_centre",
     "185.116.0.0/23", ""),
    ("yzd-craft", "Yazd Crafts Online", "صنایع دستی یزد", "IR-21", "student_startup",
     "185.117.0.0/24", ""),
    ("rsh-rice", "Gilan Agri Videos", "ویدئوهای کشاورزی گیلان", "IR-01", "public_centre",
     "185.117.8.0/23", ""),
    ("krj-cloud", "Alborz Cloud Studio", "استودیوی ابری البرز", "IR-30", "private_company",
     "185.118.0.0/21", "2a0e:9b50::/32"),
    ("krm-desert", "Kerman Desert Films", "فیلم‌های کویر کرمان", "IR-08", "private_company",
     "185.119.0.0/24", ""),
    ("snd-radio", "Kurdistan Radio", "رادیو کردستان", "IR-12", "public_centre",
     "185.119.4.0/24", ""),
    ("hmd-history", "Hamadan History Channel", "شبکه تاریخ همدان", "IR-13", "public_centre",
     "185.119.8.0/24", ""),
    ("zjn-startup", "Zanjan Code Camp", "اردوی برنامه‌نویسی زنجان", "IR-19",
     "student_startup", "185.119.12.0/24", ""),
    ("qzv-calligraphy", "Qazvin Calligraphy School", "مدرسه خوشنویسی قزوین", "IR-26",
     "private_company", "185.119.16.0/24", ""),
    ("bnd-port", "Hormozgan Port Live", "پخش زنده بندر هرمزگان", "IR-22", "public_centre",
     "185.119.20.0/24", ""),
]

UNCLAIMED_SOURCES = ("151.232.0.0/14", "2a00:1450::/32")
"""Sources no producer claims: their bytes stay in the unattributed remainder."""

DOMESTIC_CLIENTS = ("2.176.0.0/12", "5.112.0.0/12", "2a01:5ec0::/32")
INTERNATIONAL_CLIENTS = ("93.184.0.0/16", "2600:1400::/24")
CLIENTS = ((DOMESTIC_CLIENTS[0], 0.42), (DOMESTIC_CLIENTS[1], 0.30),
           (INTERNATIONAL_CLIENTS[0], 0.18), (DOMESTIC_CLIENTS[2], 0.06),
           (INTERNATIONAL_CLIENTS[1], 0.04))
"""Where the demo's clients are, and their share of flows: Iranian mobile and fixed
networks, and abroad."""

UPLOADS = 0.03
"""Share of flows that go the other way (clients sending to a producer)."""
HEAVY_UPLOADER = "krj-cloud"
HEAVY_UPLOAD_SHARE = 0.4
"""A cloud studio that receives nearly as much as it sends: the 10:1 rule refuses it."""


@dataclass(frozen=True)
class DemoProducer:
    producer: Producer
    prefixes: tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]


def demo_producers() -> list[DemoProducer]:
    out = []
    for pid, name, name_fa, province, kind, v4, v6 in _ROWS:
        nets = [ipaddress.ip_network(v4)] + ([ipaddress.ip_network(v6)] if v6 else [])
        out.append(DemoProducer(Producer(pid, name, name_fa, province, kind), tuple(nets)))
    return out


def domestic_list() -> str:
    """The demo's domestic address list (CIDR, one a line): the Iranian client networks
    and every producer's prefixes. Made here, so the demo needs nothing from outside."""
    networks = [*DOMESTIC_CLIENTS, *(str(net) for p in demo_producers() for net in p.prefixes)]
    return "# pahna demo: domestic (IR) address blocks\n" + "\n".join(networks) + "\n"


DEMO_PERIOD = "1404-08"
DEMO_TARIFF = """\
id = "incentive-demo"
version = 1
valid_from = "1404-01"
valid_to = ""
pool_minor = 2000000000
international_rate_per_gb = "0"

[volume]
model = "flat"
rate_per_gb = "100000000"
billed_classes = ["domestic"]

[eligibility]
min_sent_received_ratio = "10"
"""
"""Domestic bytes paid per GB from a fixed pool; international bytes not paid; a producer
must send at least ten times what it receives (10:1) to be paid."""
