"""Every form is declared once and cleaned by one function (Column.check): for each declared field of each
form, a required value left out, text over the field's length limit and a control character are refused
with that field's own Chinese message, status 422, and nothing is stored. The import cleans through the
same columns, exports and error reports never fail on text stored before these rules, and a list's search
is cut to 100 characters."""
import io
from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace
from typing import Callable

import pytest
from openpyxl import load_workbook

from models import setting
from models.audit import AuditEvent
from models.award import RETURN_FORM, RETURNED, AwardRecord
from models.award_checks import resubmit_form
from models.award_fields import AWARD_SHEET
from models.candidate import Candidate
from models.candidate_fields import CANDIDATE_SHEET
from models.catalog import CERTIFICATE_FORM
from models.import_batch import ImportBatch
from models.pilot import PILOT_FORM, PilotCertificate
from models.quota import QUOTA_FORM, Quota
from models.setting import SETTINGS_FORM, Setting
from models.site import PENDING, REJECT_FORM, SITE_FORM, Site, site_form
from models.user import (ADMIN, CHANGE_PASSWORD_FORM, REVIEWER, SETUP_FORM, STAFF, USER_FORM, User,
                         password_form)
from sheets.spec import Column, Form
from tests import sheetfiles as sf
from tests.conftest import PASSWORD, other_candidates
from tests.test_identity import make_id

HX = {"HX-Request": "true"}
CONTROL = "控\x01制"
# The kinds of input a person types into: each declares how long its text may be.
TYPED = ("text", "textarea", "number", "date", "password", "tel")


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


class College(SimpleNamespace):
    """`world` and more, by attribute or, like `world`, by key."""

    def __getitem__(self, key):
        return getattr(self, key)


@pytest.fixture
def college(world, make_user):
    """What every form needs besides `world`: a site waiting for review, a record waiting and one returned,
    another user, and the pilot level a quota is recorded for."""
    site = Site.create(name="实训楼机房", certificate=world["cert"], levels="中级", region="河南省郑州市",
                       address="文化路2号", contact="周老师", phone="13800000001", seats=40, review_status=PENDING)
    waiting, returned = (AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级",
                                            site=world["site"], exam_date=date(2026, 6, 1), theory_score=80,
                                            practical_score=70)
                         for candidate in other_candidates(2))
    returned.status, returned.return_reason = RETURNED, "成绩有误"
    returned.save()
    return College(**world, pending_site=site, waiting=waiting, returned=returned,
                   other=make_user(STAFF, username="li"), quota=Quota.get(), pilot=PilotCertificate.get())


@dataclass
class Case:
    role: str
    url: Callable       # college -> the URL the form posts to
    form: Callable      # college -> the form's declaration, choices read
    valid: Callable     # college -> a submission that passes


