"""考生管理 routes: the list and its partials, 新增学生信息, 认证 / 批量认证, 人工确认, detail, delete, roles."""
import io
import json
import re
from datetime import date
from urllib.parse import unquote

import pytest
from openpyxl import load_workbook
from stdnum.cn import ric

from models.audit import AuditEvent
from models.award import AwardRecord
from models.identity import CHECK_DIGIT_PROBLEM, implied_by_number
from models.candidate import ACCURATE, PENDING, REJECTED, VERIFIED, Candidate

HX = {"HX-Request": "true"}


def valid_id(body="41010220030105123"):
    """An 18-digit ID with the right check character (the 17th digit, 3, is odd: 男)."""
    return body + ric.calc_check_digit(body + "0")  # it reads the first 17 of an 18-character number


def form(**overrides):
    data = {"name": "张三", "id_type": "居民身份证", "id_number": valid_id(), "gender": "男", "birth_date": "",
            "ethnicity": "汉族", "phone": "13812345678", "student_no": "2023010101", "department": "信息工程学院",
            "major": "计算机应用技术", "class_name": "计应2301", "education_level": "高职专科",
            "enrollment_year": "2023"}
    data.update(overrides)
    return data


@pytest.fixture
def staff(login):
    return login("staff")


@pytest.fixture
def make_candidate(app, make_user):
    """make_candidate(**fields) -> a Candidate registered through the model, in 待认证."""
    actor = make_user("admin", username="seeder")

    def make(status=PENDING, photo=None, **fields):
        values = {"name": "李四", "id_type": "居民身份证", "id_number": valid_id(), "gender": "男",
                  "phone": "13900001111", "department": "信息工程学院", "major": "软件技术", "class_name": "软件2301"}
        values.update(fields)
        born, gender = implied_by_number(values["id_type"], values["id_number"])
        values.setdefault("birth_date", born)
        if "gender" not in fields and gender:
            values["gender"] = gender
        candidate = Candidate.register(values, by=actor)
        if photo:
            candidate.set_photo(photo, by=actor)
        if status in (VERIFIED, REJECTED, ACCURATE):
            candidate.authenticate(by=actor)
            assert candidate.status == (REJECTED if status == REJECTED else VERIFIED)
        if status == ACCURATE:
            candidate.confirm(by=actor)
        return candidate
    return make


# ---- roles -----------------------------------------------------------------------------------------
def test_reviewer_may_not_open_candidate_management(client, login, make_candidate):
    candidate = make_candidate()
    login("reviewer")
    assert client.get("/candidates/").status_code == 403
    assert client.post(f"/candidates/{candidate.id}/authenticate", headers=HX).status_code == 403
    assert client.post("/candidates/new", data=form(), headers=HX).status_code == 403
    assert client.get(f"/candidates/{candidate.id}").status_code == 403
    assert client.delete(f"/candidates/{candidate.id}", headers=HX).status_code == 403
    assert Candidate.get_by_id(candidate.id).status == PENDING


@pytest.mark.parametrize("role", ["admin", "staff"])
def test_admin_and_staff_see_candidate_management_with_the_manuals_buttons(client, login, role):
    login(role)
    page = client.get("/candidates/").get_data(as_text=True)
    assert 'href="/candidates/"' in page  # in the navigation
    for label in ("新增学生信息", "批量认证", "考生管理"):
        assert label in page


# ---- the list --------------------------------------------------------------------------------------
def test_list_masks_id_numbers_and_shows_status_and_reasons(client, staff, make_candidate):
    make_candidate(name="王五", id_number=valid_id("41010520040203456"), gender="女", status=VERIFIED)
    bad = valid_id("41030220020304567")
    make_candidate(name="赵六", id_number=bad[:-1] + ("0" if bad[-1] != "0" else "1"), status=REJECTED)
    page = client.get("/candidates/").get_data(as_text=True)
    assert "410105********" in page and "41010520040203456" not in page
    assert "认证通过" in page and "认证未通过" in page
    assert CHECK_DIGIT_PROBLEM in page and "应为 " + bad[-1] not in page


def test_search_filters_and_partial_returns_only_the_results(client, staff, make_candidate):
    make_candidate(name="王五", id_number=valid_id("41010520040203456"))
    make_candidate(name="赵六", id_number=valid_id("41030220020304567"), department="经济管理学院")
    response = client.get("/candidates/?q=王", headers=HX)
    body = response.get_data(as_text=True)
    assert "<html" not in body
    assert "王五" in body and "赵六" not in body
    assert "HX-Request" in response.headers["Vary"]
    body = client.get("/candidates/?department=经济管理学院", headers=HX).get_data(as_text=True)
    assert "赵六" in body and "王五" not in body
    # A full request to the same URL is the whole page, filter kept.
    full = client.get("/candidates/?q=王").get_data(as_text=True)
    assert "<html" in full and 'value="王"' in full


