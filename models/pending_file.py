"""生成待颁证导入文件: the 导入待颁证记录 template pre-filled with the ready candidates of a 颁证前检查.

姓名, 证件类型, 证件号码, 证书名称 and 证书等级 are filled in, ordered by 院系, 班级, 姓名; 考核站点 offers only
the sites usable for that level (filled in when there is one); staff type 考核日期, 成绩 and 考核结果 and
import the file as it is. A note above the header (and atop 填写说明) says who was left out and why, and
how much of the year's 省厅指标 is left. It carries full ID numbers to be imported again: every download
is in the audit log.
"""
from sheets.template import build_template

from .award_fields import AWARD_SHEET
from .readiness import READY


def pending_file(check):
    """(.xlsx bytes, rows filled in) for a Readiness: every ready candidate of its selection."""
    certificate, level, sites = check.certificate, check.level, check.sites
    site = sites[0] if len(sites) == 1 else ""
    records = [{"name": c.name, "id_type": c.id_type, "id_number": c.id_number, "certificate_name": certificate.name,
                "level": level, "site_name": site}
               for c in check.where(READY).iterator()]
    spec = AWARD_SHEET.narrowed(certificate_name=(certificate.name,), level=(level,), site_name=sites)
    return build_template(spec, records, note=note(check, check.summary(), len(records))), len(records)


def note(check, summary, count):
    """The note's lines: what was filled in, who was left out and why, and the quota left."""
    subject = check.subject
    lines = [f"本文件已填入 {count} 名可导入 {subject} 的考生（按院系、班级、姓名排序），"
             "请填写考核日期、成绩和考核结果后，在待颁证记录中点「导入待颁证记录」上传本文件。"]
    if summary.not_ready:
        reasons = "；".join(f"「{condition.label}」未满足 {n} 名" for condition, n in summary.reasons.items())
        lines.append(f"未列入 {summary.not_ready} 名未就绪的考生（按首个未满足的条件计）：{reasons}。详见颁证前检查。")
    year = check.today.year
    if summary.quota is None:
        lines.append(f"{year} 年 {subject} 尚无省厅指标，导入时将被拒绝。")
    else:
        lines.append(f"{year} 年省厅指标 {summary.quota.amount} 名，已用 {summary.used} 名，还可导入 {summary.left} 名。")
        if summary.left < count:
            lines.append(f"注意：剩余指标只有 {summary.left} 名，少于本文件的 {count} 名考生，"
                         f"导入时超出指标的 {count - summary.left} 行将被拒绝。")
    if len(check.sites) > 1:
        lines.append(f"考核站点请从下拉列表中选择（该证书等级有 {len(check.sites)} 个可用站点）。")
    return lines

