"""The hostile-file corpus: spreadsheets and photo ZIPs made wrong on purpose, each generated here (nothing
checked in), each uploaded through the real view. Every case ends with what a user should see — a
Chinese message that says what to fix, or a correct import — and the server keeps serving.

    python -m pytest tests/test_hostile_corpus.py          (the whole corpus; docs/security.md lists it)
"""
import io
import stat
import struct
import zipfile
import zlib

import pytest
from openpyxl import Workbook
from openpyxl.drawing.image import Image as SheetImage
from PIL import Image

from models import setting
from models.candidate import VERIFIED, Candidate
from models.import_batch import CHECKING, IMPORTED, REFUSED, REVIEW, SAVING, ImportBatch
from models.job import Job
from models.photo import demo_jpeg
from models.user import STAFF
from tests import sheetfiles as sf

ID = "11010120030105123X"


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


# ---- how the files are made ---------------------------------------------------------------------------
def rows(n=2, **changes):
    return [sf.person(i, **changes) for i in range(1, n + 1)]


def workbook(build, title="考生信息"):
    """An .xlsx whose data sheet `build(workbook, sheet)` fills after the template's header row."""
    book = Workbook()
    sheet = book.active
    sheet.title = title
    sheet.append(sf.headers())
    build(book, sheet)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def appended(lines):
    def build(book, sheet):
        for line in lines:
            sheet.append(line)
    return build


def grid(people):
    return [[person[c.key] for c in sf.CANDIDATES.columns] for person in people]


