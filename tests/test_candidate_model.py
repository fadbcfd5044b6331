"""The candidate status machine: every transition, every refusal, every audit event."""
from datetime import date

import pytest

from models.audit import AuditEvent
from models.award import RETURNED, AwardRecord
from models.candidate import (ACCURATE, PENDING, REJECTED, VERIFIED, Candidate, TransitionError)
from models.candidate_fields import CANDIDATE_SHEET
import models.candidate as candidate_module
from models.db import db, update_rows
from models.identity import CHECK_DIGIT_PROBLEM
from models.user import STAFF
from tests.test_identity import make_id


@pytest.fixture
def staff(make_user):
    return make_user(STAFF)


def new_candidate(staff, **overrides):
    raw = {"name": "张三", "id_type": "居民身份证", "id_number": make_id(), "gender": "男", "phone": "13812345678",
           **overrides}
    values, errors = CANDIDATE_SHEET.clean(raw)
    assert errors == {}
    return Candidate.register(values, staff)


def events(candidate):
    return [e.action for e in AuditEvent.for_object("candidate", candidate.id)][::-1]


def test_clean_candidate_reports_every_error_with_a_fix():
    values, errors = CANDIDATE_SHEET.clean({"name": "", "id_type": "身份证", "id_number": "4.10102E+17", "gender": "未知",
                                      "phone": "123", "birth_date": "2003/13/40"})
    assert set(errors) == {"name", "id_number", "gender", "phone", "birth_date"}
    assert values["id_type"] == "居民身份证"  # alias accepted
    assert all(e.problem and e.fix for e in errors.values())


def test_clean_candidate_derives_birth_date_from_the_id():
    values, errors = CANDIDATE_SHEET.clean({"name": "张三", "id_type": "居民身份证", "id_number": make_id(), "gender": "男",
                                      "phone": "13812345678"})
    assert errors == {} and values["birth_date"] == date(2003, 1, 5)


def test_new_candidate_is_pending_and_audited(staff):
    candidate = new_candidate(staff)
    assert candidate.status == PENDING
    assert events(candidate) == ["candidate.create"]
    assert "********" in str(candidate)


def test_authenticate_valid_candidate_passes(staff):
    candidate = new_candidate(staff)
    assert candidate.authenticate(staff) is True
    assert Candidate.get_by_id(candidate.id).status == VERIFIED
    assert events(candidate) == ["candidate.create", "candidate.authenticate"]


def test_authenticate_records_every_reason(staff):
    number = make_id()
    wrong = number[:-1] + ("0" if number[-1] != "0" else "1")
    candidate = new_candidate(staff, id_number=wrong, gender="女")
    assert candidate.authenticate(staff) is False
    stored = Candidate.get_by_id(candidate.id)
    assert stored.status == REJECTED
    assert stored.reasons == [CHECK_DIGIT_PROBLEM, "性别与证件号码不符（证件号码表示男）"]


def test_rejected_candidate_edited_goes_back_to_pending_and_can_pass(staff):
    candidate = new_candidate(staff, gender="女")
    candidate.authenticate(staff)
    assert candidate.status == REJECTED
    values, _ = CANDIDATE_SHEET.clean({**candidate.field_values(), "gender": "男"})
    assert candidate.edit(values, staff) is True
    assert candidate.status == PENDING and candidate.reasons == []
    assert candidate.authenticate(staff) is True


def test_authenticate_is_refused_in_other_states(staff):
    candidate = new_candidate(staff)
    candidate.authenticate(staff)
    with pytest.raises(TransitionError, match="只有待认证或认证未通过的考生可以认证"):
        candidate.authenticate(staff)


def test_confirm_needs_verified_and_photo(staff):
    candidate = new_candidate(staff)
    with pytest.raises(TransitionError, match="只有认证通过的考生可以人工确认"):
        candidate.confirm(staff)
    candidate.authenticate(staff)
    with pytest.raises(TransitionError, match="请先上传照片"):
        candidate.confirm(staff)
    candidate.set_photo("ab/abc.jpg", staff)
    candidate.confirm(staff)
    stored = Candidate.get_by_id(candidate.id)
    assert stored.status == ACCURATE and stored.confirmed_by_id == staff.id and stored.confirmed_at


def test_key_field_change_sends_accurate_candidate_back_with_reason(staff):
    candidate = new_candidate(staff)
    candidate.authenticate(staff)
    candidate.set_photo("ab/abc.jpg", staff)
    candidate.confirm(staff)
    values, _ = CANDIDATE_SHEET.clean({**candidate.field_values(), "name": "张三丰"})
    candidate.edit(values, staff)
    assert candidate.status == PENDING and candidate.confirmed_by is None
    event = AuditEvent.for_object("candidate", candidate.id).first()
    changes = dict((field, after) for field, _, after in event.change_list)
    assert changes["状态"] == PENDING and "修改了姓名" in changes["原因"]