CASES = {
    "申报考核站点": Case(STAFF, lambda c: "/sites/new", lambda c: site_form(c["cert"].id), lambda c: {
        "name": "图书馆机房", "certificate": str(c["cert"].id), "levels": ["中级"], "region": "河南省郑州市",
        "address": "文化路3号", "contact": "吴老师", "phone": "13812345678", "seats": "30", "note": "三楼"}),
    "审核不通过": Case(REVIEWER, lambda c: f"/sites/{c.pending_site.id}/reject", lambda c: REJECT_FORM,
                  lambda c: {"reason": "机位数不符"}),
    "添加证书": Case(ADMIN, lambda c: "/admin/certificates/new", lambda c: CERTIFICATE_FORM, lambda c: {
        "name": "物流管理", "organisation": "北京中物联物流采购培训中心", "levels": ["初级"], "pass_mark": "60",
        "code": "WL"}),
    "添加试点证书": Case(ADMIN, lambda c: "/admin/pilots", lambda c: PILOT_FORM.resolved(), lambda c: {
        "certificate": str(c["cert"].id), "levels": ["初级"], "since": "2024-09-01"}),
    "添加省厅指标": Case(ADMIN, lambda c: "/admin/quotas/", lambda c: QUOTA_FORM.resolved(), lambda c: {
        "pilot": str(c.pilot.id), "year": "2027", "document_no": "豫教职成〔2027〕1号", "amount": "10"}),
    "修改省厅指标": Case(ADMIN, lambda c: f"/admin/quotas/{c.quota.id}/edit",
                    lambda c: QUOTA_FORM.only("document_no", "amount"),
                    lambda c: {"document_no": "豫教职成〔2026〕13号", "amount": "5"}),
    "新增用户": Case(ADMIN, lambda c: "/admin/users/new", lambda c: USER_FORM.resolved(), lambda c: {
        "username": "zhao", "display_name": "赵老师", "role": STAFF, "organisation": "",
        "password": "long-enough-1", "password2": "long-enough-1"}),
    "修改用户": Case(ADMIN, lambda c: f"/admin/users/{c.other.id}/edit",
                 lambda c: USER_FORM.only("display_name", "role", "organisation").resolved(),
                 lambda c: {"display_name": "李老师", "role": STAFF, "organisation": ""}),
    "重置密码": Case(ADMIN, lambda c: f"/admin/users/{c.other.id}/password", lambda c: password_form(),
                 lambda c: {"password": "new-password-9", "password2": "new-password-9"}),
    "修改密码": Case(STAFF, lambda c: "/account/password", lambda c: CHANGE_PASSWORD_FORM, lambda c: {
        "current": PASSWORD, "password": "new-password-9", "password2": "new-password-9"}),
    "院校设置": Case(ADMIN, lambda c: "/admin/settings", lambda c: SETTINGS_FORM,
                 lambda c: dict(setting.stored(), college_name="郑州示范职业技术学院")),
    "退回": Case(REVIEWER, lambda c: "/awards/return", lambda c: RETURN_FORM,
               lambda c: {"ids": [str(c.waiting.id)], "reason": "考核日期有误"}),
    "修改后重新提交": Case(STAFF, lambda c: f"/awards/{c.returned.id}/resubmit", lambda c: resubmit_form(c.returned),
                    lambda c: {"site": str(c["site"].id), "exam_date": "2026-06-02", "theory_score": "85",
                               "practical_score": "70"}),
    "新增学生信息": Case(STAFF, lambda c: "/candidates/new", lambda c: CANDIDATE_SHEET.resolved(), lambda c: {
        "name": "王五", "id_type": "居民身份证", "id_number": make_id(seq="77"), "gender": "男",
        "phone": "13812345678", "department": "信息工程学院"}),
}


def stored():
    """Everything a form could store: the audit log records every change, and the rows it could add."""
    return (AuditEvent.select().count(), Candidate.select().count(), Site.select().count(),
            Setting.select().count(), User.select().count(), Quota.select().count(),
            PilotCertificate.select().count())


def bad_values(column):
    """(what is wrong, the raw value, the words the field's message must hold) for one column."""
    header = column.header
    if column.required:
        yield "missing", [] if column.multiple else "", f"{header}"
    if column.max_length:
        yield "too long", "字" * (column.max_length + 1), (
            f"{header}过长（{column.max_length + 1} 个字）；请控制在 {column.max_length} 个字以内")
    if not column.multiple and column.kind != "file":
        yield "control", CONTROL, f"{header}含有不可见的控制字符（U+0001）；请删除后重新输入"


@pytest.mark.parametrize("name", list(CASES))
def test_every_field_of_every_form_refuses_missing_too_long_and_control_characters(client, login, college, name):
    case = CASES[name]
    login(case.role)
    form, valid = case.form(college), case.valid(college)
    assert form.clean(valid)[1] == {}, "the valid submission passes"
    before = stored()
    tried = 0
    for column in form.columns:
        for fault, value, words in bad_values(column):
            response = client.post(case.url(college), data=dict(valid, **{column.key: value}), headers=HX)
            body = response.get_data(as_text=True)
            assert response.status_code == 422, (name, column.key, fault)
            assert f'msg-{column.key}"' in body and "<html" not in body
            message = body.split(f'msg-{column.key}" aria-live', 1)[1].split("</div>", 1)[0]
            if fault == "missing":  # "站点名称为必填项", or a setting's "院校名称：未填写"
                assert f"{words}为必填项" in message or f"{words}：未" in message, (name, column.key, message)
            else:
                assert words in message, (name, column.key, fault, message)
            assert stored() == before, (name, column.key, fault)
            tried += 1
    assert tried >= len(form.columns)


def test_the_first_run_setup_refuses_the_same_way(client):
    valid = {"username": "boss", "display_name": "王校长", "password": "longenough1", "password2": "longenough1"}
    for column in SETUP_FORM.columns:
        for fault, value, words in bad_values(column):
            response = client.post("/setup", data=dict(valid, **{column.key: value}))
            body = response.get_data(as_text=True)
            assert response.status_code == 422 and (words in body or f"{words}为必填项" in body), (column.key, fault)
            assert User.select().count() == 0


