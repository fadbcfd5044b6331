"""The manual's preconditions for a 待颁证记录, as one ordered list of small checks.

The import validator runs every check on every row, a returned record is resubmitted only when they
pass, and the readiness check (颁证前检查) runs the same functions for a candidate, a certificate + level
or a selection, so they can never disagree. Each check reads only the preloaded Context: validating
10,000 rows costs a few set-based queries, not a query per row.
"""
from dataclasses import dataclass, field
from datetime import date
from difflib import get_close_matches

from .award import HOLDING, AwardError, AwardRecord
from .candidate import ACCURATE, REJECTED, VERIFIED, Candidate
from .db import select_in
from .pilot import PilotCertificate
from .quota import Quota
from .site import Site


@dataclass
class Problem:
    column: str        # the spreadsheet column the problem is about
    message: str       # what is wrong
    fix: str           # what to do
    note: int = 0      # the manual's note ①–⑤ it belongs to
    link: tuple = ()   # (endpoint, kwargs) of the page that fixes it


@dataclass
class Row:
    """One candidate's claim to a certificate, from a spreadsheet row or a readiness question."""
    name: str = ""
    id_type: str = ""
    id_number: str = ""
    certificate: object = None   # Certificate or None when the name matched none
    certificate_name: str = ""
    level: str = ""
    site: object = None          # Site or None
    site_name: str = ""
    exam_date: object = None     # date, None, or the raw text when unparseable
    theory_score: object = None
    practical_score: object = None
    result: str = ""
    candidate: object = None     # filled by the context
    row_number: int = 0


@dataclass
class Context:
    """Everything the checks need, loaded in a few queries for a whole file."""
    today: date
    candidates: dict = field(default_factory=dict)      # (id_type, id_number) -> Candidate
    pilot: set = field(default_factory=set)             # {(certificate_id, level)}
    holding: set = field(default_factory=set)           # {(candidate_id, certificate_id, level)} in the DB
    quotas: dict = field(default_factory=dict)          # (certificate_id, level, year) -> (quota, used)
    seen: dict = field(default_factory=dict)            # claim -> row number accepted earlier in the file
    planned: dict = field(default_factory=dict)         # (certificate_id, level, year) -> rows accepted so far
    usable_sites: dict = field(default_factory=dict)    # (certificate_id, level) -> names of its usable sites


NOTE_MARKS = {1: "①", 2: "②", 3: "③", 4: "④", 5: "⑤"}
# How alike a typed site name must be to a usable one to be asked about (difflib's ratio): a character
# or two left out of a long name, not another site that shares a word with it.
SLIP_CUTOFF = 0.8


def check_candidate(row, ctx):
    """① no candidate with that 证件类型 + 证件号码, or the 姓名 differs."""
    candidate = ctx.candidates.get((row.id_type, row.id_number))
    row.candidate = candidate
    if candidate is None:
        return Problem("证件号码", f"系统中没有{row.id_type or '该证件类型'}「{row.id_number}」的考生",
                       "请先在考生管理中新增或批量导入该考生，并完成认证和人工确认", 2, ("candidates.index", {}))
    if row.name and row.name != candidate.name:
        return Problem("姓名", f"姓名「{row.name}」与考生信息中的「{candidate.name}」不一致",
                       "请核对姓名；如考生信息有误，请在考生管理中修改后重新认证", 2,
                       ("candidates.detail", {"candidate_id": candidate.id}))
    return None


def check_accurate(row, ctx):
    """② the candidate is not 信息准确: name the status and the step still needed."""
    candidate = row.candidate
    if candidate is None or candidate.status == ACCURATE:
        return None
    steps = "；".join(candidate.missing_steps())
    return Problem("证件号码", f"考生状态为「{candidate.status}」，还需{_still_needed(candidate)}",
                   steps, 2, ("candidates.detail", {"candidate_id": candidate.id}))


def _still_needed(candidate):
    if candidate.status == VERIFIED:
        return "上传照片并完成人工确认" if not candidate.photo else "完成人工确认"
    if candidate.status == REJECTED:
        return "按认证未通过的原因修改信息后重新认证"
    return "完成认证和人工确认"


