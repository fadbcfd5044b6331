"""考生管理's search box and 姓名 sort: pinyin order, initials and spelling, any part of a name, ID number
rules, and the search columns and name index kept right on every write path (form, import, delete,
undo, upgrade)."""
import io
import re

import pytest

import models
from models import pinyin
from models.candidate import Candidate, search_keys
from models.db import db
from models.migrations import CURRENT_VERSION, SchemaVersion
from models.pinyin import name_keys, syllables, text_order
from tests import sheetfiles as sf
from tests.test_candidates import form, staff, valid_id  # noqa: F401 (staff is a fixture)
from views import Page

HX = {"HX-Request": "true"}
NUMBERS = iter(range(100, 999))


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


@pytest.fixture
def add(app, make_user):
    """add(name, **fields) -> a Candidate registered through the model, each with its own ID number."""
    actor = make_user("admin", username="seeder")

    def make(name, **fields):
        values = {"name": name, "id_type": "居民身份证", "id_number": valid_id(f"41010220030105{next(NUMBERS)}"),
                  "gender": "男", "phone": "13900001111", "class_name": "软件2301", **fields}
        return Candidate.register(values, by=actor)
    return make


def names(client, **query):
    """The names the list shows, in its order."""
    body = client.get("/candidates/", query_string=query, headers=HX).get_data(as_text=True)
    return re.findall(r'class="cand-name">([^<]+)</a>', body)


# ---- pinyin -----------------------------------------------------------------------------------------
def test_a_name_has_its_pinyin_with_surnames_read_as_surnames():
    assert syllables("张三") == ["zhang", "san"]
    assert syllables("曾小明")[0] == "zeng" and syllables("单雄信")[0] == "shan" and syllables("解缙")[0] == "xie"
    assert syllables("万俟卨")[:2] == ["mo", "qi"] and syllables("尉迟恭")[:2] == ["yu", "chi"]
    assert syllables("吕布") == ["lv", "bu"]  # ü typed as v
    assert syllables("买买提·艾力") == ["mai", "mai", "ti", "ai", "li"]
    assert name_keys("Tom Lee")["name_initials"] == "tl"
    assert name_keys("张三") == {"name_sort": "zhang-san 张三", "name_pinyin": "zhangsan", "name_initials": "zs",
                                 "name_chars": "张 三"}


def test_department_major_and_class_names_sort_by_the_reading_of_their_words():
    # 会计 is kuai ji (after 科技 ke ji), 银行 yin hang, 音乐 yin yue, 畜牧 xu mu, 模具 mu ju: not their characters'
    # first readings (hui, xing, le, chu, mo), under which staff would not look for them.
    assert sorted(["会计学院", "机电学院", "科技学院", "计算机学院"], key=text_order) == [
        "机电学院", "计算机学院", "科技学院", "会计学院"]
    assert text_order("大数据与会计2301")[0] == "da-shu-ju-yu-kuai-ji-2301"
    assert [text_order(t)[0] for t in ("银行", "音乐表演", "畜牧兽医", "模具设计与制造", "重庆", "长沙")] == [
        "yin-hang", "yin-yue-biao-yan", "xu-mu-shou-yi", "mu-ju-she-ji-yu-zhi-zao", "chong-qing", "chang-sha"]


def test_the_readings_kept_are_bounded_whatever_characters_are_typed():
    text_order("".join(map(chr, range(0x20000, 0x20000 + (1 << 16) + 5000))))  # 70,000 distinct characters
    assert pinyin._char.cache_info().currsize <= 1 << 16


def test_names_sort_by_pinyin_syllable_by_syllable(client, staff, add):
    for name in ("张三丰", "曾强", "李四", "阿明", "连安", "张三", "章三"):
        add(name)
    # 李 li before 连 lian (not "lian" < "lisi" letter by letter); 曾 zeng before 张 zhang; zhang san
    # (张三, 章三: the same pinyin, by character) before zhang san feng.
    assert names(client, sort="name") == ["阿明", "李四", "连安", "曾强", "张三", "章三", "张三丰"]
    assert names(client, sort="-name") == ["张三丰", "章三", "张三", "曾强", "连安", "李四", "阿明"]