def test_every_typed_field_of_every_form_and_sheet_declares_its_length_limit():
    declarations = [SITE_FORM, REJECT_FORM, CERTIFICATE_FORM, PILOT_FORM, QUOTA_FORM, USER_FORM, password_form(),
                    SETUP_FORM, CHANGE_PASSWORD_FORM, SETTINGS_FORM, RETURN_FORM, CANDIDATE_SHEET, AWARD_SHEET]
    typed = [(column.header, column.max_length) for form in declarations for column in form.columns
             if column.kind in TYPED]
    assert len(typed) > 40 and all(limit for _, limit in typed), [h for h, limit in typed if not limit]
    assert CANDIDATE_SHEET.column("name").max_length == 30


def test_a_textarea_keeps_tabs_and_line_breaks_a_line_refuses_them():
    note = Column("note", "备注", max_length=500, input="textarea")
    assert note.check("第一行\r\n第二行\t完") == "第一行\r\n第二行\t完"
    name = Column("name", "姓名", max_length=30)
    for character, code in (("\n", "000A"), ("\t", "0009"), ("\x7f", "007F"), ("\x85", "0085"), ("\x9f", "009F")):
        with pytest.raises(ValueError, match=f"姓名含有不可见的控制字符（U\\+{code}）"):
            name.check(f"张{character}三")
    with pytest.raises(ValueError, match="U\\+0000"):
        note.check("a\x00b")
    # An Excel cell's trailing line break is trimmed away before it is looked at.
    assert Form((name,)).clean({"name": "  张三\n"}) == ({"name": "张三"}, {})


# ---- the import cleans through the same columns -------------------------------------------------------
def upload(client, data, name):
    return client.post("/imports/candidates", data={"file": (io.BytesIO(data), name)}, headers=HX,
                       content_type="multipart/form-data")


def test_an_import_refuses_a_control_character_and_an_over_long_name_naming_row_and_column(client, login):
    login(STAFF)
    rows = [sf.person(1, name=CONTROL), sf.person(2, name="张" * 31), sf.person(3)]
    body = upload(client, sf.csv_file(rows), "考生.csv").get_data(as_text=True)
    assert "姓名含有不可见的控制字符（U+0001）" in body and "请删除后重新输入" in body
    assert "姓名过长（31 个字）" in body and "请控制在 30 个字以内" in body
    assert Candidate.select().count() == 0


def test_a_nul_in_a_csv_row_is_refused_and_its_error_report_downloads(client, login):
    login(STAFF)
    # Past the first 4 KB, where a NUL would have the file refused as not text at all.
    rows = [sf.person(i) for i in range(60)] + [sf.person(60, department="信息\x00工程")]
    upload(client, sf.csv_file(rows), "考生.csv")
    batch = ImportBatch.select().order_by(ImportBatch.id.desc()).first()
    assert batch.errors == 1
    response = client.get(f"/imports/{batch.id}/report")
    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.data))["考生信息"]
    assert sheet["I2"].value == "信息\ufffd工程" and "U+0000" in sheet["I2"].comment.text


# ---- text stored before these rules never breaks an export -------------------------------------------
def test_exports_answer_200_for_a_candidate_stored_with_a_control_character(client, login, world):
    Candidate.update(name=CONTROL).where(Candidate.id == world["candidate"].id).execute()
    AwardRecord.create(candidate=world["candidate"], certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 6, 1))
    login(STAFF)
    response = client.get("/imports/candidates/export")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data))["考生信息"]["A2"].value == "控\ufffd制"
    response = client.get("/awards/export")
    assert response.status_code == 200
    assert load_workbook(io.BytesIO(response.data))["待颁证记录"]["A2"].value == "控\ufffd制"


# ---- a list's search is cut to 100 characters, and the list says so ------------------------------------
@pytest.mark.parametrize("role, url", [
    (STAFF, "/candidates/?q={}"),
    (STAFF, "/sites/?q={}"),
    (STAFF, "/awards/?q={}"),
    (ADMIN, "/admin/audit?user={}"),
])
def test_a_search_of_50000_characters_is_cut_to_100_and_the_list_says_so(client, login, world, role, url):
    login(role)
    response = client.get(url.format("张" * 50_000), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "搜索内容超过 100 个字，只按前 100 个字搜索" in body
    short = client.get(url.format("张" * 100), headers=HX).get_data(as_text=True)
    assert "搜索内容超过" not in short
