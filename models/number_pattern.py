"""证书编号格式: the placeholders a certificate number pattern may use, how a pattern is checked and filled in.

A number is `head + running number + tail`: the pattern's text before and after {序号}, filled in.
The sequence that counts the running number is keyed by the filled-in head and tail (models/numbering.py),
so what the pattern leaves out decides only which numbers count together, never whether two can be equal:
    - Same key: one sequence hands out each running number once.
    - Different keys, same length: every placeholder but {证书代码} has a fixed length (等级代码 1,
      等级 2, 年份 4, 院校代码 one value at a time) and the running number is zero-padded to a fixed
      width, so two numbers of equal length have the running number at the same place, and equal
      numbers would need equal heads and tails, that is one key.
    - Different keys, different length: not equal.
So a pattern stays unique when it holds {序号} exactly once and the running number never outgrows its
width (numbering.allocate refuses that: `A` + 1000001 would equal `A1` + 000001). A pattern without
{证书代码} gives all certificates one shared running number, still unique. Numbers issued before the
pattern, the width or the college code changed are another matter: the unique index on the issued
number is the last line of defence there.
"""
import re

from .normalise import FieldError, text

SEQUENCE = "序号"
# name: what it stands for (the settings page and the messages list them in this order)
PLACEHOLDERS = {
    "证书代码": "证书目录中的证书代码，例如 WEB",
    "等级代码": "初级 1、中级 2、高级 3",
    "等级": "初级、中级 或 高级",
    "年份": "颁证年份，四位数字",
    "院校代码": "院校设置中的院校代码",
    SEQUENCE: "流水号，按序号位数补零",
}
ALLOWED = " ".join(f"{{{name}}}" for name in PLACEHOLDERS)
MAX_LENGTH = 60
_PARTS = re.compile(r"(\{[^{}]*\})")


def check(raw):
    """A certificate number pattern as typed (full-width braces allowed), or FieldError saying how to fix it
    (the caller names the setting)."""
    pattern = text(raw)  # NFKC: ｛年份｝ typed with a Chinese input method becomes {年份}
    if not pattern:
        raise FieldError("未填写", "请填写，例如 {证书代码}{等级代码}{年份}{序号}")
    if len(pattern) > MAX_LENGTH:
        raise FieldError(f"过长（{len(pattern)} 个字符）", f"请控制在 {MAX_LENGTH} 个字符以内")
    if " " in pattern:
        raise FieldError("有空格", "证书编号不能含空格，请删除空格")
    for position, part in _pieces(pattern):
        if _is_placeholder(part):
            if part[1:-1] not in PLACEHOLDERS:
                raise FieldError(f"「{part}」不是可用的占位符", f"可用的占位符：{ALLOWED}")
        elif "{" in part or "}" in part:
            brace = "{" if "{" in part else "}"
            at = position + part.index(brace) + 1
            raise FieldError(f"花括号不成对（第 {at} 个字符「{brace}」）",
                             "每个占位符写成一对花括号加名称，例如 {年份}")
    count = pattern.count("{" + SEQUENCE + "}")
    if count == 0:
        raise FieldError("缺少 {序号}，所有证书会得到相同的编号", "请在格式中加入一次 {序号}")
    if count > 1:
        raise FieldError(f"{{序号}} 出现了 {count} 次", "{序号} 只能出现一次")
    return pattern


def split(pattern, values):
    """(head, tail): the pattern before and after {序号}, each placeholder replaced by `values[name]`."""
    head, _, tail = pattern.partition("{" + SEQUENCE + "}")
    return _fill(head, values), _fill(tail, values)


def shared(pattern):
    """What counts on one running number because the pattern leaves it out, in Chinese (may be empty)."""
    notes = []
    if "{证书代码}" not in pattern:
        notes.append("不同证书共用一个序号")
    if "{等级代码}" not in pattern and "{等级}" not in pattern:
        notes.append("同一证书的不同等级共用一个序号")
    if "{年份}" not in pattern:
        notes.append("序号跨年连续，不按年份重新开始")
    return notes


def _pieces(pattern):
    """(position, piece) for each placeholder and each stretch of text between them."""
    position = 0
    for piece in _PARTS.split(pattern):
        if piece:
            yield position, piece
        position += len(piece)


def _is_placeholder(piece):
    return piece.startswith("{") and piece.endswith("}")


def _fill(part, values):
    # Not str.format: a value such as a certificate code is text, never a second pattern.
    return "".join(values[piece[1:-1]] if _is_placeholder(piece) else piece for _, piece in _pieces(part))