def check_pilot(row, ctx):
    """③ the certificate or level is not one of the college's 试点证书."""
    if row.certificate is None:
        return Problem("证书名称", f"证书「{row.certificate_name}」不在证书目录中",
                       "请填写证书目录中的证书名称，例如 Web前端开发", 5, ("catalog.certificates", {}))
    if (row.certificate.id, row.level) not in ctx.pilot:
        return Problem("证书等级", f"「{row.certificate.name} {row.level}」不是本院校的试点证书",
                       "只能导入本院校试点证书的记录；如已获批试点，请院校管理员在系统管理中添加试点证书", 5,
                       ("catalog.pilots", {}))
    return None


def site_problem(site, certificate, level, site_name=""):
    """What stops a site from being named for a certificate level, or None (also used by readiness)."""
    if site is None:
        return Problem("考核站点", f"考核站点「{site_name}」不存在", "请填写考核站点页面中已启用站点的名称", 3,
                       ("sites.index", {}))
    if certificate is not None and (site.certificate_id != certificate.id or not site.covers(level)):
        return Problem("考核站点", f"考核站点「{site.name}」未申报 {certificate.name} {level}",
                       "请填写申报了该证书和等级的站点，或为该站点重新申报", 3, ("sites.index", {}))
    if not site.is_usable():
        return Problem("考核站点", f"考核站点「{site.name}」审核状态为{site.review_status}、站点状态为{site.site_status}",
                       "需评价组织审核通过并启用后才能导入", 3, ("sites.index", {}))
    return None


def check_site(row, ctx):
    """④ the site does not exist, is not for that certificate and level, or is not 审核通过 + 已启用."""
    if row.certificate is None:
        return None
    problem = site_problem(row.site, row.certificate, row.level, row.site_name)
    if row.site is None:
        # A name typed by hand with a slip ("…考核站" for "…考核站点"): ask whether the usable site of
        # that level was meant. Still refused: a guess is never stored.
        meant = get_close_matches(row.site_name, ctx.usable_sites.get((row.certificate.id, row.level), ()), n=1,
                                  cutoff=SLIP_CUTOFF)
        if meant:
            problem.message += f"，是否为「{meant[0]}」？"
            problem.fix = "请从下拉列表中选择考核站点，或照站点名称完整填写"
    return problem


def check_passed(row, ctx):
    """⑤ 考核结果 is not 通过, or a score is below the certificate's pass mark."""
    if row.result != "通过":
        return Problem("考核结果", f"考核结果为「{row.result or '空'}」", "只能导入考核结果为「通过」的考生", 1)
    mark = row.certificate.pass_mark if row.certificate is not None else 60
    for column, score in (("理论成绩", row.theory_score), ("实操成绩", row.practical_score)):
        if score is not None and score < mark:
            return Problem(column, f"{column} {score:g} 低于合格分数 {mark}", "只能导入考核通过的考生；请核对成绩", 1)
    return None


def check_exam_date(row, ctx):
    """⑥ 考核日期 is missing, unparseable or in the future (past dates are normal: historical records)."""
    if row.exam_date is None or row.exam_date == "":
        return Problem("考核日期", "考核日期为空", "请填写考核日期，例如 2026-06-15", 1)
    if not isinstance(row.exam_date, date):
        return Problem("考核日期", f"考核日期「{row.exam_date}」无法识别", "请写成 2026-06-15 或 2026/6/15 的格式", 1)
    if row.exam_date > ctx.today:
        return Problem("考核日期", f"考核日期 {row.exam_date:%Y-%m-%d} 在未来", "只能导入已经考核的记录，请核对日期", 1)
    return None


def check_not_duplicate(row, ctx):
    """⑦ the candidate already has a pending or issued record for that certificate and level."""
    if row.candidate is None or row.certificate is None:
        return None
    claim = (row.candidate.id, row.certificate.id, row.level)
    if claim in ctx.holding:
        return Problem("证书等级", f"该考生已有 {row.certificate.name} {row.level} 的待审核或已颁证记录",
                       "同一考生同一证书等级只能导入一次；如被退回，请在待颁证记录中修改后重新提交", 1,
                       ("awards.index", {"q": row.candidate.name, "certificate": row.certificate.id,
                                         "level": row.level}))
    if claim in ctx.seen:
        return Problem("证书等级", f"与第 {ctx.seen[claim]} 行重复：同一考生的 {row.certificate.name} {row.level}",
                       "删除重复的行", 1)
    return None