def test_non_key_field_change_keeps_status(staff):
    candidate = new_candidate(staff)
    candidate.authenticate(staff)
    values, _ = CANDIDATE_SHEET.clean({**candidate.field_values(), "class_name": "计应2302"})
    candidate.edit(values, staff)
    assert candidate.status == VERIFIED


def test_unchanged_edit_writes_nothing(staff):
    candidate = new_candidate(staff)
    values, _ = CANDIDATE_SHEET.clean(candidate.field_values())
    assert candidate.edit(values, staff) is False
    assert events(candidate) == ["candidate.create"]


def test_new_photo_on_accurate_candidate_needs_confirmation_again(staff):
    candidate = new_candidate(staff)
    candidate.authenticate(staff)
    candidate.set_photo("ab/one.jpg", staff)
    candidate.confirm(staff)
    candidate.set_photo("ab/two.jpg", staff)
    assert Candidate.get_by_id(candidate.id).status == VERIFIED
    assert events(candidate)[-1] == "candidate.photo"


def test_set_photo_many_is_set_photo_for_each(staff):
    accurate, plain, same = (new_candidate(staff, id_number=make_id(seq=f"{i:02d}")) for i in (1, 2, 3))
    accurate.authenticate(staff)
    accurate.set_photo("ab/old.jpg", staff)
    accurate.confirm(staff)
    same.set_photo("ab/same.jpg", staff)
    with db.atomic():
        replaced = Candidate.set_photo_many({accurate.id: "ab/new1.jpg", plain.id: "ab/new2.jpg",
                                             same.id: "ab/same.jpg"}, staff)
    assert replaced == ["ab/old.jpg"]
    again = Candidate.get_by_id(accurate.id)
    assert (again.photo, again.status, again.confirmed_by, again.confirmed_at) == ("ab/new1.jpg", VERIFIED, None, None)
    assert again.updated_at >= again.created_at
    assert (Candidate.get_by_id(plain.id).photo, Candidate.get_by_id(plain.id).status) == ("ab/new2.jpg", PENDING)
    assert events(accurate)[-1] == "candidate.photo" and events(same) == ["candidate.create", "candidate.photo"]
    last = AuditEvent.for_object("candidate", accurate.id).first()
    assert ("状态", ACCURATE, VERIFIED) in last.change_list and last.username == staff.username
    assert ("照片", "原照片", "新照片") in last.change_list
    assert ("照片", "无", "新照片") in AuditEvent.for_object("candidate", plain.id).first().change_list
    assert last.object_label == str(again)


def test_authenticate_many_counts_and_skips(staff):
    good = [new_candidate(staff, id_number=make_id(seq=f"{i:02d}")) for i in range(5)]
    bad = new_candidate(staff, id_number=make_id(seq="99"), gender="女")
    done = new_candidate(staff, id_number=make_id(seq="98"))
    done.authenticate(staff)
    passed, failed, skipped = Candidate.authenticate_many(good + [bad, Candidate.get_by_id(done.id)], staff)
    assert (passed, failed, skipped) == (5, 1, 1)
    assert Candidate.status_counts() == {PENDING: 0, VERIFIED: 6, REJECTED: 1, ACCURATE: 0}
    assert AuditEvent.select().where(AuditEvent.action == "candidate.authenticate").count() == 7


def test_missing_steps_follow_the_manual(staff):
    candidate = new_candidate(staff)
    assert candidate.missing_steps() == ["点击「认证」完成认证"]
    candidate.authenticate(staff)
    assert candidate.missing_steps() == ["上传学生照片", "点击「人工确认」核对信息和照片后保存"]


def test_remove_is_audited(staff):
    candidate = new_candidate(staff)
    candidate.remove(staff)
    assert Candidate.select().count() == 0
    assert AuditEvent.select().where(AuditEvent.action == "candidate.delete").count() == 1


def test_the_foreign_key_of_a_certificate_record_refuses_removal_and_says_why(world, staff):
    candidate = world["candidate"]
    AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                       exam_date=date(2026, 6, 1), status=RETURNED)
    # Inside a caller's transaction too: the refused DELETE rolls back to a savepoint, and the
    # transaction goes on (PostgreSQL would otherwise refuse every later statement).
    with db.atomic():
        with pytest.raises(TransitionError) as refused:
            candidate.remove(staff)
        assert str(refused.value) == "该考生已有待颁证或已颁证记录，不能删除"
        assert Candidate.get_or_none(Candidate.id == candidate.id) is not None
    assert AuditEvent.select().where(AuditEvent.action == "candidate.delete").count() == 0