def zipped(parts):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in parts.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def replaced_part(data, name, change):
    """The .xlsx `data` with its part `name` passed through change(bytes) -> bytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as source:
        parts = {info.filename: source.read(info.filename) for info in source.infolist()}
    parts[name] = change(parts[name])
    return zipped(parts)


def declared_size(data, name, size):
    """A zip bomb as the pre-check sees one: the central directory says part `name` inflates to `size`."""
    data = bytearray(data)
    at = data.find(b"PK\x01\x02")
    while at != -1:
        length = struct.unpack_from("<H", data, at + 28)[0]
        if data[at + 46:at + 46 + length] == name.encode():
            struct.pack_into("<I", data, at + 24, size)
        at = data.find(b"PK\x01\x02", at + 4)
    return bytes(data)


LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lollollollollollollollollollol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;") * 10)
                     for n in range(1, 10))
          + b"]>")


def billion_laughs(part):
    def change(xml):
        body = xml.split(b"?>", 1)[-1]
        return LAUGHS + body.replace(b"<t>", b"<t>&lol9;", 1) if part.endswith("sharedStrings.xml") else (
            LAUGHS + body.replace(b'name="', b'name="&lol9;', 1))
    return change


def external_entity(xml):
    body = xml.split(b"?>", 1)[-1]
    return b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + body.replace(
        b'name="', b'name="&e;', 1)


def with_image():
    def build(book, sheet):
        for line in grid(rows()):
            sheet.append(line)
        picture = io.BytesIO()
        Image.new("RGB", (40, 40), "red").save(picture, "PNG")
        sheet.add_image(SheetImage(picture), "O2")
    return workbook(build)


def hidden_first_sheet():
    def build(book, sheet):
        sheet.sheet_state = "hidden"
        sheet.title = "旧数据"
        visible = book.create_sheet("名单")
        visible.append(sf.headers())
        for line in grid(rows()):
            visible.append(line)
    return workbook(build)


def many_sheets(count):
    def build(book, sheet):
        for line in grid(rows()):
            sheet.append(line)
        for n in range(count):
            book.create_sheet(f"空白{n}")
    return workbook(build)


def merged_cells():
    def build(book, sheet):
        for line in grid(rows(3, department="信息工程学院")):
            sheet.append(line)
        sheet.merge_cells("I2:I4")  # 院系 typed once across three rows
    return workbook(build)


def formulas():
    def build(book, sheet):
        line = grid(rows(1))[0]
        line[0] = '=HYPERLINK("http://example.com","张三")'
        sheet.append(line)
    return workbook(build)


def far_column():
    def build(book, sheet):
        for line in grid(rows()):
            sheet.append(line)
        sheet["IW2"] = "x"  # column 257, one past Excel 97-2003's last
    return workbook(build)


def control_character_xlsx():
    """姓名 张\x01三 as Excel writes a control character in a cell: _x0001_."""
    person = sf.person(1, name="张_x0001_三")
    keys = ["name", "id_type", "id_number", "gender", "phone"]
    shared = [sf.CANDIDATES.column(key).header for key in keys] + [person[key] for key in keys]
    cells = ["".join(f'<c r="{letter}{row}" t="s"><v>{offset + n}</v></c>' for n, letter in enumerate("ABCDE"))
             for row, offset in ((1, 0), (2, 5))]
    return sf.raw_xlsx(f'<row r="1">{cells[0]}</row><row r="2">{cells[1]}</row>', shared)


def text(data, encoding="utf-8"):
    return data.encode(encoding)


def csv_of(people, delimiter=",", encoding="utf-8", bom=b""):
    lines = [delimiter.join(sf.headers())] + [delimiter.join(line) for line in grid(people)]
    return bom + "\r\n".join(lines).encode(encoding)


GOOD = sf.xlsx(rows())
IMPORTED_2 = "成功导入 2 条"
NOT_A_WORKBOOK = "不是有效的 Excel 工作簿"

# (id, file bytes, file name, what the user must read in the status block)
SHEETS = [
    ("empty-xlsx", lambda: b"", "名单.xlsx", "文件是空的（0 字节）"),
    ("empty-csv", lambda: b"", "名单.csv", "文件是空的（0 字节）"),
    ("text-named-xlsx", lambda: text("姓名,证件号码\n张三,1"), "名单.xlsx", "内容不是 Excel 工作簿"),
    ("xlsx-named-csv", lambda: GOOD, "名单.csv", "内容是 Excel 工作簿：请把扩展名改为 .xlsx"),
    ("txt-extension", lambda: GOOD, "名单.txt", "不支持的文件类型「.txt」"),
    ("no-extension", lambda: GOOD, "名单", "不支持的文件类型「（无扩展名）」"),
    ("exe-extension", lambda: b"MZ\x90\x00" + b"\0" * 200, "名单.exe", "不支持的文件类型「.exe」"),
    ("xls-junk-after-ole-magic", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x07" * 4000, "名单.xls", NOT_A_WORKBOOK),
    ("xls-random-bytes", lambda: bytes(range(256)) * 20, "名单.xls", "内容不是 Excel 工作簿"),
    ("ole-container-named-xlsx", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 4000, "名单.xlsx", NOT_A_WORKBOOK),
    ("zip-magic-then-junk", lambda: b"PK\x03\x04" + b"\x01" * 3000, "名单.xlsx", NOT_A_WORKBOOK),
    ("truncated-xlsx", lambda: GOOD[:len(GOOD) // 2], "名单.xlsx", NOT_A_WORKBOOK),
    ("zip-without-workbook", lambda: zipped({"hello.txt": "你好"}), "名单.xlsx", NOT_A_WORKBOOK),
    ("zip-of-a-docx-like-part", lambda: zipped({"word/document.xml": "<w/>", "[Content_Types].xml": "<Types/>"}),
     "名单.xlsx", NOT_A_WORKBOOK),
    ("shared-strings-bomb-declared", lambda: declared_size(sf.shared_string_xlsx("张三", 2), "xl/sharedStrings.xml",
                                                           3_000_000_000), "名单.xlsx", "解压后有"),
    ("sheet-bomb-declared", lambda: declared_size(GOOD, "xl/worksheets/sheet1.xml", 4_000_000_000), "名单.xlsx", "解压后有"),
    ("billion-laughs-in-shared-strings", lambda: replaced_part(
        sf.raw_xlsx('<row r="1"><c r="A1" t="s"><v>0</v></c></row>', ["姓名"]), "xl/sharedStrings.xml",
        billion_laughs("xl/sharedStrings.xml")), "名单.xlsx", "文件无法读取"),
    ("billion-laughs-in-workbook-xml", lambda: replaced_part(GOOD, "xl/workbook.xml", billion_laughs("xl/workbook.xml")),
     "名单.xlsx", "文件无法读取"),
    ("external-entity-in-workbook-xml", lambda: replaced_part(GOOD, "xl/workbook.xml", external_entity),
     "名单.xlsx", "文件无法读取"),
    ("value-in-XFD1048576", sf.far_value_xlsx, "名单.xlsx", "工作表范围异常（XFD1048576）"),
    ("value-in-column-IW", far_column, "名单.xlsx", "工作表范围异常（IW"),
    ("dimension-of-3M-rows", lambda: sf.claiming_rows_xlsx(3_000_000), "名单.xlsx", "内容一直到第 3,000,000 行"),
    ("far-cell-hidden-from-precheck", sf.hidden_far_value_xlsx, "名单.xlsx", "读取时所需内存超过 1 GB 的上限"),
    ("cell-of-40000-chars", lambda: sf.shared_string_xlsx("x" * 40_000, 2), "名单.xlsx", "超过 Excel 单元格 32,767 个字符的上限"),
    ("header-only-xlsx", lambda: sf.xlsx([]), "名单.xlsx", "文件只有表头"),
    ("blank-sheet", lambda: sf.raw_xlsx(""), "名单.xlsx", "工作表是空的"),
    ("missing-required-columns", lambda: sf.xlsx(rows(), keys=["name", "phone"]), "名单.xlsx", "缺少必填列"),
    ("header-twice", lambda: sf.xlsx(rows(), header=sf.headers()[:-1] + ["姓名"]), "名单.xlsx", "出现了两次"),
    ("formula-cell", formulas, "名单.xlsx", "姓名为必填项"),  # no cached result: nothing is evaluated
    ("merged-cells", merged_cells, "名单.xlsx", "成功导入 3 条"),  # as Excel shows it: 院系 in the first row
    ("hidden-first-sheet", hidden_first_sheet, "名单.xlsx", IMPORTED_2),
    ("two-hundred-sheets", lambda: many_sheets(200), "名单.xlsx", IMPORTED_2),
    ("image-in-sheet", with_image, "名单.xlsx", IMPORTED_2),
    ("xlsm-extension", lambda: GOOD, "名单.xlsm", IMPORTED_2),
    ("xls-biff8", lambda: sf.xls(rows()), "名单.xls", IMPORTED_2),
    ("id-stored-as-number", lambda: sf.xlsx([sf.person(1, id_number=float(sf.id_number(1)[:-1]))]),
     "名单.xlsx", "证件号码被 Excel 当作数字"),
    ("control-character-in-name", lambda: control_character_xlsx(), "名单.xlsx", "姓名含有不可见的控制字符（U+0001）"),
    ("csv-utf8", lambda: csv_of(rows()), "名单.csv", IMPORTED_2),
    ("csv-utf8-bom", lambda: csv_of(rows(), bom=b"\xef\xbb\xbf"), "名单.csv", IMPORTED_2),
    ("csv-gbk", lambda: csv_of(rows(), encoding="gbk"), "名单.csv", IMPORTED_2),
    ("csv-utf16-bom", lambda: csv_of(rows(), encoding="utf-16"), "名单.csv", IMPORTED_2),
    ("csv-semicolons", lambda: csv_of(rows(), delimiter=";"), "名单.csv", IMPORTED_2),
    ("csv-tabs", lambda: csv_of(rows(), delimiter="\t"), "名单.csv", IMPORTED_2),
    ("csv-nul-at-start", lambda: b"\0\0\0" + csv_of(rows()), "名单.csv", "文件不是文本格式的 CSV"),
    # Past the first 4 KB, where the "is it text" check looks.
    ("csv-nul-in-a-cell", lambda: csv_of(rows(2, major="计" * 1500) + [sf.person(3, major="计算机\0应用")]), "名单.csv",
     "专业含有不可见的控制字符（U+0000）"),
    ("csv-undecodable-bytes", lambda: csv_of(rows()) + b"\r\n\xff\xfe\xfa\x80\x81", "名单.csv", "无法识别文件编码"),
    ("csv-cell-over-field-limit", lambda: csv_of(rows(2, major="计" * 140_000)), "名单.csv", "个字符，超过 Excel 单元格"),
    ("csv-unbalanced-quote", lambda: csv_of(rows()) + b'\r\n"' + b"x" * 200_000, "名单.csv", "第 4 行无法按 CSV 格式读取"),
    # A quote never closed took every line after it into one cell: those rows were silently not imported.
    ("csv-quote-never-closed", lambda: csv_of(rows()) + b'\r\n"unterminated,x\r\n' + csv_of(rows(1)).split(b"\r\n")[1],
     "名单.csv", "第 4 行无法按 CSV 格式读取"),
    ("csv-bare-cr-lines", lambda: csv_of(rows()).replace(b"\r\n", b"\r"), "名单.csv", IMPORTED_2),
    ("csv-thousand-junk-columns", lambda: b",".join([",".join(sf.headers()).encode()] + [b"X%d" % n for n in range(1000)])
     + b"\r\n" + b"\r\n".join(line.encode() for line in (",".join(cells) for cells in grid(rows()))),
     "名单.csv", "以下列不在模板中，已忽略"),
    ("csv-header-only", lambda: csv_of([]), "名单.csv", "文件只有表头"),
    ("csv-formula-injection", lambda: csv_of(rows(1, name="=cmd|' /C calc'!A0")), "名单.csv", "姓名须为 2–30 个汉字"),
    ("csv-huge-row-count", lambda: csv_of(rows(1)) + b"\r\n" + b"\r\n".join([csv_of(rows(1)).split(b"\r\n")[1]] * 30),
     "名单.csv", "超过 20 行的上限"),
]


def upload(client, data, name, kind="candidates"):
    return client.post(f"/imports/{kind}", data={"file": (io.BytesIO(data), name)},
                       headers={"HX-Request": "true"}, content_type="multipart/form-data")


@pytest.mark.parametrize("make, name, expected", [case[1:] for case in SHEETS], ids=[case[0] for case in SHEETS])
def test_a_hostile_spreadsheet_ends_with_what_the_user_should_read(app, client, login, make, name, expected):
    login(STAFF)
    setting.put("import_max_rows", "20")
    body = upload(client, make(), name).get_data(as_text=True)
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).get()
    assert batch.status not in (CHECKING, SAVING)
    assert expected in body, batch.message
    assert "内部错误" not in body and "Traceback" not in body
    if batch.status == REFUSED:
        assert batch.message and batch.message in body
    else:
        assert batch.status in (IMPORTED, REVIEW)
    assert app.test_client().get("/login").status_code == 200


# ---- photo ZIPs (上传学生照片) ------------------------------------------------------------------------
def photo_zip(entries):
    """entries: [(name or ZipInfo, bytes)]"""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in entries:
            archive.writestr(name, data)
    return out.getvalue()


def symlink(name, target):
    info = zipfile.ZipInfo(name)
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def png_bomb():
    """A PNG header claiming 60,000 × 60,000 pixels around a few bytes of data."""
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 60_000, 60_000, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(b"\0" * 1000)) + chunk(b"IEND", b""))


def jpeg_claiming(width, height):
    """A valid JPEG whose frame header is rewritten to claim width × height."""
    data = bytearray(demo_jpeg())
    at = data.find(b"\xff\xc0")
    struct.pack_into(">HH", data, at + 5, height, width)
    return bytes(data)


def cmyk_jpeg():
    out = io.BytesIO()
    Image.open(io.BytesIO(demo_jpeg())).convert("CMYK").save(out, "JPEG", quality=90)
    return out.getvalue()


def encrypted_entry():
    data = bytearray(photo_zip([(f"{ID}.jpg", demo_jpeg())]))
    data[6] |= 1  # the local header's "encrypted" flag
    central = data.rfind(b"PK\x01\x02")
    data[central + 8] |= 1
    return bytes(data)


# (id, the ZIP's bytes, its name, {entry name: (result, a word of its detail)} or the job's message)
PHOTOS = [
    ("zip-slip-names", lambda: photo_zip([("../../x.jpg", demo_jpeg()), (f"../../{ID}.jpg", demo_jpeg(seed=2))]),
     {"../../x.jpg": ("格式不符", "不是证件号码"), f"../../{ID}.jpg": ("已更新", "")}),
    ("absolute-path", lambda: photo_zip([(f"/etc/{ID}.jpg", demo_jpeg())]), {f"/etc/{ID}.jpg": ("已更新", "")}),
    ("symlink-entry", lambda: photo_zip([symlink(f"{ID}.jpg", "/etc/passwd")]), {f"{ID}.jpg": ("格式不符", "")}),
    ("png-decompression-bomb", lambda: photo_zip([(f"{ID}.jpg", png_bomb())]), {f"{ID}.jpg": ("格式不符", "")}),
    ("jpeg-claiming-huge-dimensions", lambda: photo_zip([(f"{ID}.jpg", jpeg_claiming(60_000, 60_000))]),
     {f"{ID}.jpg": ("格式不符", "")}),
    ("truncated-jpeg", lambda: photo_zip([(f"{ID}.jpg", demo_jpeg()[:40_000])]), {f"{ID}.jpg": ("格式不符", "已损坏")}),
    ("cmyk-jpeg", lambda: photo_zip([(f"{ID}.jpg", cmyk_jpeg())]), {f"{ID}.jpg": ("可自动修正", "")}),
    ("zero-byte-entry", lambda: photo_zip([(f"{ID}.jpg", b"")]), {f"{ID}.jpg": ("格式不符", "")}),
    ("text-named-jpg", lambda: photo_zip([(f"{ID}.jpg", b"hello" * 10_000)]), {f"{ID}.jpg": ("格式不符", "")}),
    ("zip-inside-zip", lambda: photo_zip([("里面.zip", photo_zip([(f"{ID}.jpg", demo_jpeg())]))]),
     {"里面.zip": ("格式不符", "")}),
    ("control-characters-in-name", lambda: photo_zip([(f"{ID}\x01.jpg", demo_jpeg())]),
     {f"{ID}\x01.jpg": ("格式不符", "")}),
    ("deflate-bomb-entry", lambda: zipped({f"{ID}.jpg": b"\0" * (30 * 1024 * 1024)}), {f"{ID}.jpg": ("格式不符", "压缩炸弹")}),
    ("encrypted-entry", encrypted_entry, {f"{ID}.jpg": ("格式不符", "")}),
    ("only-folders", lambda: photo_zip([("照片/", b""), ("照片/计应/", b"")]), "没有"),
    ("empty-zip", lambda: photo_zip([]), "压缩包是空的"),
    ("truncated-zip", lambda: photo_zip([(f"{ID}.jpg", demo_jpeg())])[:5000], "不是有效的 ZIP 压缩包"),
    ("more-entries-than-allowed", lambda: photo_zip([(f"{n:018d}.jpg", b"x") for n in range(30)]), "上限"),
]


@pytest.mark.parametrize("make, expected", [case[1:] for case in PHOTOS], ids=[case[0] for case in PHOTOS])
def test_a_hostile_photo_zip_ends_with_what_the_user_should_read(app, client, login, make, expected, tmp_path):
    login(STAFF)
    setting.put("photo_zip_max_files", "20")
    candidate = Candidate.create(name="张三", id_type="居民身份证", id_number=ID, gender="男", phone="13812345678",
                                 status=VERIFIED)
    response = client.post("/photos/upload", data={"file": (io.BytesIO(make()), "照片.zip")},
                           content_type="multipart/form-data", headers={"HX-Request": "true"})
    body = response.get_data(as_text=True)
    assert "内部错误" not in body and "Traceback" not in body
    job = Job.select().order_by(Job.id.desc()).first()
    if isinstance(expected, str):
        assert expected in body
    else:
        assert job.finished
        found = {row["file"]: (row["result"], row["detail"]) for row in job.data["rows"]}
        for name, (result, word) in expected.items():
            assert found[name][0] == result and word in found[name][1], found
        attached = Candidate.get_by_id(candidate.id).photo is not None
        assert attached == any(result == "已更新" for result, _ in expected.values())
    assert app.test_client().get("/login").status_code == 200
