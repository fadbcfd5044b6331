"""院校设置: every setting declared once, refused with a message naming it and the fix when saved, and a value
stored before these checks never crashes 认证 or 颁证."""
from datetime import date

import pytest

from models import identity, setting
from models.audit import AuditEvent
from models.award import SUBMITTED, AwardRecord
from models.candidate import PENDING, VERIFIED, Candidate
from models.setting import Setting, SettingError
from models.user import REVIEWER
from tests.conftest import other_candidates
from tests.test_identity import make_id

HX = {"HX-Request": "true"}
YEAR = date.today().year

# key: (a value that must be refused, what the message must say besides the setting's label)
BAD = {
    "college_name": ("", "未填写"),
    "college_code": ("10000-A", "「10000-A」含有不允许的字符；只能包含字母和数字"),
    "login_max_failures": ("五次", "「五次」不是整数；请填写 1–100 的整数"),
    "login_lock_minutes": ("0", "0 不在 1–1440 之间"),
    "session_idle_minutes": ("1", "1 不在 5–1440 之间"),
    "identity_verifier": ("models.identity.OfflineVerifer", "请从列表中选择：离线校验（GB 11643 校验位、出生日期、性别）"),
    "import_max_mb": ("20.5", "「20.5」不是整数"),
    "import_max_rows": ("300000", "不在 1–200000 之间"),
    "import_keep_days": ("-1", "「-1」不是整数"),
    "photo_min_kb": ("十四", "「十四」不是整数"),
    "photo_max_kb": ("10", "10 小于照片文件最小（KB） 20"),
    "photo_min_width": ("50", "50 不在 100–1500 之间"),
    "photo_min_height": ("4000", "4000 不在 100–2000 之间"),
    "photo_min_ratio": ("nan", "「nan」不是数；请填写 0.5–3 的数"),
    "photo_max_ratio": ("1.1", "1.1 小于照片高宽比下限（高 ÷ 宽） 1.2"),
    "photo_zip_max_files": ("1万", "「1万」不是整数"),
    "photo_zip_max_mb": ("99999", "99999 不在 1–400 之间"),
    "certificate_number_pattern": ("{证书代码}{等级代码}{年}{序号}",
                                   "「{年}」不是可用的占位符；可用的占位符：{证书代码} {等级代码} {等级} {年份} {院校代码} {序号}"),
    "certificate_number_digits": ("3", "3 不在 4–12 之间"),
}


@pytest.fixture
def admin(login, org):
    return login("admin")


def form(**changes):
    return dict(setting.stored(), **changes)


def last_event(action):
    return AuditEvent.select().where(AuditEvent.action == action).order_by(AuditEvent.id.desc()).first()


def store_as_before(key, value):
    """A value saved by a CertDesk that did not check it yet."""
    Setting.create(key=key, value=value)


def test_every_setting_is_declared_once_with_a_default_that_passes_and_a_bad_value_below():
    assert set(BAD) == set(setting.BY_KEY)
    assert len(setting.FIELDS) == len(setting.BY_KEY) == sum(len(f) for f in setting.GROUPS.values())
    for field in setting.FIELDS:
        field.check(field.default)
        assert field.label and field.hint and field.group


@pytest.mark.parametrize("key", list(BAD))
def test_each_setting_refuses_a_bad_value_naming_itself_and_the_fix_and_nothing_is_stored(client, admin, key):
    bad, message = BAD[key]
    label = setting.BY_KEY[key].label
    # A valid change beside it is not stored either (for login_lock_minutes itself, the bad value wins).
    response = client.post("/admin/settings", data=form(**{"login_lock_minutes": "30", key: bad}), headers=HX)
    body = response.get_data(as_text=True)
    assert response.status_code == 422 and "<html" not in body
    assert f"{label}：" in body and message in body
    assert "所有设置都没有保存" in body
    assert Setting.select().count() == 0 and last_event("setting.update") is None


