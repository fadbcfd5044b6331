"""An id or number too large for any column (≥ 2⁶³), or thousands of digits long, in a URL, a list filter
or a form is a 404 or a form error, never a 500 (SQLite's driver raised OverflowError in 28 places)."""
import pytest

from models.candidate import PENDING, Candidate
from tests.test_identity import make_id

BIG = str(2**63)
LONG = "9" * 5000  # Python refuses int() of more than 4,300 digits
HX = {"HX-Request": "true"}

PAGES = [  # (role, path): each names a row by an id in the URL
    ("staff", "/candidates/{}"),
    ("staff", "/candidates/{}/edit"),
    ("staff", "/sites/{}"),
    ("staff", "/awards/{}"),
    ("staff", "/photos/{}"),
    ("admin", "/admin/certificates/{}/edit"),
    ("admin", "/admin/quotas/{}/edit"),
    ("admin", "/admin/users/{}/edit"),
]
FILTERS = [  # (role, URL): a filter naming a row that cannot exist filters nothing out
    ("staff", "/sites/?certificate={}"),
    ("staff", "/sites/levels?certificate={}"),
    ("staff", "/awards/?certificate={0}&site={0}&level=中级"),
    ("staff", "/awards/readiness?candidate_id={0}&ids={0}&pair={0}|中级"),
    ("admin", "/admin/quotas/?year={}"),
]
FORMS = [  # (role, URL, form, words of the error shown): 422 with the field's message
    ("staff", "/sites/new", {"certificate": "{}"}, "无法申报考核站点"),
    ("admin", "/admin/pilots", {"certificate": "{}", "since": "2024-09-01", "levels": "初级"}, "请选择证书"),
    ("admin", "/admin/users/new", {"username": "zhao", "role": "reviewer", "organisation": "{}",
                                   "password": "long-enough-1", "password2": "long-enough-1"}, "必须属于一个培训评价组织"),
    ("admin", "/admin/quotas/", {"pilot": "{}", "year": "{}", "document_no": "x", "amount": "{}"}, "指标人数须为正整数"),
    ("admin", "/admin/certificates/new", {"name": "物流管理", "organisation": "中物联", "pass_mark": "{}",
                                          "levels": "初级"}, "合格分数须为 0 到 100 之间的整数"),
]


@pytest.mark.parametrize("number", [BIG, LONG], ids=["2**63", "5000 digits"])
@pytest.mark.parametrize("role, path", PAGES)
def test_an_id_out_of_range_in_the_url_is_not_found(client, login, role, path, number):
    login(role)
    assert client.get(path.format(number)).status_code == 404


@pytest.mark.parametrize("number", [BIG, LONG], ids=["2**63", "5000 digits"])
@pytest.mark.parametrize("role, url", FILTERS)
def test_a_filter_naming_an_id_out_of_range_is_left_out(client, login, org, role, url, number):
    login(role)
    assert client.get(url.format(number), headers=HX).status_code == 200


@pytest.mark.parametrize("number", [BIG, LONG], ids=["2**63", "5000 digits"])
@pytest.mark.parametrize("role, url, form, message", FORMS)
def test_a_form_field_out_of_range_is_a_field_error(client, login, org, role, url, form, message, number):
    login(role)
    response = client.post(url, data={k: v.format(number) for k, v in form.items()}, headers=HX)
    assert response.status_code == 422 and message in response.get_data(as_text=True)


def test_ticked_ids_out_of_range_select_nothing(client, login, org):
    login("staff")
    waiting = Candidate.create(name="张三", id_type="居民身份证", id_number=make_id(), gender="男", phone="13812345678")
    response = client.post("/candidates/bulk-authenticate", data={"scope": "selected", "ids": [BIG, LONG]},
                           headers=HX)
    assert response.status_code == 200 and "认证通过 0 人，认证未通过 0 人，跳过 0 人" in response.get_data(as_text=True)
    assert Candidate.get_by_id(waiting.id).status == PENDING
    login("reviewer", username="zhao")
    response = client.post("/awards/issue", data={"ids": [BIG, LONG]}, headers=HX)
    assert response.status_code == 409 and response.get_data(as_text=True) == "请先勾选要颁证的记录"


def test_the_candidate_form_check_with_an_id_out_of_range_is_not_found(client, login):
    login("staff")
    assert client.post("/candidates/validate/name", data={"candidate_id": BIG, "name": "张三"}).status_code == 404