def test_counts_per_status_follow_the_search_and_clicking_a_count_filters(client, staff, make_candidate):
    make_candidate(name="王五", id_number=valid_id("41010520040203456"), status=VERIFIED)
    make_candidate(name="王七", id_number=valid_id("41010520040203472"))
    make_candidate(name="赵六", id_number=valid_id("41030220020304567"))
    body = client.get("/candidates/counts?q=王", headers=HX).get_data(as_text=True)
    assert "<html" not in body
    assert 'value="待认证"' in body
    assert "全部 <span class=\"count\">2</span>" in body
    body = client.get("/candidates/?status=认证通过", headers=HX).get_data(as_text=True)
    assert "王五" in body and "王七" not in body and "赵六" not in body


def test_list_pages_fifty_rows_and_keeps_filters_in_the_pager_links(client, staff, make_candidate):
    rows = [dict(name="学生甲", id_type="护照", id_number=f"E{i:08d}", gender="男", phone="13900001111",
                 department="信息工程学院") for i in range(55)]
    Candidate.bulk_add(rows)
    body = client.get("/candidates/?department=信息工程学院").get_data(as_text=True)
    assert "共 55 名考生，第 1 / 2 页" in body
    assert "/candidates/?department=%E4%BF%A1%E6%81%AF%E5%B7%A5%E7%A8%8B%E5%AD%A6%E9%99%A2&amp;page=2" in body
    body = client.get("/candidates/?department=信息工程学院&page=2", headers=HX).get_data(as_text=True)
    assert body.count('class="row-check"') == 5


def test_sorting_by_name(client, staff, make_candidate):
    make_candidate(name="Anna Li", id_number=valid_id("41010520040203456"))
    make_candidate(name="Zoe Wang", id_number=valid_id("41030220020304567"))
    body = client.get("/candidates/?sort=name", headers=HX).get_data(as_text=True)
    assert body.index("Anna Li") < body.index("Zoe Wang")
    body = client.get("/candidates/?sort=-name", headers=HX).get_data(as_text=True)
    assert body.index("Zoe Wang") < body.index("Anna Li")


# ---- 新增学生信息 and edit ----------------------------------------------------------------------------
def test_new_dialog_has_every_field_with_a_label(client, staff):
    body = client.get("/candidates/new", headers=HX).get_data(as_text=True)
    assert "<html" not in body
    for label in ("姓名", "证件类型", "证件号码", "性别", "出生日期", "民族", "手机号", "学号", "院系", "专业",
                  "班级", "学历层次", "入学年份"):
        assert f">{label}</label>" in body, label
    assert 'for="f-id_number"' in body and 'class="required"' in body
    assert "保存" in body


def test_the_form_offers_the_departments_majors_and_classes_the_college_has(client, staff, make_candidate):
    make_candidate(department="信息工程学院", major="软件技术", class_name="软件2301", id_number=valid_id("41010220030105124"))
    make_candidate(department="经济管理学院", major="会计", class_name="会计2301", id_number=valid_id("41010220030105125"))
    candidate = make_candidate(department="信息工程学院", major="软件技术", class_name="软件2302")
    for url in ("/candidates/new", f"/candidates/{candidate.id}/edit"):
        body = client.get(url, headers=HX).get_data(as_text=True)
        assert 'list="suggest-department"' in body and 'list="suggest-class_name"' in body
        assert re.findall(r'<datalist id="suggest-department">(.*?)</datalist>', body) == [
            '<option value="经济管理学院"><option value="信息工程学院">']
    # New, nothing typed: the college's classes; the candidate's own: those of its 院系 and 专业.
    new, edit = (client.get(url, headers=HX).get_data(as_text=True)
                 for url in ("/candidates/new", f"/candidates/{candidate.id}/edit"))
    assert datalist(new, "class_name") == ["会计2301", "软件2301", "软件2302"]
    assert datalist(edit, "major") == ["软件技术"] and datalist(edit, "class_name") == ["软件2301", "软件2302"]
    # A field checked as the user leaves it comes back with its suggestions still attached.
    body = client.post("/candidates/validate/department", data=form(department="信息"), headers=HX).get_data(as_text=True)
    assert 'list="suggest-department"' in body


def datalist(body, key):
    """The values a datalist of the candidate form suggests."""
    found = re.findall(rf'<datalist id="suggest-{key}"(?: hx-swap-oob="true")?>(.*?)</datalist>', body)
    assert len(found) == 1, found
    return re.findall(r'<option value="([^"]*)">', found[0])