# ---- the search box -----------------------------------------------------------------------------------
def test_initials_find_every_name_they_fit_and_more_letters_narrow_it(client, staff, add):
    for name in ("张三", "赵四", "张思远", "李四", "曾山"):
        add(name)
    # Initials are ambiguous by nature: zs is 张三 and 赵四 (and 张思远, zsy, from its start); a staff
    # member who means 张三 types on (zhangs) and the list narrows.
    assert sorted(names(client, q="zs")) == sorted(["张三", "赵四", "张思远", "曾山"])
    assert names(client, q="ZS", sort="name") == ["曾山", "张三", "张思远", "赵四"]
    assert names(client, q="zhangs", sort="name") == ["张三", "张思远"]
    assert names(client, q="zhangsan") == ["张三"]
    assert names(client, q="ls") == ["李四"]
    assert names(client, q="sy") == []  # from the start only: not the middle of zsy


def test_any_part_of_a_name_of_any_length_finds_it(client, staff, add):
    for name in ("张三", "张三丰", "李三丰", "张四", "欧阳三", "买买提·艾力"):
        add(name)
    assert names(client, q="张三", sort="name") == ["张三", "张三丰"]  # two characters
    assert names(client, q="三丰", sort="name") == ["李三丰", "张三丰"]
    assert names(client, q="张三丰") == ["张三丰"]  # three
    assert names(client, q="三", sort="name") == ["李三丰", "欧阳三", "张三", "张三丰"]  # one
    assert names(client, q="阳三") == ["欧阳三"]
    assert names(client, q="提艾") == ["买买提·艾力"] and names(client, q="提·艾") == ["买买提·艾力"]
    assert names(client, q="三张") == [] and names(client, q="王") == []


def test_id_numbers_match_from_their_start_or_their_end_never_the_middle(client, staff, add):
    number = valid_id("41030220020304567")
    add("王五", id_number=number)
    add("赵六")
    assert names(client, q=number) == ["王五"]
    assert names(client, q=number[:6]) == ["王五"] and names(client, q=number[-4:]) == ["王五"]
    assert names(client, q=number[-4:].lower()) == ["王五"]  # an X check character typed small
    assert names(client, q=number[6:14]) == []  # the birth date in the middle: no


def test_student_number_and_class_are_searched_too(client, staff, add):
    add("王五", student_no="2023010101", class_name="计应2301")
    add("赵六", student_no="2024020202", class_name="软件2402")
    assert names(client, q="202301") == ["王五"]
    assert names(client, q="计应") == ["王五"] and names(client, q="2402") == ["赵六"]


def test_counts_and_export_follow_a_pinyin_search(client, staff, add):
    add("张三")
    add("赵四")
    add("李四")
    body = client.get("/candidates/counts?q=zs", headers=HX).get_data(as_text=True)
    assert '全部 <span class="count">2</span>' in body


def test_a_page_past_the_middle_read_from_the_other_end_holds_the_same_rows(app, add):
    for i in range(7):
        add("张三" if i % 2 else "李四")  # ties: the id decides, in the sort's direction
    for sort in ("name", "-name", "-created_at", "status"):
        query = Candidate.filtered(sort=sort)
        for number in (1, 2, 3, 4):
            assert [c.id for c in Page(query, number, per_page=2).items] == \
                [c.id for c in query.paginate(number, 2)], (sort, number)


# ---- kept right on every write path ----------------------------------------------------------------------
def test_a_renamed_candidate_is_found_by_its_new_name_only(client, staff, add):
    candidate = add("张三")
    response = client.post(f"/candidates/{candidate.id}/edit", data=form(name="李四", id_number=candidate.id_number),
                           headers=HX)
    assert response.status_code == 204
    assert names(client, q="张三") == [] and names(client, q="zs") == []
    assert names(client, q="李四") == ["李四"] and names(client, q="lisi") == ["李四"]
    stored = Candidate.get_by_id(candidate.id)
    assert (stored.name_sort, stored.name_initials) == ("li-si 李四", "ls")


