"""Benchmark: validating 导入待颁证记录 of N rows (default 10,000) against the candidate import's validation.

    python bench/award_import.py [N] [--database-url postgresql://postgres@127.0.0.1:5432/scratch]

Both files are generated from their column specs and read the same way; the award rows name N
信息准确 candidates stored beforehand, one usable site and a quota large enough, so every row runs all
eight checks. Prints the seconds for each validation and the ratio (issue 7's target: award ≤ 2×), then
the seconds the save of the N records takes (their rows, indexes, counts and audit events, in one
transaction). With --database-url the bench DROPS AND RECREATES every CertDesk table there.
"""
import argparse
import os
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from openpyxl import Workbook  # noqa: E402
from stdnum.cn import ric  # noqa: E402

from app import create_app  # noqa: E402
from models.award_fields import AWARD_SHEET as AWARDS  # noqa: E402
from models.candidate import ACCURATE, Candidate  # noqa: E402
from models.candidate_fields import CANDIDATE_SHEET as CANDIDATES  # noqa: E402
from models.catalog import Certificate, Organisation  # noqa: E402
import models  # noqa: E402
from models.db import db  # noqa: E402
from models.import_batch import ImportBatch  # noqa: E402
from models.importers import AwardImporter, CandidateImporter  # noqa: E402
from models.pilot import PilotCertificate  # noqa: E402
from models.quota import Quota  # noqa: E402
from models.site import APPROVED, ENABLED, Site  # noqa: E402
from sheets import readers  # noqa: E402
from sheets.validate import check_rows  # noqa: E402


def id_number(i):
    body = f"410102{date(1998, 1, 1) + timedelta(days=i // 1000):%Y%m%d}{i % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def xlsx(spec, rows, path):
    book = Workbook()
    sheet = book.active
    sheet.append([c.title for c in spec.columns])
    for row in rows:
        sheet.append([row.get(c.key, "") for c in spec.columns])
    book.save(path)


def timed_validation(spec, importer, path):
    started = time.perf_counter()
    table = readers.read(path, spec, filename=path.name)
    good = [r for r in check_rows(spec, table) if r.ok]
    importer.vet(good)
    good = [r for r in good if r.ok]
    plan = importer.plan(good, False)
    return time.perf_counter() - started, len(good), plan


def timed_save(importer, plan, path):
    """Seconds to save a plan's records as the import job does (one transaction), its batch made before, and
    this process's CPU seconds (on SQLite the database's too: steadier on a shared machine)."""
    batch = ImportBatch.create(kind="awards", file_name=path.name, total=len(plan.create), valid=len(plan.create))
    started, cpu = time.perf_counter(), time.process_time()
    with db.atomic():
        importer.save(batch, plan, None)
    return time.perf_counter() - started, time.process_time() - cpu


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("n", type=int, nargs="?", default=10000)
    parser.add_argument("--database-url", default=os.environ.get("DATABASE_URL", ""))
    args = parser.parse_args()
    n = args.n
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "SECRET_KEY": "bench", "DATABASE_URL": args.database_url})
        with app.app_context(), db.connection_context():
            if not models.is_sqlite():
                models.drop_all()
                models.init_schema()
            org = Organisation.create(name="工业和信息化部教育与考试中心")
            cert = Certificate.create(name="Web前端开发", organisation=org, code="WEB")
            PilotCertificate.create(certificate=cert, level="中级", since=date(2020, 1, 1))
            Quota.create(certificate=cert, level="中级", year=date.today().year, document_no="bench", amount=n + 1)
            Site.create(name="信息楼机房", certificate=cert, levels="中级", region="郑州", address="文化路", contact="王",
                        phone="13800000000", seats=60, review_status=APPROVED, site_status=ENABLED)
            people = [{"name": "张三", "id_type": "居民身份证", "id_number": id_number(i), "gender": "男" if int(id_number(i)[16]) % 2 else "女",
                       "phone": "13812345678"} for i in range(n)]
            with db.atomic():
                Candidate.bulk_add([dict(p, status=ACCURATE, photo="ab/x.jpg") for p in people])
            candidates_file, awards_file = Path(tmp) / "c.xlsx", Path(tmp) / "a.xlsx"
            xlsx(CANDIDATES, [dict(p, id_number=id_number(i + n)) for i, p in enumerate(people)], candidates_file)
            exam = (date.today() - timedelta(days=30)).isoformat()
            xlsx(AWARDS, [{"name": "张三", "id_type": "居民身份证", "id_number": p["id_number"], "certificate_name": "Web前端开发",
                           "level": "中级", "site_name": "信息楼机房", "exam_date": exam, "theory_score": "80",
                           "practical_score": "75", "result": "通过"} for p in people], awards_file)
            cand_seconds, cand_good, _ = timed_validation(CANDIDATES, CandidateImporter(), candidates_file)
            award_seconds, award_good, plan = timed_validation(AWARDS, AwardImporter(), awards_file)
            if not models.is_sqlite():
                # What autovacuum does soon after the candidates' bulk load: without statistics of the fresh
                # tables, PostgreSQL joined the records to their candidates in the audit events' INSERT … SELECT
                # by scanning the candidates for each record (10,000 records: 10–25 s).
                db.execute_sql("ANALYZE")
            save_seconds, save_cpu = timed_save(AwardImporter(), plan, awards_file)
    print(f"{n} rows: candidate validation {cand_seconds:.2f} s ({cand_good} valid), "
          f"award validation {award_seconds:.2f} s ({award_good} valid), ratio {award_seconds / cand_seconds:.2f}×; "
          f"save {save_seconds:.3f} s, cpu {save_cpu:.3f} s ({db.obj.__class__.__name__})")


if __name__ == "__main__":
    main()