def test_a_changed_department_or_major_narrows_the_suggestions_after_it(client, staff, make_candidate):
    for n, (department, major, class_name) in enumerate((("信息工程学院", "软件技术", "软件2301"),
                                                         ("信息工程学院", "计算机应用技术", "计应2301"),
                                                         ("经济管理学院", "会计", "会计2301"))):
        make_candidate(department=department, major=major, class_name=class_name,
                       id_number=valid_id(f"41010220030105{n + 124}"))
    body = client.post("/candidates/validate/department", data=form(department="信息工程学院", major="", class_name=""),
                       headers=HX).get_data(as_text=True)
    assert datalist(body, "major") == ["计算机应用技术", "软件技术"]
    assert datalist(body, "class_name") == ["计应2301", "软件2301"]
    assert "suggest-department" not in body.replace('list="suggest-department"', "")  # its own: as it was
    body = client.post("/candidates/validate/major", data=form(department="信息工程学院", major="软件技术"),
                       headers=HX).get_data(as_text=True)
    assert datalist(body, "class_name") == ["软件2301"] and "suggest-major\"" not in body.replace('list="suggest-major"', "")
    # The 班级 and every other field say nothing of the suggestions.
    body = client.post("/candidates/validate/class_name", data=form(), headers=HX).get_data(as_text=True)
    assert "<datalist" not in body


def test_suggestions_are_bounded_and_hostile_values_narrow_to_nothing(client, staff):
    # 400 classes in one 院系, 5,000 in the college: a few hundred at most, whatever is typed.
    rows = [dict(name="学生甲", id_type="护照", id_number=f"E{i:08d}", gender="男", phone="13900001111",
                 department="信息工程学院" if i < 400 else f"学院{i % 20:02d}", major=f"专业{i % 7}",
                 class_name=f"班{i:04d}") for i in range(5000)]
    Candidate.bulk_add(rows)
    new = client.get("/candidates/new", headers=HX)
    assert len(datalist(new.get_data(as_text=True), "class_name")) == 300 and len(new.data) < 40_000
    body = client.post("/candidates/validate/department", data=form(department="信息工程学院", major="", class_name=""),
                       headers=HX).get_data(as_text=True)
    assert datalist(body, "major") == [f"专业{n}" for n in range(7)]
    classes = datalist(body, "class_name")
    assert len(classes) == 300 and all(int(c[1:]) < 400 for c in classes)
    for hostile in ("信" * 10_000, "信息工程学院\x00", "信息工程学院\x1b[2J", "没有这个学院", "<script>"):
        response = client.post("/candidates/validate/department", data=form(department=hostile, major="", class_name=""),
                               headers=HX)
        body = response.get_data(as_text=True)
        assert response.status_code == 200 and "<script>" not in body, repr(hostile[:20])
        assert datalist(body, "major") == [] and datalist(body, "class_name") == [], repr(hostile[:20])
    for hostile in ("专" * 10_000, "专业1\x07"):
        body = client.post("/candidates/validate/major", data=form(department="信息工程学院", major=hostile),
                           headers=HX).get_data(as_text=True)
        assert datalist(body, "class_name") == []
    # The dialog itself, opened again after a refused 保存 with such values, is as bounded.
    response = client.post("/candidates/new", data=form(department="信" * 10_000, class_name="班" * 10_000), headers=HX)
    assert response.status_code == 422 and len(datalist(response.get_data(as_text=True), "department")) == 21
    assert datalist(response.get_data(as_text=True), "class_name") == []


@pytest.mark.parametrize("key, label, typed", [("class_name", "班级", dict(class_name="软件2301")),
                                               ("major", "专业", dict(major="软件技术", class_name=""))])
def test_a_major_or_class_of_another_department_gets_a_hint_not_an_error(client, staff, make_candidate,
                                                                          key, label, typed):
    make_candidate(department="信息工程学院", major="软件技术", class_name="软件2301", id_number=valid_id("41010220030105124"))
    data = form(department="经济管理学院", **typed)
    body = client.post(f"/candidates/validate/{key}", data=data, headers=HX).get_data(as_text=True)
    assert (f'<p class="field-warn">提示：已有考生中，{label}「{typed[key]}」属于信息工程学院；'
            f'如是经济管理学院的新{label}，可忽略此提示</p>') in body
    assert "field-error" not in body and 'aria-invalid' not in body
    # Changing the 院系 says it again, or no longer, in the field's message alone (the input is left as it is).
    body = client.post("/candidates/validate/department", data=data, headers=HX).get_data(as_text=True)
    assert f'<div class="field-msg" id="msg-{key}" aria-live="polite" hx-swap-oob="true">' in body
    assert f"如是经济管理学院的新{label}" in body and f'id="f-{key}"' not in body
    body = client.post("/candidates/validate/department", data=dict(data, department="信息工程学院"),
                       headers=HX).get_data(as_text=True)
    assert f'id="msg-{key}"' in body and "提示" not in body
    # 保存 is not held back by it.
    assert client.post("/candidates/new", data=data, headers=HX).status_code == 204


