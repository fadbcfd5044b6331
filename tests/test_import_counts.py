"""总行数 is the number of data rows in the file, and 可导入 (已导入) + 有错误 + 已存在 + 未变化 add up to it:
in the dialog's summary and in 导入记录, for both imports, after the check, after 仅导入正确的 N 行 and after
撤销本次导入."""
import io
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Callable

import pytest

from models.award import AwardRecord
from models.award_fields import AWARD_SHEET as AWARDS
from models.candidate import ACCURATE, VERIFIED, Candidate
from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES
from models.import_batch import IMPORTED, REVIEW, UNDONE, ImportBatch
from models.quota import Quota
from models.user import STAFF
from tests import sheetfiles as sf
from tests.test_import_awards import filled_template, row as award_row

ROWS = 20


@pytest.fixture
def app_config(app_config):
    return dict(app_config, JOBS_INLINE=True)


@dataclass
class Upload:
    kind: str
    rows: list                          # the file's data rows, keyed by column key
    expected: dict                      # the dialog's summary after the check, zeros left out
    csv: bool = False
    update: bool = False
    meanwhile: Callable = None          # what changes between the check and 仅导入正确的 N 行
    confirmed: dict = field(default_factory=dict)  # the summary after 仅导入正确的 N 行


def upload(client, kind, data, name, update=False):
    form = {"file": (io.BytesIO(data), name)}
    if update:
        form["update_existing"] = "1"
    return client.post(f"/imports/{kind}", data=form, headers={"HX-Request": "true"},
                       content_type="multipart/form-data")


def send(client, case):
    """Upload the case's rows in a file generated from the kind's column spec."""
    spec, name = (AWARDS, "待颁证") if case.kind == "awards" else (CANDIDATES, "考生")
    if case.csv:
        data, name = sf.csv_file(case.rows, spec=spec), f"{name}.csv"
    else:
        data, name = (filled_template if case.kind == "awards" else sf.xlsx)(case.rows), f"{name}.xlsx"
    upload(client, case.kind, data, name, case.update)


def last_batch():
    return ImportBatch.select().order_by(ImportBatch.id.desc()).first()


def dialog_summary(client, batch):
    """The dialog's summary of a batch as {label: number}."""
    body = client.get(f"/imports/{batch.id}", headers={"HX-Request": "true"}).get_data(as_text=True)
    return {label: int(number) for label, number in re.findall(r"<dt>(.+?)</dt><dd>(\d+)</dd>", body)}


def history_counts(client, batch):
    """The number cells of a batch's row in 导入记录: 总行数 first, then its parts."""
    body = client.get("/imports/", headers={"HX-Request": "true"}).get_data(as_text=True)
    row = re.search(rf'<tr id="batch-{batch.id}">(.*?)</tr>', body, re.S).group(1)
    cells = re.findall(r'<td class="num"[^>]*>(.*?)</td>', row, re.S)
    return [int(re.search(r"\d+", re.sub(r"<[^>]+>", "", cell)).group()) for cell in cells]


def summary_adding_up(client, batch, rows):
    """Assert 总行数 and the sum of its parts in the dialog and in 导入记录; the dialog's non-zero parts."""
    summary = dialog_summary(client, batch)
    assert summary["总行数"] == rows
    assert sum(number for label, number in summary.items() if label != "总行数") == rows, summary
    total, *parts = history_counts(client, batch)
    assert (total, sum(parts)) == (rows, rows), parts
    return {label: number for label, number in summary.items() if number and label != "总行数"}


# ---- 批量导入学生信息 --------------------------------------------------------------------------------
def people(numbers, **changes):
    return [sf.person(i, **changes) for i in numbers]


def store_people(client, numbers):
    """Import these people first, through the same import."""
    upload(client, "candidates", sf.xlsx(people(numbers)), "已有考生.xlsx")
    assert last_batch().status == IMPORTED


def candidates_all_valid(client, world):
    return Upload("candidates", people(range(ROWS)), {"已导入": ROWS})


def candidates_some_errors(client, world):
    rows = people(range(16)) + people(range(16, ROWS), gender="未知")
    return Upload("candidates", rows, {"可导入": 16, "有错误": 4},
                  confirmed={"已导入": 16, "有错误": 4})


def candidates_three_row_csv(client, world):
    rows = people(range(2)) + [sf.person(2, id_number="4.10102E+17")]
    return Upload("candidates", rows, {"可导入": 2, "有错误": 1}, csv=True,
                  confirmed={"已导入": 2, "有错误": 1})


def candidates_only_errors(client, world):
    return Upload("candidates", people(range(3), gender="未知"), {"有错误": 3})


def candidates_already_stored(client, world):
    store_people(client, range(5))
    return Upload("candidates", people(range(ROWS)), {"可导入": 15, "已存在": 5},
                  confirmed={"已导入": 15, "已存在": 5})


def candidates_already_stored_and_updated(client, world):
    store_people(client, range(5))
    rows = people(range(5), phone="13900000000") + people(range(5, ROWS))
    return Upload("candidates", rows, {"已导入": ROWS}, update=True)


def candidates_unchanged(client, world):
    store_people(client, range(5))
    return Upload("candidates", people(range(ROWS)), {"已导入": 15, "未变化": 5}, update=True)


def candidates_duplicated_in_the_file(client, world):
    rows = people(range(ROWS - 1)) + [sf.person(3)]
    return Upload("candidates", rows, {"可导入": 18, "有错误": 2},
                  confirmed={"已导入": 18, "有错误": 2})


