"""Spreadsheets for the import tests, generated from the column spec (no binary fixtures)."""
import csv
import io
import zipfile
from datetime import date, timedelta

from openpyxl import Workbook
from stdnum.cn import ric

from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES


def id_number(i, born="20030105", area="410102"):
    """A valid 居民身份证 number, different for each i: from 1,000 on, born a day later per thousand."""
    if i >= 1000:
        born = (date(int(born[:4]), int(born[4:6]), int(born[6:])) + timedelta(days=i // 1000)).strftime("%Y%m%d")
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
        "birth_date": f"{number[6:10]}-{number[10:12]}-{number[12:14]}",
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


def raw_xlsx(sheet_data, shared=(), title="考生信息"):
    """A minimal .xlsx written by hand: `sheet_data` is the XML inside <sheetData>, `shared` the shared
    strings. For files no spreadsheet program would write, such as a 20-million-character cell."""
    main = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    package = "http://schemas.openxmlformats.org/package/2006"
    office = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml"
    parts = {
        "[Content_Types].xml": (
            f'<Types xmlns="{package}/content-types">'
            f'<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
            f'<Default Extension="xml" ContentType="application/xml"/>'
            f'<Override PartName="/xl/workbook.xml" ContentType="{kind}.sheet.main+xml"/>'
            f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{kind}.worksheet+xml"/>'
            f'<Override PartName="/xl/sharedStrings.xml" ContentType="{kind}.sharedStrings+xml"/></Types>'),
        "_rels/.rels": (f'<Relationships xmlns="{package}/relationships">'
                        f'<Relationship Id="rId1" Type="{office}/officeDocument" Target="xl/workbook.xml"/>'
                        f'</Relationships>'),
        "xl/workbook.xml": (f'<workbook {main} xmlns:r="{office}"><sheets>'
                            f'<sheet name="{title}" sheetId="1" r:id="rId1"/></sheets></workbook>'),
        "xl/_rels/workbook.xml.rels": (
            f'<Relationships xmlns="{package}/relationships">'
            f'<Relationship Id="rId1" Type="{office}/worksheet" Target="worksheets/sheet1.xml"/>'
            f'<Relationship Id="rId2" Type="{office}/sharedStrings" Target="sharedStrings.xml"/></Relationships>'),
        "xl/worksheets/sheet1.xml": f"<worksheet {main}><sheetData>{sheet_data}</sheetData></worksheet>",
        "xl/sharedStrings.xml": f"<sst {main}>" + "".join(f"<si><t>{s}</t></si>" for s in shared) + "</sst>",
    }
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, xml in parts.items():
            archive.writestr(name, xml)
    return buffer.getvalue()


def rewrite_sheet(data, change):
    """The .xlsx `data` with its first sheet's XML passed through change(bytes) -> bytes."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            content = source.read(info.filename)
            target.writestr(info, change(content) if info.filename == "xl/worksheets/sheet1.xml" else content)
    return buffer.getvalue()


# ---- files that used to take the server down (tests/test_untrusted_files.py, bench/hostile_files.py) ----
def far_value_xlsx(spec=CANDIDATES):
    """A header row and one value in the sheet's last cell, as a stray keystroke far away makes it."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = spec.title
    sheet.append([c.title for c in spec.columns])
    sheet["XFD1048576"] = "x"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def claiming_rows_xlsx(rows):
    """Two real rows in a sheet whose <dimension> says it runs to row `rows`."""
    return rewrite_sheet(xlsx([person(1)]), lambda xml: xml.replace(b'<dimension ref="A1:M2"',
                                                                  b'<dimension ref="A1:M%d"' % rows))


def hidden_far_value_xlsx():
    """A value in XFD1048576 behind a tab instead of a space before r="...": calamine reads it, the
    pre-check's pattern does not."""
    return raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c><c r="B1" t="s"><v>1</v></c></row>'
                    '<row r="1048576"><c\tr="XFD1048576" t="s"><v>0</v></c></row>', ["姓名", "证件类型"])


def shared_string_xlsx(text, cells):
    """A header and `cells` rows whose A cell is the one shared string `text`."""
    header = "".join(f'<c r="{letter}1" t="s"><v>{n}</v></c>' for n, letter in enumerate("ABCD", start=1))
    rows = "".join(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c></row>' for r in range(2, cells + 2))
    return raw_xlsx(f'<row r="1">{header}</row>{rows}', [text, "姓名", "证件类型", "证件号码", "性别"])


def long_cells_xlsx(rows, text_length=400, columns="ABCDE"):
    """`rows` rows below a header whose cells all hold one shared string of `text_length` characters: a
    few MB on disk, hundreds of MB once every cell is a copy."""
    headers = ["姓名", "证件类型", "证件号码", "性别", "手机号"][:len(columns)]
    header = "".join(f'<c r="{letter}1" t="s"><v>{n}</v></c>' for n, letter in enumerate(columns, start=1))
    body = "".join(f'<row r="{r}">' + "".join(f'<c r="{letter}{r}" t="s"><v>0</v></c>' for letter in columns) + "</row>"
                   for r in range(2, rows + 2))
    return raw_xlsx(f'<row r="1">{header}</row>{body}', ["长" * text_length] + headers)