def check_quota(row, ctx):
    """⑧ the year's 省厅指标 for that certificate and level would be exceeded."""
    if row.certificate is None or not isinstance(row.exam_date, date):
        return None
    year = row.exam_date.year
    key = (row.certificate.id, row.level, year)
    if key not in ctx.quotas:
        return Problem("证书等级", f"{year} 年 {row.certificate.name} {row.level} 尚无省厅指标",
                       "院校需确保考生已在线下获省厅指标审批；请院校管理员在系统管理中录入省厅指标", 4,
                       ("quotas.index", {}))
    amount, used = ctx.quotas[key]
    taken = used + ctx.planned.get(key, 0)
    if taken + 1 > amount:
        return Problem("证书等级", f"超出 {year} 年 {row.certificate.name} {row.level} 省厅指标（已用 {taken} / 指标 {amount}）",
                       "请核对名单，或由院校管理员录入追加的省厅指标", 4, ("quotas.index", {}))
    return None


# The manual's preconditions in the order a row is checked. Each reads only the row and the context.
CHECKS = [check_candidate, check_accurate, check_pilot, check_site, check_passed, check_exam_date,
          check_not_duplicate, check_quota]


def check_row(row, ctx):
    """Every problem of one row; a row without problems is counted against the context (seen, quota)."""
    problems = [p for p in (check(row, ctx) for check in CHECKS) if p is not None]
    if not problems:
        ctx.seen[(row.candidate.id, row.certificate.id, row.level)] = row.row_number
        key = (row.certificate.id, row.level, row.exam_date.year)
        ctx.planned[key] = ctx.planned.get(key, 0) + 1
    return problems


def load_context(rows, today=None):
    """Load what the checks need for these rows in a few set-based queries."""
    ctx = Context(today=today or date.today())
    numbers = sorted({row.id_number for row in rows if row.id_number})
    # Only the fields the checks read: a whole Candidate row costs five times as much to build.
    for candidate in select_in(Candidate, ("id", "name", "id_type", "id_number", "status", "photo"), "id_number",
                               numbers, instances=True):
        ctx.candidates[(candidate.id_type, candidate.id_number)] = candidate
    ctx.pilot = PilotCertificate.pairs()
    for certificate_id, levels, name in Site.usable().select(Site.certificate, Site.levels, Site.name).tuples():
        for level in levels.split(","):
            ctx.usable_sites.setdefault((certificate_id, level), []).append(name)
    held = select_in(AwardRecord, ("candidate", "certificate", "level", "status"), "candidate",
                     [c.id for c in ctx.candidates.values()])
    ctx.holding.update((candidate, certificate, level) for candidate, certificate, level, status in held
                       if status in HOLDING)
    years = {row.exam_date.year for row in rows if isinstance(row.exam_date, date)}
    if years:
        used = AwardRecord.used_by_quota(years)
        for quota in Quota.select().where(Quota.year.in_(sorted(years))):
            key = (quota.certificate_id, quota.level, quota.year)
            ctx.quotas[key] = (quota.amount, used.get(key, 0))
    return ctx


def resubmit(record, site, exam_date, theory_score, practical_score, by, today=None):
    """Staff correct a returned record and submit it again (back to 待审核), if every check passes."""
    record.check_resubmittable()
    candidate = record.candidate
    row = Row(name=candidate.name, id_type=candidate.id_type, id_number=candidate.id_number,
              certificate=record.certificate, certificate_name=record.certificate.name, level=record.level,
              site=site, site_name=site.name if site else "", exam_date=exam_date,
              theory_score=theory_score, practical_score=practical_score, result="通过")
    problems = check_row(row, load_context([row], today))
    if problems:
        raise AwardError("；".join(p.message for p in problems))
    record.resubmit(site, exam_date, theory_score, practical_score, by)