def test_a_candidate_added_with_the_form_is_found_at_once(client, staff):
    response = client.post("/candidates/new", data=form(name="欧阳娜娜"), headers=HX)
    assert response.status_code == 204
    assert names(client, q="娜娜") == ["欧阳娜娜"] and names(client, q="oynn") == ["欧阳娜娜"]


def test_imported_candidates_are_found_and_an_undone_import_leaves_nothing_behind(client, staff):
    rows = [sf.person(i, name=name) for i, name in enumerate(("曾小贤", "胡一菲", "吕子乔"))]
    client.post("/imports/candidates", data={"file": (io.BytesIO(sf.xlsx(rows)), "考生.xlsx")}, headers=HX,
                content_type="multipart/form-data")
    assert names(client, q="小贤") == ["曾小贤"] and names(client, q="zxx") == ["曾小贤"]
    assert names(client, q="lvziqiao") == ["吕子乔"]
    batch = models.ImportBatch.select().order_by(models.ImportBatch.id.desc()).first()
    assert client.post(f"/imports/{batch.id}/undo", headers=HX).status_code == 200
    assert Candidate.select().count() == 0 and names(client, q="小贤") == []
    # A new candidate may take the id the undone ones had: only its own name finds it.
    client.post("/candidates/new", data=form(name="王五"), headers=HX)
    assert names(client, q="小贤") == [] and names(client, q="王五") == ["王五"]


def test_a_deleted_candidates_name_finds_nothing_even_when_its_id_is_reused(client, staff, add):
    add("李四")
    gone = add("张三")
    assert client.delete(f"/candidates/{gone.id}", headers=HX).status_code == 200
    add("王五")  # on SQLite it takes the deleted one's id (the highest id + 1)
    assert names(client, q="张三") == [] and names(client, q="王五") == ["王五"] and names(client, q="zs") == []


# ---- the upgrade ---------------------------------------------------------------------------------------------
def test_a_version_3_database_gains_the_search_columns_filled_and_indexed(app, add):
    from playhouse.migrate import PostgresqlMigrator, SqliteMigrator, migrate
    zeng, other = add("曾小贤"), add("胡一菲")
    migrator = SqliteMigrator(db) if models.is_sqlite() else PostgresqlMigrator(db)
    models.name_index.drop()
    if models.is_sqlite():
        for trigger in ("delete", "update"):
            db.execute_sql(f"DROP TRIGGER IF EXISTS candidate_name_fts_{trigger}")
    else:
        db.execute_sql("DROP INDEX candidate_name_chars_fts")
    migrate(*[migrator.drop_index("candidate", f"candidate_{column}")
              for column in ("name_sort", "name_pinyin", "name_initials", "id_number_reversed")])
    migrate(*[migrator.drop_column("candidate", column)
              for column in ("name_sort", "name_pinyin", "name_initials", "name_chars", "id_number_reversed")],
            migrator.add_index("candidate", ("name",), False))
    SchemaVersion.update(version=3).execute()

    assert models.init_schema() == (3, CURRENT_VERSION)
    for candidate in (zeng, other):
        stored = Candidate.get_by_id(candidate.id)
        assert {key: getattr(stored, key) for key in search_keys(stored.name, stored.id_number)} == \
            search_keys(stored.name, stored.id_number)
    indexes = {index.name for index in db.get_indexes("candidate")}
    assert "candidate_name" not in indexes and {"candidate_name_sort", "candidate_name_initials"} <= indexes
    found = Candidate.filtered(q="小贤")
    assert [c.id for c in found] == [zeng.id]
    assert [c.id for c in Candidate.filtered(q="hyf")] == [other.id]