def test_filtered_search_by_name_id_and_class(staff):
    a = new_candidate(staff, name="王小明", class_name="计应2301", id_number=make_id(seq="11"))
    new_candidate(staff, name="李四", class_name="物流2302", id_number=make_id(seq="22"))
    assert [c.id for c in Candidate.filtered(q="小明")] == [a.id]
    assert [c.id for c in Candidate.filtered(q=a.id_number[-4:])] == [a.id]
    assert [c.id for c in Candidate.filtered(q="计应")] == [a.id]
    assert Candidate.filtered(status=PENDING).count() == 2
    assert Candidate.filtered(has_photo="1").count() == 0


def test_set_photo_many_sends_back_a_candidate_confirmed_after_it_was_read(staff, monkeypatch):
    candidate = new_candidate(staff)
    candidate.authenticate(staff)
    candidate.set_photo("ab/one.jpg", staff)

    def confirm_meanwhile(*args):  # 人工确认 lands between set_photo_many's read and its writes
        Candidate.update(status=ACCURATE).where(Candidate.id == candidate.id).execute()
        update_rows(*args)
    monkeypatch.setattr(candidate_module, "update_rows", confirm_meanwhile)
    with db.atomic():
        Candidate.set_photo_many({candidate.id: "ab/two.jpg"}, staff)
    assert Candidate.get_by_id(candidate.id).status == VERIFIED



# ---- what the candidate form suggests and hints (院系, 专业, 班级) ---------------------------------------
def add_classes(*classes):
    Candidate.insert_many([dict(name="张三", id_type="居民身份证", id_number=f"X{index:05d}", gender="男",
                                phone="13812345678", department=department, major=major, class_name=class_name)
                           for index, (department, major, class_name) in enumerate(classes)]).execute()


def test_the_form_suggests_the_majors_of_the_department_and_the_classes_of_both(app):
    add_classes(("信息工程学院", "软件技术", "软件2301"), ("信息工程学院", "计算机应用技术", "计应2301"),
                ("经济管理学院", "大数据与会计", "会计2301"))
    assert Candidate.suggested_values("", "") == {
        "department": ["经济管理学院", "信息工程学院"], "major": ["大数据与会计", "计算机应用技术", "软件技术"],
        "class_name": ["计应2301", "会计2301", "软件2301"]}
    suggested = Candidate.suggested_values("信息工程学院", "软件技术")
    assert suggested["major"] == ["计算机应用技术", "软件技术"] and suggested["class_name"] == ["软件2301"]
    # A 专业 no class of the 院系 has (another 院系's, or a new one): the 院系's classes.
    assert Candidate.suggested_values("信息工程学院", "大数据与会计")["class_name"] == ["计应2301", "软件2301"]
    # A value 保存 would refuse is no one's: nothing after it is suggested.
    assert Candidate.suggested_values(None, "")["major"] == [] == Candidate.suggested_values(None, "")["class_name"]
    assert Candidate.suggested_values("信息工程学院", None)["class_name"] == []


def test_the_form_suggests_at_most_300_values_of_each(app):
    add_classes(*((f"院系{index:03d}", "软件技术", f"软件{index:03d}") for index in range(301)))
    suggested = Candidate.suggested_values("", "")
    assert len(suggested["department"]) == 300 == len(suggested["class_name"])
    assert candidate_module.SUGGESTED == 300


def test_a_major_or_class_only_other_departments_have_names_them(app):
    add_classes(("信息工程学院", "软件技术", "软件2301"), ("经济管理学院", "软件技术", "经管软件2301"))
    assert Candidate.departments_elsewhere("major", "软件技术", "汽车工程学院") == ["经济管理学院", "信息工程学院"]
    assert Candidate.departments_elsewhere("major", "软件技术", "信息工程学院") == []
    assert Candidate.departments_elsewhere("class_name", "软件2301", "经济管理学院") == ["信息工程学院"]
    assert Candidate.departments_elsewhere("class_name", "软件2301", "信息工程学院") == []
    assert Candidate.departments_elsewhere("class_name", "新班级", "信息工程学院") == []


def test_a_department_no_one_has_is_told_with_the_stored_one_it_resembles(app):
    add_classes(("信息工程学院", "软件技术", "软件2301"), ("经济管理学院", "会计", "会计2301"))
    assert Candidate.department_unheard_of("信息工程学员") == "信息工程学院"
    assert Candidate.department_unheard_of("护理学院") == ""
    assert Candidate.department_unheard_of("信息工程学院") is None and Candidate.department_unheard_of("") is None
