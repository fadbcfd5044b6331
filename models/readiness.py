"""颁证前检查 for a selection of any size, and the 待颁证记录 file pre-filled with its ready candidates.

A candidate is ready for a certificate level when it is 信息准确, a site usable for that level exists,
the year's 省厅指标 has room, the level is one of the college's 试点证书 and the candidate holds no
pending or issued record of it (DOMAIN.md, "Readiness"). Three of these are the college's and answer the
same for every candidate; two are the candidate's own. So a selection of thousands is counted in a few
queries, and each candidate falls in exactly one group: ready, or the FIRST precondition it misses. The
problems are the import's own (models/award_checks.py): 颁证前检查 and the import never disagree.
"""
from dataclasses import dataclass
from functools import cached_property
from datetime import date

from peewee import Value

from sheets.spec import Column, SheetSpec

from . import audit, status_tally
from .award import HOLDING, TALLY, AwardRecord
from .award_checks import (Context, Problem, Row, check_accurate, check_not_duplicate, check_pilot, check_quota,
                           site_problem)
from .candidate import ACCURATE, Candidate
from .db import is_sqlite, select_in
from .pilot import PilotCertificate
from .privacy import mask_id
from .quota import Quota
from .site import Site

audit.ACTION_LABELS.update({
    "award.prefill": "生成待颁证导入文件",
    "award.readiness_export": "导出颁证前检查结果",
})


@dataclass(frozen=True)
class Condition:
    key: str      # names the group in a URL: ?show=accurate
    label: str    # the table's column, the summary's line
    means: str    # what it asks, as the column's title says


ACCURATE_INFO = Condition("accurate", "信息准确", "考生已认证并人工确认，状态为信息准确")
SITE_USABLE = Condition("site", "考核站点", "有审核通过且已启用、申报了该证书等级的考核站点")
QUOTA_LEFT = Condition("quota", "省厅指标", "本年度省厅指标尚有余量")
PILOT = Condition("pilot", "试点证书", "该证书等级是本院校的试点证书")
ONCE = Condition("once", "无重复记录", "该考生尚无此证书等级的待审核或已颁证记录（已退回的不算）")
# In the order of the manual's notes ②–⑤, then the import's own rule: a candidate's group is its first ✗.
CONDITIONS = (ACCURATE_INFO, SITE_USABLE, QUOTA_LEFT, PILOT, ONCE)
# ① 考核通过 cannot be known before the record is imported: shown, never ticked.
PASSED = Condition("passed", "考核通过", "导入时检查：考核结果须为「通过」，成绩不低于合格分数")
READY, NOT_READY = "ready", "not_ready"
SHOWN = (READY, NOT_READY) + tuple(c.key for c in CONDITIONS)
# The order of the table and of the pre-filled file (DOMAIN.md: 院系, 班级, 姓名; the name in pinyin order, as
# 考生管理 sorts it: by code point 张 came before 吴).
ORDER = (Candidate.department, Candidate.class_name, Candidate.name_sort, Candidate.id)
# A group no candidate can be in (the college's checks pass, or an earlier one fails for everyone).
NOBODY = Value(False)


def selection_counts(ids=(), department="", class_name=""):
    """{status: candidates} of the selection when the database keeps that count (no ticked ids), else None."""
    return None if ids else status_tally.counts(department=department, class_name=class_name)


def selection(ids=(), department="", class_name=""):
    """The candidates asked about: the ticked ones (all when none), narrowed to a 院系 and 班级."""
    query = Candidate.select()
    if ids:
        query = query.where(Candidate.id.in_(list(ids)))
    if department:
        query = query.where(Candidate.department == department)
    if class_name:
        query = query.where(Candidate.class_name == class_name)
    return query


@dataclass
class Checked:
    """One candidate's row: a problem (None when met) for each of CONDITIONS, in order."""
    candidate: Candidate
    problems: tuple

    @property
    def marks(self):
        return list(zip(CONDITIONS, self.problems))

    @property
    def first(self):
        """(condition, problem) of the first precondition missed, or None when ready."""
        return next(((c, p) for c, p in self.marks if p is not None), None)