def test_a_right_to_left_override_typed_into_a_field_is_not_stored_nor_turns_a_hint_around(client, staff, make_candidate):
    make_candidate(department="信息工程学院", major="软件技术", class_name="软件2301", id_number=valid_id("41010220030105124"))
    data = form(department="\u202e经济管理学院", major="软件技术", class_name="软件2301\u202e")
    for key in ("major", "class_name"):
        body = client.post(f"/candidates/validate/{key}", data=data, headers=HX).get_data(as_text=True)
        hint = re.search(r'<p class="field-warn">(.*?)</p>', body).group(1)
        assert hint.endswith("如是经济管理学院的新专业，可忽略此提示" if key == "major" else "如是经济管理学院的新班级，可忽略此提示")
        assert "\u202e" not in hint
    assert client.post("/candidates/new", data=data, headers=HX).status_code == 204
    stored = Candidate.get(Candidate.department != "信息工程学院")
    assert (stored.department, stored.class_name) == ("经济管理学院", "软件2301")


def test_the_form_helps_with_the_card_and_the_template_with_excel(client, staff):
    body = client.get("/candidates/new", headers=HX).get_data(as_text=True)
    assert "请对照证件逐位填写" in body and "Excel" not in body and "此列" not in body
    guide = load_workbook(io.BytesIO(client.get("/imports/candidates/template").data))["填写说明"]
    assert any("避免 Excel 把号码变成科学计数法" in str(cell.value) for row in guide.iter_rows() for cell in row)


def test_save_creates_the_candidate_in_pending_with_normalised_id_and_derived_birth_date(client, staff):
    number = valid_id()
    typed = "".join(chr(ord(ch) + 0xFEE0) for ch in number[:6]) + " " + number[6:]  # full-width digits, a space
    response = client.post("/candidates/new", data=form(id_number=typed), headers=HX)
    assert response.status_code == 204
    assert "closeDialog" in response.headers["HX-Trigger"] and "candidatesReload" in response.headers["HX-Trigger"]
    candidate = Candidate.get(Candidate.name == "张三")
    assert candidate.id_number == number and candidate.status == PENDING
    assert str(candidate.birth_date) == "2003-01-05"
    assert AuditEvent.select().where(AuditEvent.action == "candidate.create").count() == 1


def test_save_with_errors_returns_422_with_each_fields_message(client, staff):
    response = client.post("/candidates/new", data=form(name="", phone="12345", id_number="4.10102E+17"),
                           headers=HX)
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "姓名为必填项" in body
    assert "手机号「12345」格式不正确" in body
    assert "被 Excel 当作数字" in body
    assert 'aria-invalid="true"' in body and "<html" not in body
    assert Candidate.select().count() == 0


def test_save_refuses_a_duplicate_id(client, staff, make_candidate):
    make_candidate(id_number=valid_id())
    response = client.post("/candidates/new", data=form(), headers=HX)
    assert response.status_code == 422
    assert "该证件号码已存在（考生 李四）" in response.get_data(as_text=True)


def test_inline_validation_of_the_id_shows_birth_gender_and_check_character(client, staff):
    body = client.post("/candidates/validate/id_number", data=form(gender=""), headers=HX).get_data(as_text=True)
    assert "证件号码表示：2003-01-05 出生，男" in body
    assert 'id="field-birth_date" hx-swap-oob="true"' in body and 'value="2003-01-05"' in body
    assert 'id="field-gender" hx-swap-oob="true"' in body
    wrong = valid_id()[:-1] + ("0" if valid_id()[-1] != "0" else "1")
    body = client.post("/candidates/validate/id_number", data=form(id_number=wrong), headers=HX).get_data(as_text=True)
    assert CHECK_DIGIT_PROBLEM in body and "应为 " + valid_id()[-1] not in body
    body = client.post("/candidates/validate/phone", data=form(phone="123"), headers=HX).get_data(as_text=True)
    assert "手机号「123」格式不正确" in body and 'id="field-phone"' in body


def test_inline_validation_reports_an_existing_id(client, staff, make_candidate):
    make_candidate(id_number=valid_id())
    body = client.post("/candidates/validate/id_number", data=form(), headers=HX).get_data(as_text=True)
    assert "该证件号码已存在" in body


def test_edit_of_a_key_field_sends_the_candidate_back_to_pending(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED, name="李四")
    body = client.get(f"/candidates/{candidate.id}/edit", headers=HX).get_data(as_text=True)
    assert 'value="李四"' in body and "回到“待认证”" in body
    data = form(name="李思", id_number=candidate.id_number, phone="13900001111")
    response = client.post(f"/candidates/{candidate.id}/edit", data=data, headers=HX)
    assert response.status_code == 204
    candidate = Candidate.get_by_id(candidate.id)
    assert candidate.name == "李思" and candidate.status == PENDING
    event = AuditEvent.select().where(AuditEvent.action == "candidate.update").get()
    assert "需重新认证" in event.changes


