"""Demo 试点证书, 省厅指标 for this and last year, and 考核站点 in every state, reached through the real transitions."""
from datetime import date

from ..catalog import Certificate
from ..pilot import PilotCertificate
from ..quota import Quota
from ..site import Site
from ..user import REVIEWER, STAFF, User

# (证书, levels piloted, since)
PILOTS = [
    ("Web前端开发", ("初级", "中级"), date(2020, 9, 1)),
    ("物流管理", ("初级", "中级"), date(2021, 3, 1)),
    ("智能财税", ("初级",), date(2021, 9, 1)),
    ("云计算平台运维与开发", ("中级",), date(2022, 3, 1)),
]
# (证书, 等级, quota this year, quota last year)
QUOTAS = [
    ("Web前端开发", "初级", 200, 150),
    ("Web前端开发", "中级", 120, 100),
    ("物流管理", "初级", 80, 60),
    ("物流管理", "中级", 60, 50),
    ("智能财税", "初级", 100, 80),
    ("云计算平台运维与开发", "中级", 40, 30),
]
# (站点名称, 证书, levels, 所在地区, 详细地址, 联系人, 联系电话, 机位数, what happens to it)
SITES = [
    ("信息工程学院Web前端开发考核站点", "Web前端开发", "初级,中级", "河南省郑州市金水区", "文化路 80 号信息楼 301 机房",
     "周老师", "0371-63556021", 60, "approve"),
    ("实训中心A区Web考核站点", "Web前端开发", "初级", "河南省郑州市金水区", "文化路 80 号实训中心 A 区二层",
     "孙老师", "13803712468", 40, "pending"),
    ("图书馆机房考核站点", "Web前端开发", "中级", "河南省郑州市金水区", "文化路 80 号图书馆五层机房",
     "周老师", "0371-63556021", 30, "disable"),
    ("经济管理学院物流管理考核站点", "物流管理", "中级", "河南省郑州市惠济区", "江山路 6 号经管楼 205",
     "吴老师", "13937105566", 50, "approve"),
    ("物流实训基地考核站点", "物流管理", "初级,中级", "河南省郑州市惠济区", "江山路 6 号物流实训基地",
     "吴老师", "13937105566", 120, "reject"),
    ("智能财税实训室考核站点", "智能财税", "初级", "河南省郑州市金水区", "文化路 80 号经管楼 402",
     "郑老师", "0371-63556188", 45, "pending"),
]
REJECT_REASON = "机位数与实训基地实际可用的计算机数量不符，请核实后重新提交；详细地址请写到楼层和房间号。"


def seed_pilots():
    """Pilot levels and this and last year's quotas that are not recorded yet."""
    for name, levels, since in PILOTS:
        certificate = Certificate.get_or_none(Certificate.name == name)
        if certificate is None:
            continue
        missing = [lv for lv in levels if not PilotCertificate.is_pilot(certificate, lv)]
        if missing:
            PilotCertificate.add(certificate, missing, since, by=None)
    year = date.today().year
    for number, (name, level, this_year, last_year) in enumerate(QUOTAS, start=11):
        certificate = Certificate.get_or_none(Certificate.name == name)
        for y, amount in ((year, this_year), (year - 1, last_year)):
            if certificate is not None and Quota.for_year(certificate, level, y) is None:
                Quota.add({"certificate": certificate, "level": level, "year": y, "amount": amount,
                           "document_no": f"豫教职成〔{y}〕{number}号"}, by=None)


def seed_sites():
    """Sites in every state, declared by the demo staff and reviewed by the organisation's reviewer (once)."""
    staff = User.select().where(User.role == STAFF).order_by(User.id).first()
    if Site.select().exists() or staff is None:
        return
    for name, cert_name, levels, region, address, contact, phone, seats, fate in SITES:
        certificate = Certificate.get_or_none(Certificate.name == cert_name)
        if certificate is None or not PilotCertificate.levels_for(certificate):
            continue
        site = Site.declare({"name": name, "certificate": certificate, "levels": levels, "region": region,
                             "address": address, "contact": contact, "phone": phone, "seats": seats, "note": ""},
                            by=staff)
        reviewer = (User.select()
                    .where((User.role == REVIEWER) & (User.organisation == certificate.organisation))
                    .order_by(User.id)
                    .first())
        if reviewer is None or fate == "pending":
            continue
        if fate == "reject":
            site.reject(REJECT_REASON, by=reviewer)
            continue
        site.approve(by=reviewer)
        if fate == "disable":
            site.disable(by=reviewer)