@dataclass
class Summary:
    total: int
    ready: int
    reasons: dict       # {Condition: candidates whose first missing precondition it is}, only those > 0
    quota: object       # this year's Quota or None
    used: int

    @property
    def not_ready(self):
        return self.total - self.ready

    def of(self, show):
        """How many candidates Readiness.where(show) lists."""
        groups = {READY: self.ready, NOT_READY: self.not_ready, **{c.key: n for c, n in self.reasons.items()}}
        return self.total if show not in SHOWN else groups.get(show, 0)

    @property
    def left(self):
        """Places left in this year's 省厅指标; None without one."""
        return None if self.quota is None else max(self.quota.amount - self.used, 0)

    @property
    def short(self):
        """Fewer places left than ready candidates: the import refuses the rows beyond the quota."""
        return self.left is not None and self.ready > self.left

    @property
    def over_quota(self):
        """The ready candidates beyond the places left, whose rows the import will refuse (0 when none)."""
        return self.ready - self.left if self.short else 0


class Readiness:
    """颁证前检查 of a selection of candidates (a query) for one certificate level."""

    def __init__(self, candidates, certificate, level, today=None, counts=None):
        """`counts`: {status: candidates} of the selection when known (selection_counts), else counted."""
        self.certificate, self.level, self.counts = certificate, level, counts
        self.today = today or date.today()
        self.candidates = candidates.order_by(*ORDER)
        year = self.today.year
        self.quota = Quota.for_year(certificate, level, year)
        used = AwardRecord.used_by_quota([year], certificate.id, level)
        self.used = used.get((certificate.id, level, year), 0)
        self.sites = Site.usable_names(certificate, level)
        self._ctx = Context(today=self.today, pilot=PilotCertificate.pairs(),
                            quotas={(certificate.id, level, year): (self.quota.amount, self.used)} if self.quota else {})
        claim = self._claim(None)
        self.college = {SITE_USABLE: self._site_problem(), QUOTA_LEFT: check_quota(claim, self._ctx),
                        PILOT: check_pilot(claim, self._ctx)}
        # The first of the college's preconditions that fails stops every 信息准确 candidate alike.
        self.blocked_by = next((c for c in CONDITIONS if self.college.get(c)), None)

    @property
    def subject(self):
        """The certificate level checked, as people name it: Web前端开发 中级."""
        return f"{self.certificate.name} {self.level}"

    def _claim(self, candidate):
        """The row the import would need for this candidate: dated today, before any result is known."""
        return Row(certificate=self.certificate, certificate_name=self.certificate.name, level=self.level,
                   exam_date=self.today, candidate=candidate, name=getattr(candidate, "name", ""))

    def _site_problem(self):
        if self.sites:
            return None
        declared = Site.naming(self.certificate, self.level).first()
        if declared is None:
            return Problem("考核站点", f"尚无申报 {self.certificate.name} {self.level} 的考核站点",
                           "请申报考核站点并等待评价组织审核通过", 3, ("sites.index", {}))
        return site_problem(declared, self.certificate, self.level)

    # ---- the groups, as queries ------------------------------------------------------------------
    def _groups(self):
        """{group: expression}: ready, not_ready, and each condition that is someone's first ✗."""
        accurate = Candidate.status == ACCURATE
        held = self._held()
        firsts = {ACCURATE_INFO.key: Candidate.status != ACCURATE}
        if self.blocked_by:
            ready = NOBODY
            firsts[self.blocked_by.key] = accurate
        else:
            ready = accurate & ~held
            firsts[ONCE.key] = accurate & held
        return {READY: ready, NOT_READY: ~ready, **firsts}

    def _held(self):
        """The candidates who hold a record of the level, as a condition. SQLite looks each record's candidate
        up (5 ms for 5,000 records among 50,000 信息准确 candidates), also for a 院系's selection, where reading
        the selection's 8,000 index entries and finding each among the records is quicker (3 ms instead of 10):
        so it is told to, when the selection's 信息准确 candidates are under five times the records."""
        records = AwardRecord.select(AwardRecord.candidate).where(
            (AwardRecord.certificate == self.certificate) & (AwardRecord.level == self.level)
            & AwardRecord.status.in_(HOLDING))
        return (Candidate.id + 0 if self._read_along_selection else Candidate.id).in_(records)

    @cached_property
    def _read_along_selection(self):
        """Whether SQLite is to read the selection along its index and not look each record's candidate up."""
        if not is_sqlite() or self.counts is None:
            return False
        held = TALLY.counts(certificate_id=self.certificate.id, level=self.level)
        return self.counts.get(ACCURATE, 0) < 5 * sum(held.get(status, 0) for status in HOLDING)

    def where(self, show=""):
        """The selection, or only one group of it: READY, NOT_READY or a condition's key."""
        if show not in SHOWN:
            return self.candidates
        return self.candidates.where(self._groups().get(show, NOBODY))

    @staticmethod
    def group_label(show):
        """How the page names a group it lists alone."""
        names = {READY: "可导入", NOT_READY: "未就绪", **{c.key: f"「{c.label}」未满足" for c in CONDITIONS}}
        return names.get(show, "")

    def summary(self):
        """The counts of the summary, each the number of candidates where(its group) lists."""
        groups = self._groups()
        if self.counts is None:
            reasons = {c: self.candidates.where(groups[c.key]).count() for c in CONDITIONS if c.key in groups}
            total, ready = self.candidates.count(), self.candidates.where(groups[READY]).count()
        else:
            # The selection's counts per status are the database's (models/status_tally.py): only the 信息准确
            # candidates who hold a record of the level are counted here (each COUNT over 100,000 candidates
            # took 3–18 ms).
            total, accurate = sum(self.counts.values()), self.counts.get(ACCURATE, 0)
            if self.blocked_by:
                ready, reasons = 0, {ACCURATE_INFO: total - accurate, self.blocked_by: accurate}
            else:
                held = self.candidates.where(groups[ONCE.key]).count()
                ready, reasons = accurate - held, {ACCURATE_INFO: total - accurate, ONCE: held}
        return Summary(total=total, ready=ready, reasons={c: n for c, n in reasons.items() if n}, quota=self.quota,
                       used=self.used)

    # ---- rows ------------------------------------------------------------------------------------
    def check(self, candidates):
        """[Checked] for these candidates (a page, or all of an export): the records they hold are read
        in one query per 500."""
        candidates = list(candidates)
        held = select_in(AwardRecord, ("candidate", "certificate", "level", "status"), "candidate",
                         [c.id for c in candidates])
        self._ctx.holding = {(candidate, certificate, level) for candidate, certificate, level, status in held
                             if status in HOLDING}
        checked = []
        for candidate in candidates:
            claim = self._claim(candidate)
            problems = (check_accurate(claim, self._ctx), *(self.college[c] for c in (SITE_USABLE, QUOTA_LEFT, PILOT)),
                        check_not_duplicate(claim, self._ctx))
            checked.append(Checked(candidate, problems))
        return checked

    def export_rows(self, show=""):
        """The rows of 导出检查结果, 1,000 candidates at a time."""
        query = self.where(show)
        for start in range(0, query.count(), 1000):
            for row in self.check(query.offset(start).limit(1000)):
                yield _export_values(row)


