"""About 500 demo candidates in every status, with generated valid ID numbers and a few deliberate mistakes.

Statuses are reached through the real transitions (认证 runs the verifier, so the 认证未通过 reasons are
real); 信息准确 needs a photo, so most 认证通过 candidates get a generated one first.
"""
import random
from datetime import date, timedelta

from stdnum.cn import ric

from .. import audit
from ..candidate import PENDING, Candidate
from ..db import now
from ..photo import demo_jpeg, store_photo

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁"
            "任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔汤")
GIVEN = {
    "男": "伟强磊军洋勇杰涛明超辉鹏华飞斌宇浩凯健俊帆帅旭宁龙林阳博文轩然晨睿泽昊子豪天佳一航志远建国家乐",
    "女": "芳娜敏静丽艳娟霞燕玲婷雪慧颖琳倩欣怡悦佳萱梦媛瑶晶璐薇琪蕾雯月露婉清嘉宁思雨诗涵可馨",
}
# Names written with the middle dot, as 维吾尔族 names are on their ID cards.
DOT_NAMES = [("买买提·艾力", "男", "维吾尔族"), ("古丽娜尔·吐尔逊", "女", "维吾尔族"), ("阿依古丽·热合曼", "女", "维吾尔族"),
             ("艾尔肯·吾斯曼", "男", "维吾尔族"), ("热依拉·买买提", "女", "维吾尔族")]
ETHNICITIES = ["汉族"] * 40 + ["回族", "满族", "蒙古族", "土家族", "壮族"]
AREA_CODES = ("410102", "410105", "410302", "411302", "410202", "410711")
# 院系: [(专业, class prefix)]
DEPARTMENTS = {
    "信息工程学院": [("计算机应用技术", "计应"), ("软件技术", "软件"), ("云计算技术应用", "云计算"), ("大数据技术", "大数据")],
    "经济管理学院": [("现代物流管理", "物流"), ("大数据与会计", "会计"), ("电子商务", "电商")],
    "汽车工程学院": [("汽车检测与维修技术", "汽修"), ("新能源汽车技术", "新能源")],
}
COUNT = 500


def seed_candidates(data_dir=None):
    """Add the demo candidates unless there are candidates already (so running it twice adds nothing)."""
    if Candidate.select().exists():
        return
    rng = random.Random(20240901)
    rows, flawed = _rows(rng)
    Candidate.bulk_add(rows)
    created = list(Candidate.select().order_by(Candidate.id))
    audit.record_many("candidate.create", [(c, {"状态": (None, PENDING)}) for c in created], user=None)

    # About a fifth stays 待认证; every deliberately wrong row is authenticated so its reasons are real.
    to_verify = [c for i, c in enumerate(created) if i % 5 != 0 or c.id_number in flawed]
    Candidate.authenticate_many(to_verify, by=None)
    _photos_and_confirmation(rng, data_dir)


def _rows(rng):
    """(rows to insert, the ID numbers of the rows given a deliberate mistake)."""
    today = date.today()
    numbers, rows, flawed = set(), [], set()
    departments = list(DEPARTMENTS.items())
    while len(rows) < COUNT:
        gender = rng.choice(("男", "女"))
        name, ethnicity = _name(rng, gender), rng.choice(ETHNICITIES)
        if len(rows) % 97 == 5:
            name, gender, ethnicity = DOT_NAMES[len(rows) // 97 % len(DOT_NAMES)]
        born = today - timedelta(days=rng.randint(17 * 366, 24 * 365))
        number = _id_number(rng, born, gender)
        if number in numbers:
            continue
        numbers.add(number)
        department, majors = rng.choice(departments)
        major, prefix = rng.choice(majors)
        year = rng.choice((2021, 2022, 2023, 2024))
        row = dict(name=name, id_type="居民身份证", id_number=number, gender=gender, birth_date=born,
                   ethnicity=ethnicity, phone=f"1{rng.choice('3578')}{rng.randint(0, 999999999):09d}",
                   department=department, major=major, class_name=f"{prefix}{year % 100}{rng.randint(1, 4):02d}",
                   student_no=f"{year}{rng.randint(10000, 99999)}",
                   education_level=rng.choice(["高职专科"] * 9 + ["职业本科"]),
                   enrollment_year=year, status=PENDING)
        row["created_at"] = row["updated_at"] = now() - timedelta(minutes=rng.randint(0, 86400))
        if _flaw(row, len(rows)):
            flawed.add(row["id_number"])
        rows.append(row)
    return rows, flawed


def _flaw(row, index):
    """Every 40th row gets a mistake people make: a wrong check character, the wrong 性别 or 出生日期."""
    if index % 40 != 7:
        return ""
    kind = (index // 40) % 3
    if kind == 0:
        number = row["id_number"]
        row["id_number"] = number[:-1] + ("0" if number[-1] != "0" else "1")
        return "check"
    if kind == 1:
        row["gender"] = "女" if row["gender"] == "男" else "男"
        return "gender"
    row["birth_date"] = row["birth_date"] + timedelta(days=1)
    return "birth"


def _name(rng, gender):
    given = GIVEN[gender]
    return rng.choice(SURNAMES) + "".join(rng.choice(given) for _ in range(rng.choice((1, 2, 2))))


def _id_number(rng, born, gender):
    sequence = rng.randint(0, 99) * 10 + rng.choice((1, 3, 5, 7, 9) if gender == "男" else (0, 2, 4, 6, 8))
    body = f"{rng.choice(AREA_CODES)}{born:%Y%m%d}{sequence:03d}"
    # stdnum reads the first 17 characters of an 18-character number: give it a placeholder check character.
    return body + ric.calc_check_digit(body + "0")


def _photos_and_confirmation(rng, data_dir):
    """Give most 认证通过 candidates a demo photo and confirm most of those, when photos can be made."""
    if data_dir is None:
        return
    # A dozen distinct pictures shared between candidates keep the demo data directory small.
    pictures = [store_photo(data_dir, demo_jpeg(seed=i)) for i in range(12)]
    verified = list(Candidate.select().where(Candidate.status == "认证通过").order_by(Candidate.id))
    for i, candidate in enumerate(verified):
        if i % 5 == 4:
            continue  # some stay without a photo: 认证通过, waiting for 上传学生照片
        candidate.set_photo(rng.choice(pictures), by=None)
        if i % 5 != 3:
            candidate.confirm(by=None)
