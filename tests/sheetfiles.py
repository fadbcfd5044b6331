"""Spreadsheets for the import tests, generated from the column spec (no binary fixtures)."""
import csv
import io

from openpyxl import Workbook
from stdnum.cn import ric

from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES


def id_number(i, born="20030105", area="410102"):
    """A valid 居民身份证 number, different for each i."""
    body = f"{area}{born}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def person(i, **changes):
    """One valid candidate row as the text a user types, keyed by column key."""
    number = id_number(i)
    row = {
        "name": f"张{'一二三四五六七八九十'[i % 10]}{'甲乙丙丁戊'[i // 10 % 5]}",
        "id_type": "居民身份证",
        "id_number": number,
        "gender": "男" if int(number[16]) % 2 else "女",
        "birth_date": "2003-01-05",
        "ethnicity": "汉族",
        "phone": f"138{i:08d}",
        "student_no": f"2023{i:06d}",
        "department": "信息工程学院",
        "major": "计算机应用技术",
        "class_name": "计应2301",
        "education_level": "高职专科",
        "enrollment_year": "2023",
    }
    row.update(changes)
    return row


def headers(keys=None, spec=CANDIDATES):
    keys = keys or [c.key for c in spec.columns]
    return [spec.column(k).title for k in keys]


def _grid(rows, keys=None, header=None, spec=CANDIDATES):
    keys = keys or [c.key for c in spec.columns]
    return [header or headers(keys, spec)] + [[row.get(k, "") for k in keys] for row in rows]


def xlsx(rows, keys=None, header=None, title="考生信息"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for line in _grid(rows, keys, header):
        sheet.append(line)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def csv_file(rows, encoding="utf-8", bom=False, keys=None, header=None, spec=CANDIDATES):
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(_grid(rows, keys, header, spec))
    data = out.getvalue().encode(encoding)
    return (b"\xef\xbb\xbf" + data) if bom else data


def xls(rows, keys=None, header=None):
    import xlwt
    workbook = xlwt.Workbook(encoding="utf-8")
    sheet = workbook.add_sheet("考生信息")
    for r, line in enumerate(_grid(rows, keys, header)):
        for c, value in enumerate(line):
            sheet.write(r, c, value)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