def readiness_summary(certificate, level, today=None):
    """{ready, not_ready, reasons: {label: count}, quota, used, left, over_quota} over every candidate: the
    banner of 待颁证记录. From the candidate tally and one count, as 颁证前检查's (counting four groups of
    100,000 candidates took 75–90 ms on SQLite)."""
    summary = Readiness(selection(), certificate, level, today, counts=selection_counts()).summary()
    return {"ready": summary.ready, "not_ready": summary.not_ready,
            "reasons": {c.label: n for c, n in summary.reasons.items()},
            "quota": summary.quota.amount if summary.quota else None, "used": summary.used, "left": summary.left,
            "over_quota": summary.over_quota}


# ---- 导出检查结果 ---------------------------------------------------------------------------------------
def _mark(problem):
    return "✗" if problem else "✓"


def _export_values(row):
    c, first = row.candidate, row.first
    values = {"name": c.name, "id_number": c.id_number, "department": c.department, "class_name": c.class_name,
              PASSED.key: "导入时检查", "result": f"未就绪：{first[0].label}" if first else "可导入",
              "fix": f"{first[1].message}；{first[1].fix}" if first else ""}
    values.update({condition.key: _mark(problem) for condition, problem in row.marks})
    return values


READINESS_SHEET = SheetSpec(
    kind="readiness", title="颁证前检查", template_name="颁证前检查结果", noun="考生", unit="名",
    columns=(
        Column("name", "姓名"),
        Column("id_number", "证件号码", as_text=True, mask=mask_id, export=mask_id),
        Column("department", "院系"),
        Column("class_name", "班级"),
        Column("result", "检查结果"),
        Column(PASSED.key, PASSED.label),
        *(Column(condition.key, condition.label) for condition in CONDITIONS),
        Column("fix", "未满足的条件及处理"),
    ),
)