def test_admin_edits_college_settings_and_the_change_is_audited(client, admin):
    page = client.get("/admin/settings").get_data(as_text=True)
    for group in setting.GROUPS:
        assert f"<legend>{group}</legend>" in page
    body = client.post("/admin/settings", data=form(college_name="郑州示范职业技术学院", college_code="14567"),
                       headers=HX).get_data(as_text=True)
    assert "<html" not in body and "已保存：院校名称、院校代码" in body
    assert setting.get("college_name") == "郑州示范职业技术学院"
    assert ("院校名称", "示范职业技术学院", "郑州示范职业技术学院") in last_event("setting.update").change_list


def test_numbers_are_stored_as_typed_in_full_width_and_read_as_numbers(client, admin):
    client.post("/admin/settings", data=form(login_max_failures="３", photo_min_ratio="1.25"), headers=HX)
    assert setting.get("login_max_failures") == 3 and setting.get("photo_min_ratio") == 1.25
    assert Setting.get(Setting.key == "login_max_failures").value == "3"


def test_saving_unchanged_settings_stores_nothing(client, admin):
    body = client.post("/admin/settings", data=form(), headers=HX).get_data(as_text=True)
    assert "没有修改任何设置" in body and Setting.select().count() == 0


# ---- 身份认证方式: a registry, chosen by Chinese name ------------------------------------------------
class AlwaysRefuses:
    def verify(self, candidates, today=None):
        return {c.id: (["公安核验：姓名与证件号码不一致"], []) for c in candidates}


@pytest.fixture
def police(monkeypatch):
    monkeypatch.setitem(identity.VERIFIERS, "police", AlwaysRefuses)
    monkeypatch.setitem(identity.VERIFIER_NAMES, "police", "公安身份核验（测试）")


def candidate():
    return Candidate.create(name="张三", id_type="居民身份证", id_number=make_id(), gender="男",
                            phone="13812345678", status=PENDING)


def test_the_verifier_is_a_select_of_registered_names_and_the_choice_is_used_by_authentication(
        client, admin, police):
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<select id="f-identity_verifier" name="identity_verifier"' in page
    assert '<option value="offline" selected>离线校验（GB 11643 校验位、出生日期、性别）</option>' in page
    assert '<option value="police">公安身份核验（测试）</option>' in page
    client.post("/admin/settings", data=form(identity_verifier="police"), headers=HX)
    assert Setting.get(Setting.key == "identity_verifier").value == "police"
    assert ("身份认证方式", "离线校验（GB 11643 校验位、出生日期、性别）", "公安身份核验（测试）") in \
        last_event("setting.update").change_list
    someone = candidate()
    response = client.post(f"/candidates/{someone.id}/authenticate", headers=HX)
    assert response.status_code == 200 and "公安核验：姓名与证件号码不一致" in response.get_data(as_text=True)


def test_a_dotted_path_stored_before_the_registry_still_means_the_offline_verifier(client, admin):
    store_as_before("identity_verifier", "models.identity.OfflineVerifier")
    assert setting.get("identity_verifier") == "offline"
    page = client.get("/admin/settings").get_data(as_text=True)
    assert '<option value="offline" selected>' in page and "无效" not in page
    someone = candidate()
    assert client.post(f"/candidates/{someone.id}/authenticate", headers=HX).status_code == 200
    assert Candidate.get_by_id(someone.id).status == VERIFIED