def candidates_errors_and_stored(client, world):
    store_people(client, range(5))
    rows = people(range(17)) + people(range(17, ROWS), gender="未知")
    return Upload("candidates", rows, {"可导入": 12, "有错误": 3, "已存在": 5},
                  confirmed={"已导入": 12, "有错误": 3, "已存在": 5})


def candidates_errors_updated_and_unchanged(client, world):
    store_people(client, range(6))
    rows = people(range(3)) + people(range(3, 6), phone="13900000000") + people(range(6, 16)) \
        + people(range(16, ROWS), gender="未知")
    return Upload("candidates", rows, {"可导入": 13, "有错误": 4, "未变化": 3},
                  update=True, confirmed={"已导入": 13, "有错误": 4, "未变化": 3})


def candidates_stored_between_check_and_confirm(client, world):
    rows = people(range(18)) + people(range(18, ROWS), gender="未知")

    def meanwhile():
        store_people(client, range(3))
    return Upload("candidates", rows, {"可导入": 18, "有错误": 2}, meanwhile=meanwhile,
                  confirmed={"已导入": 15, "有错误": 2, "已存在": 3})


# ---- 导入待颁证记录 ----------------------------------------------------------------------------------
def accurate_people(numbers, status=ACCURATE):
    """Stored candidates ready for a record (or in `status`), one per number."""
    made = []
    for i in numbers:
        values = sf.person(i)
        made.append(Candidate.create(**{k: values[k] for k in ("name", "id_type", "id_number", "gender", "phone")},
                                     status=status, photo="ab/x.jpg"))
    return made


def records(candidates, **changes):
    return [award_row(candidate, **changes) for candidate in candidates]


def set_quota(amount):
    Quota.update(amount=amount).where(Quota.year == 2026).execute()


def awards_all_valid(client, world):
    set_quota(100)
    return Upload("awards", records(accurate_people(range(ROWS))), {"已导入": ROWS})


def awards_some_errors(client, world):
    set_quota(100)
    rows = records(accurate_people(range(10))) + records(accurate_people(range(10, ROWS), status=VERIFIED))
    return Upload("awards", rows, {"可导入": 10, "有错误": 10},
                  confirmed={"已导入": 10, "有错误": 10})


def awards_three_row_csv(client, world):
    set_quota(100)
    first, second, third = accurate_people(range(3))
    rows = [award_row(first), award_row(second, site_name="操场"), award_row(third, exam_date="2099-01-01")]
    return Upload("awards", rows, {"可导入": 1, "有错误": 2}, csv=True,
                  confirmed={"已导入": 1, "有错误": 2})


def awards_only_errors(client, world):
    set_quota(100)
    first, second, third = accurate_people(range(3))
    rows = [award_row(first, exam_date="不详"), award_row(second, site_name="操场"), award_row(third, result="未通过")]
    return Upload("awards", rows, {"有错误": 3})


def awards_already_stored(client, world):
    set_quota(100)
    candidates = accurate_people(range(ROWS))
    for candidate in candidates[:5]:
        AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                           exam_date=date(2026, 5, 1))
    return Upload("awards", records(candidates), {"可导入": 15, "有错误": 5},
                  confirmed={"已导入": 15, "有错误": 5})


def awards_duplicated_in_the_file(client, world):
    set_quota(100)
    candidates = accurate_people(range(ROWS - 1))
    rows = records(candidates) + [award_row(candidates[3])]
    return Upload("awards", rows, {"可导入": 19, "有错误": 1},
                  confirmed={"已导入": 19, "有错误": 1})


def awards_quota_used_between_check_and_confirm(client, world):
    set_quota(ROWS)
    rows = records(accurate_people(range(18))) + records(accurate_people(range(18, ROWS), status=VERIFIED))

    def meanwhile():
        for candidate in accurate_people(range(30, 35)):
            AwardRecord.create(candidate=candidate, certificate=world["cert"], level="中级", site=world["site"],
                               exam_date=date(2026, 5, 1))
    return Upload("awards", rows, {"可导入": 18, "有错误": 2}, meanwhile=meanwhile,
                  confirmed={"已导入": 15, "有错误": 5})


CASES = {name: case for name, case in globals().items() if name.startswith(("candidates_", "awards_"))}


@pytest.mark.parametrize("outcome", CASES)
def test_total_is_the_files_data_rows_and_the_counts_add_up_to_it(client, login, world, outcome):
    login(STAFF)
    case = CASES[outcome](client, world)
    rows = len(case.rows)
    send(client, case)
    batch = last_batch()
    assert summary_adding_up(client, batch, rows) == case.expected

    if case.confirmed:
        assert batch.status == REVIEW
        if case.meanwhile:
            case.meanwhile()
        client.post(f"/imports/{batch.id}/confirm", headers={"HX-Request": "true"})
        batch = ImportBatch.get_by_id(batch.id)
        assert batch.status == IMPORTED
        assert summary_adding_up(client, batch, rows) == case.confirmed

    if batch.status == IMPORTED and not batch.updated:  # an update cannot be undone
        client.post(f"/imports/{batch.id}/undo", headers={"HX-Request": "true"})
        batch = ImportBatch.get_by_id(batch.id)
        assert batch.status == UNDONE
        summary_adding_up(client, batch, rows)