def test_edit_of_other_fields_keeps_the_status(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED, name="李四")
    data = form(name="李四", id_number=candidate.id_number, phone="13700002222")
    assert client.post(f"/candidates/{candidate.id}/edit", data=data, headers=HX).status_code == 204
    assert Candidate.get_by_id(candidate.id).status == VERIFIED


# ---- 认证 and 批量认证 ---------------------------------------------------------------------------------
def test_authenticate_returns_the_updated_row_and_triggers_the_counts(client, staff, make_candidate):
    candidate = make_candidate()
    response = client.post(f"/candidates/{candidate.id}/authenticate", headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "<html" not in body and body.strip().startswith(f'<tr id="candidate-{candidate.id}"')
    assert "认证通过" in body and "人工确认" in body
    # Sent after the swap, as 删除's: heard even when the list was drawn again while the request was out.
    assert "candidatesChanged" in response.headers["HX-Trigger-After-Swap"] and "HX-Trigger" not in response.headers
    assert Candidate.get_by_id(candidate.id).status == VERIFIED


def notice_of(response, header="HX-Trigger-After-Swap"):
    return json.loads(response.headers[header])["notice"]["value"]


def test_authenticate_on_a_status_tab_it_leaves_removes_the_row_and_reads_the_list_again(client, staff, make_candidate):
    passing = make_candidate(name="王五", id_number=valid_id("41010520040203456"))
    number = valid_id("41030220020304567")
    failing = make_candidate(name="赵六", id_number=number[:-1] + ("0" if number[-1] != "0" else "1"), gender="男")
    response = client.post(f"/candidates/{passing.id}/authenticate", data={"status": PENDING}, headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    events = json.loads(response.headers["HX-Trigger-After-Swap"])
    assert events["candidatesReload"] and "HX-Trigger" not in response.headers
    assert events["notice"] == {"value": "王五：认证通过，已移到「认证通过」", "kind": "ok"}
    response = client.post(f"/candidates/{failing.id}/authenticate", data={"status": PENDING}, headers=HX)
    assert notice_of(response).startswith("赵六：认证未通过（证件号码校验位不符") and \
        notice_of(response).endswith("），已移到「认证未通过」")
    # On the tab it is on after all (认证未通过 again), and on 全部, the row stays and shows its new status.
    response = client.post(f"/candidates/{failing.id}/authenticate", data={"status": REJECTED}, headers=HX)
    assert response.get_data(as_text=True).strip().startswith(f'<tr id="candidate-{failing.id}"')
    assert "已移到" not in notice_of(response)
    other = make_candidate(name="孙八", id_number=valid_id("41130220010101234"))
    for tab in ("", "不是状态"):  # 全部, or a value no tab has (an old page): the row stays
        response = client.post(f"/candidates/{other.id}/authenticate", data={"status": tab}, headers=HX)
        assert f'<tr id="candidate-{other.id}"' in response.get_data(as_text=True) and "已移到" not in notice_of(response)
        Candidate.update(status=PENDING).where(Candidate.id == other.id).execute()


def test_the_row_sends_the_status_tab_with_authenticate_and_edit(client, staff, make_candidate):
    make_candidate()
    body = client.get("/candidates/", query_string={"status": PENDING}, headers=HX).get_data(as_text=True)
    assert body.count('hx-include="#counts [name=status]:checked"') == 1  # 认证
    assert body.count('hx-include="#counts [name=status]:checked, #filters [name=q]"') == 1  # 修改, and the search


def test_authenticate_failure_shows_every_reason_in_the_row(client, staff, make_candidate):
    candidate = make_candidate(gender="女", id_number=valid_id()[:-1] + "0" if valid_id()[-1] != "0" else "1")
    body = client.post(f"/candidates/{candidate.id}/authenticate", headers=HX).get_data(as_text=True)
    assert "认证未通过" in body
    assert "证件号码校验位不符" in body and "性别与证件号码不符" in body
    assert ">认证</button>" in body  # it may be authenticated again after a fix


def test_authenticate_is_refused_in_other_states(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED)
    response = client.post(f"/candidates/{candidate.id}/authenticate", headers=HX)
    assert response.status_code == 409
    assert "只有待认证或认证未通过的考生可以认证" in response.get_data(as_text=True)


def test_bulk_authenticate_ticked_rows_reports_passed_failed_and_skipped(client, staff, make_candidate):
    good = make_candidate(name="王五", id_number=valid_id("41010520040203456"), gender="女")
    bad = make_candidate(name="赵六", id_number=valid_id("41030220020304567")[:-1] + "X", gender="男")
    done = make_candidate(name="钱七", id_number=valid_id("41130220010101234"), status=VERIFIED)
    untouched = make_candidate(name="孙八", id_number=valid_id("41130220010101250"))
    if bad.id_number == valid_id("41030220020304567"):
        pytest.skip("the generated number happens to end in X")
    ids = [good.id, bad.id, done.id]
    dialog = client.get("/candidates/bulk-authenticate", query_string={"ids": ids}, headers=HX).get_data(as_text=True)
    assert "已勾选的 <strong>3</strong> 名考生" in dialog and "全部 <strong>4</strong> 名考生" in dialog
    response = client.post("/candidates/bulk-authenticate", data={"ids": ids, "scope": "selected"}, headers=HX)
    body = response.get_data(as_text=True)
    assert "认证通过 1 人，认证未通过 1 人，跳过 1 人（状态不是待认证或认证未通过）" in body
    assert "candidatesReload" in response.headers["HX-Trigger"]
    assert Candidate.get_by_id(untouched.id).status == PENDING
    assert Candidate.get_by_id(bad.id).status == REJECTED


def test_bulk_authenticate_all_rows_of_the_filter(client, staff, make_candidate):
    make_candidate(name="王五", id_number=valid_id("41010520040203456"), gender="女", department="经济管理学院")
    make_candidate(name="赵六", id_number=valid_id("41030220020304567"), department="经济管理学院")
    other = make_candidate(name="钱七", id_number=valid_id("41130220010101234"))
    dialog = client.get("/candidates/bulk-authenticate?department=经济管理学院", headers=HX).get_data(as_text=True)
    assert "全部 <strong>2</strong> 名考生" in dialog
    body = client.post("/candidates/bulk-authenticate", data={"department": "经济管理学院", "scope": "all"},
                       headers=HX).get_data(as_text=True)
    assert "认证通过 2 人，认证未通过 0 人，跳过 0 人" in body
    assert Candidate.get_by_id(other.id).status == PENDING


def test_an_edit_that_changes_the_status_says_so_and_whether_it_left_the_status_tab(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED, name="李四")
    body = client.get(f"/candidates/{candidate.id}/edit", query_string={"status": VERIFIED}, headers=HX).get_data(
        as_text=True)
    assert f'<input type="hidden" name="status" value="{VERIFIED}">' in body
    data = form(name="李思", id_number=candidate.id_number, phone="13900001111", status=VERIFIED)
    response = client.post(f"/candidates/{candidate.id}/edit", data=data, headers=HX)
    assert notice_of(response, "HX-Trigger") == "已保存 李思 的信息，已移到「待认证」，需重新认证"
    data = form(name="李思", id_number=candidate.id_number, phone="13900002222", status="")
    response = client.post(f"/candidates/{candidate.id}/edit", data=data, headers=HX)
    assert notice_of(response, "HX-Trigger") == "已保存 李思 的信息"  # the status as it was
    # A new photo of one 信息准确 sends it back to 认证通过.
    from io import BytesIO
    from models.photo import demo_jpeg
    confirmed = make_candidate(status=ACCURATE, photo="photos/x.jpg", name="王五", id_number=valid_id("41010520040203456"))
    data = form(name="王五", id_number=confirmed.id_number, gender=confirmed.gender, status=ACCURATE,
                photo=(BytesIO(demo_jpeg()), "photo.jpg"))
    response = client.post(f"/candidates/{confirmed.id}/edit", data=data, headers=HX, content_type="multipart/form-data")
    assert notice_of(response, "HX-Trigger") == \
        "已保存 王五 的信息；照片已保存，已移到「认证通过」，需重新人工确认"


def test_a_new_candidate_added_from_another_status_tab_says_the_tab_does_not_show_it(client, staff):
    body = client.get("/candidates/new", query_string={"status": ACCURATE}, headers=HX).get_data(as_text=True)
    assert f'<input type="hidden" name="status" value="{ACCURATE}">' in body
    response = client.post("/candidates/new", data=form(status=ACCURATE), headers=HX)
    assert notice_of(response, "HX-Trigger") == "已新增考生 张三，状态为待认证，不在「信息准确」列表中"
    for tab, number in ((PENDING, valid_id("41010520040203456")), ("", valid_id("41130220010101234"))):
        response = client.post("/candidates/new", data=form(name="李四", id_number=number, status=tab), headers=HX)
        assert notice_of(response, "HX-Trigger") == "已新增考生 李四，状态为待认证"


# ---- 人工确认 ------------------------------------------------------------------------------------------
def test_confirm_dialog_shows_the_full_id_audited_and_save_marks_accurate(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED, photo="photos/x.jpg")
    body = client.get(f"/candidates/{candidate.id}/confirm", headers=HX).get_data(as_text=True)
    assert candidate.id_number in body and "保存" in body and "<html" not in body
    assert AuditEvent.select().where(AuditEvent.action == "candidate.view_id").count() == 1
    response = client.post(f"/candidates/{candidate.id}/confirm", data={"status": VERIFIED}, headers=HX)
    assert response.status_code == 204
    assert "closeDialog" in response.headers["HX-Trigger"]
    # Confirmed from the 认证通过 tab, the candidate leaves it (the list is read again).
    assert notice_of(response, "HX-Trigger") == "李四 已人工确认，已移到「信息准确」"
    candidate = Candidate.get_by_id(candidate.id)
    assert candidate.status == ACCURATE and candidate.confirmed_by.username == "staff-user"


def test_confirm_without_photo_says_so_and_is_refused(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED)
    body = client.get(f"/candidates/{candidate.id}/confirm", headers=HX).get_data(as_text=True)
    assert "该考生还没有照片" in body
    response = client.post(f"/candidates/{candidate.id}/confirm", headers=HX)
    assert response.status_code == 409
    assert "请先上传照片" in response.get_data(as_text=True)
    assert Candidate.get_by_id(candidate.id).status == VERIFIED


def test_confirm_is_absent_and_refused_in_other_states(client, staff, make_candidate):
    candidate = make_candidate(photo="photos/x.jpg")
    row = client.get("/candidates/", headers=HX).get_data(as_text=True)
    assert "人工确认" not in row
    assert client.get(f"/candidates/{candidate.id}/confirm", headers=HX).status_code == 409
    response = client.post(f"/candidates/{candidate.id}/confirm", headers=HX)
    assert response.status_code == 409 and "只有认证通过的考生可以人工确认" in response.get_data(as_text=True)
    assert Candidate.get_by_id(candidate.id).status == PENDING


# ---- detail and delete -------------------------------------------------------------------------------
def test_detail_shows_full_id_missing_steps_and_timeline(client, staff, make_candidate):
    candidate = make_candidate(status=VERIFIED)
    body = client.get(f"/candidates/{candidate.id}").get_data(as_text=True)
    assert candidate.id_number in body
    assert "上传学生照片" in body and "人工确认" in body
    assert "新增考生" in body and "认证" in body
    assert '<span class="muted">测试admin</span>' in body and 'seeder' not in body  # display names, not logins
    assert AuditEvent.select().where(AuditEvent.action == "candidate.view_id").count() == 1


def test_delete_removes_the_row_and_is_audited(client, staff, make_candidate):
    candidate = make_candidate()
    response = client.delete(f"/candidates/{candidate.id}", headers=HX)
    assert response.status_code == 200 and response.get_data(as_text=True) == ""
    assert "candidatesReload" in response.headers["HX-Trigger-After-Swap"]
    assert Candidate.get_or_none(Candidate.id == candidate.id) is None
    assert AuditEvent.select().where(AuditEvent.action == "candidate.delete").count() == 1
    response = client.delete(f"/candidates/{candidate.id}", query_string={"from": "detail"}, headers=HX)
    assert response.status_code == 404


def reread(client, **shown):
    """The list part as the page asks for it again on `candidatesReload` (#results: the filter form, the
    page shown and reread=1), with the filters and page of `shown`: the response."""
    args = {"q": "", "status": "", "department": "", "major": "", "class_name": "", "has_photo": "",
            "sort": "-created_at", **shown, "reread": "1"}
    return client.get("/candidates/", query_string=args, headers=HX)


def reloaded_list(client, **shown):
    return reread(client, **shown).get_data(as_text=True)


def test_delete_reloads_the_list_part_as_a_reload_would_show_it(client, staff, make_candidate):
    # 21 of 信息工程学院, 20 a page: the one of 软件2302, added first, is alone on page 2.
    last = make_candidate(name="王五", id_number=valid_id("41010220030105001"), class_name="软件2302")
    for n in range(20):
        make_candidate(name="李四", id_number=valid_id(f"41010220030105{n + 100:03d}"))
    shown = {"department": "信息工程学院", "per_page": "20", "page": "2"}
    assert 'value="软件2302"' in reloaded_list(client, **shown)
    response = client.delete(f"/candidates/{last.id}", headers=HX)
    # The list part is asked for again (the event every other row action that changes the list sends),
    # not only the counts: a deleted row can empty the page and take a 班级 with it.
    assert "candidatesReload" in response.headers["HX-Trigger-After-Swap"]
    answer = reread(client, **shown)
    after, reloaded = answer.get_data(as_text=True), client.get("/candidates/", query_string=shown).get_data(as_text=True)
    for part in (after, reloaded):
        assert 'value="软件2302"' not in part and 'value="软件2301"' in part  # the 班级 choices
        assert "共 20 名考生，第 1 / 1 页" in part
        assert 'id="current-page" name="page" value="1"' in part
        assert part.count('class="row-check"') == 20 and "全部 <span class=\"count\">20</span>" in part
    # Read again after the user's own delete, page 2 was nobody's wish: no note, and the address follows the
    # page shown (replaced: the user went nowhere). Page 2 typed or bookmarked still says it is not there.
    assert "没有第 2 页" not in after and "没有第 2 页，已显示最后一页" in reloaded
    assert unquote(answer.headers["HX-Replace-Url"]) == "/candidates/?department=信息工程学院&per_page=20"
    assert "HX-Push-Url" not in answer.headers
    assert "HX-Replace-Url" not in reread(client, per_page="20", page="1").headers  # a page with rows: as it is
    make_candidate(name="王五", id_number=valid_id("41010220030105002"))
    assert unquote(reread(client, per_page="20", page="3").headers["HX-Replace-Url"]) == "/candidates/?per_page=20&page=2"

    # The last row of a search deleted: the list says nothing matches, as a reload does.
    one = Candidate.select().order_by(Candidate.id.desc()).first()
    assert reloaded_list(client, q=one.id_number).count('class="row-check"') == 1
    client.delete(f"/candidates/{one.id}", headers=HX)
    after = reloaded_list(client, q=one.id_number)
    assert "没有符合条件的考生" in after and 'class="row-check"' not in after and "全部 <span class=\"count\">0</span>" in after


def test_delete_from_the_detail_page_goes_back_to_the_list(client, staff, make_candidate):
    candidate = make_candidate()
    response = client.delete(f"/candidates/{candidate.id}", query_string={"from": "detail"}, headers=HX)
    assert response.headers["HX-Redirect"] == "/candidates/"


def test_delete_is_refused_while_the_candidate_has_a_certificate_record(client, staff, world):
    candidate = world["candidate"]
    AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 6, 1))
    response = client.delete(f"/candidates/{candidate.id}", headers=HX)
    assert response.status_code == 409
    assert response.get_data(as_text=True) == "该考生已有待颁证或已颁证记录，不能删除"
    assert Candidate.get_or_none(Candidate.id == candidate.id) is not None