def test_a_misspelt_stored_verifier_refuses_authentication_with_the_fix_instead_of_crashing(client, admin):
    store_as_before("identity_verifier", "models.identity.OfflineVerifer")
    someone = candidate()
    response = client.post(f"/candidates/{someone.id}/authenticate", headers=HX)
    message = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "院校设置中的身份认证方式：「models.identity.OfflineVerifer」不是可选的一项" in message
    assert "请院校管理员在 系统管理 → 院校设置 中修改" in message
    bulk = client.post("/candidates/bulk-authenticate", data={"scope": "all"}, headers=HX)
    assert bulk.status_code == 409 and "身份认证方式" in bulk.get_data(as_text=True)
    assert Candidate.get_by_id(someone.id).status == PENDING
    # The settings page shows the stored value as invalid, so the administrator sees what to fix.
    page = client.get("/admin/settings").get_data(as_text=True)
    assert "有 1 项已保存的设置无效（可能是旧版本保存的）：身份认证方式。" in page and "models.identity.OfflineVerifer（无效，请重新选择）" in page


# ---- 证书编号格式 and a stored value that no longer passes --------------------------------------------
@pytest.fixture
def record(world):
    return AwardRecord.create(candidate=other_candidates(1)[0], certificate=world["cert"], level="中级",
                              site=world["site"], exam_date=date(2026, 6, 1), theory_score=80, practical_score=70)


def test_an_unknown_placeholder_stored_before_refuses_issuing_with_the_fix_instead_of_crashing(
        client, login, record):
    store_as_before("certificate_number_pattern", "{证书代码}{年}{序号}")
    login(REVIEWER)
    # The confirmation refuses before its dialog opens; a 颁证 posted anyway names the fix in the dialog.
    confirmation = client.get("/awards/issue", query_string={"ids": record.id}, headers=HX)
    posted = client.post("/awards/issue", data={"ids": [record.id]}, headers=HX)
    assert (confirmation.status_code, posted.status_code) == (409, 422)
    for message in (confirmation.get_data(as_text=True), posted.get_data(as_text=True)):
        assert "院校设置中的证书编号格式：「{年}」不是可用的占位符" in message
        assert "可用的占位符：{证书代码} {等级代码} {等级} {年份} {院校代码} {序号}" in message
    assert AwardRecord.get_by_id(record.id).status == SUBMITTED


def test_a_digit_count_stored_out_of_range_refuses_issuing(login, record):
    store_as_before("certificate_number_digits", "20")
    with pytest.raises(SettingError, match="证书编号序号位数：20 不在 4–12 之间"):
        AwardRecord.issue_many([record], login(REVIEWER))


def test_a_rule_stored_out_of_range_falls_back_to_its_default_so_login_still_works(client, make_user):
    store_as_before("login_max_failures", "五")
    assert setting.get("login_max_failures") == 5
    user = make_user("staff")
    for _ in range(4):
        assert client.post("/login", data={"username": user.username, "password": "wrong"}).status_code == 401
    assert setting.get("login_max_failures") == 5


def test_the_number_preview_shows_the_next_number_of_the_first_pilot_certificate(client, admin, record, make_user):
    args = {"certificate_number_pattern": "{证书代码}{等级代码}{年份}{序号}", "certificate_number_digits": "6",
            "college_code": "10000"}
    body = client.get("/admin/settings/number-preview", query_string=args, headers=HX).get_data(as_text=True)
    assert "<html" not in body and f"下一个证书编号示例：<strong>WEB2{YEAR}000001</strong>" in body
    assert f"Web前端开发 中级，{YEAR} 年" in body
    AwardRecord.issue_many([record], make_user(REVIEWER, username="reviewer-x"))
    body = client.get("/admin/settings/number-preview", query_string=args).get_data(as_text=True)
    assert f"WEB2{YEAR}000002" in body
    body = client.get("/admin/settings/number-preview",
                      query_string=dict(args, certificate_number_pattern="{院校代码}-{序号}")).get_data(as_text=True)
    assert "10000-000001" in body and "不同证书共用一个序号" in body
    body = client.get("/admin/settings/number-preview",
                      query_string=dict(args, certificate_number_pattern="{证书代码}{年}{序号}")).get_data(as_text=True)
    assert "证书编号格式：「{年}」不是可用的占位符" in body and "下一个证书编号示例" not in body