# ---- the photo in the candidate form -------------------------------------------------------------------
def test_new_candidate_with_a_photo_stores_it_and_delete_removes_the_file(app, client, staff):
    from io import BytesIO
    from pathlib import Path
    from models.photo import demo_jpeg, photo_file
    data = dict(form(), photo=(BytesIO(demo_jpeg()), "photo.jpg"))
    response = client.post("/candidates/new", data=data, headers=HX, content_type="multipart/form-data")
    assert response.status_code == 204
    candidate = Candidate.get(Candidate.name == "张三")
    path = photo_file(app.config["DATA_DIR"], candidate.photo)
    assert path is not None and Path(path).exists()
    assert client.delete(f"/candidates/{candidate.id}", headers=HX).status_code == 200
    assert not Path(path).exists()


def test_a_photo_that_breaks_the_rules_is_refused_with_the_reason(client, staff):
    from io import BytesIO
    data = dict(form(), photo=(BytesIO(b"not a jpeg at all"), "photo.jpg"))
    response = client.post("/candidates/new", data=data, headers=HX, content_type="multipart/form-data")
    assert response.status_code == 422
    body = response.get_data(as_text=True)
    assert "照片不符合要求" in body
    candidate = Candidate.get(Candidate.name == "张三")  # the candidate itself was saved
    assert candidate.photo is None
    assert f"/candidates/{candidate.id}/edit" in body  # 保存 again edits it, never duplicates it


def test_a_department_no_one_has_gets_a_hint_naming_the_one_it_resembles(client, staff, make_candidate):
    make_candidate(department="信息工程学院", major="软件技术", class_name="软件2301", id_number=valid_id("41010220030105124"))
    body = client.post("/candidates/validate/department", data=form(department="信息工程学员", major="", class_name=""),
                       headers=HX).get_data(as_text=True)
    assert ('<p class="field-warn">提示：已有考生中没有院系「信息工程学员」，是否为「信息工程学院」？如是新院系，可忽略此提示</p>'
            in body)
    assert "field-error" not in body
    body = client.post("/candidates/validate/department", data=form(department="护理学院", major="", class_name=""),
                       headers=HX).get_data(as_text=True)
    assert "提示：已有考生中没有院系「护理学院」；如是新院系，可忽略此提示" in body
    body = client.post("/candidates/validate/department", data=form(department="信息工程学院", major="", class_name=""),
                       headers=HX).get_data(as_text=True)
    assert "没有院系" not in body
