"""A name's pinyin, for sorting the candidate list and finding a name by its initials or its spelling.

The readings come from pypinyin's character table (pinyin_dict.json: each character's readings, the
most common first), read directly rather than through `import pypinyin`: the package loads its phrase
table too, ~200,000 small lists that cost 50 MB in every process and ~0.15 s in each full garbage
collection, and lazy_pinyin() costs ~50 µs a name (half a second on an import of 10,000 rows). A name
is read a character at a time (~3 µs a name), the surname from SURNAMES first, because a surname is
often read differently from the same character elsewhere (曾 zeng, not ceng).
"""
import importlib.util
import json
import re
import unicodedata
from functools import lru_cache
from pathlib import Path

_TABLE = Path(importlib.util.find_spec("pypinyin").submodule_search_locations[0]) / "pinyin_dict.json"
# {code point as text: "zhāng,zhàng"}
READINGS = json.loads(_TABLE.read_text(encoding="utf-8"))

# Surnames whose reading differs from the character's first reading in pypinyin's table, and compound
# surnames; pypinyin has no surname mode.
SURNAMES = {
    "曾": "zeng", "单": "shan", "解": "xie", "仇": "qiu", "区": "ou", "查": "zha", "朴": "piao", "盖": "ge",
    "乐": "yue", "覃": "qin", "翟": "zhai", "缪": "miao", "秘": "bi", "种": "chong", "员": "yun", "句": "gou",
    "能": "nai", "召": "shao", "折": "she", "祭": "zhai", "薄": "bo", "谌": "chen", "蔚": "yu", "阚": "kan",
    "隗": "wei", "繁": "po", "尉": "yu", "莘": "shen", "角": "jue", "长": "chang", "重": "chong", "黑": "he",
    "贲": "ben", "华": "hua", "任": "ren", "沈": "shen", "纪": "ji", "牟": "mou", "相": "xiang", "难": "ning",
    "万俟": "mo qi", "尉迟": "yu chi", "单于": "chan yu", "长孙": "zhang sun", "澹台": "tan tai",
    "令狐": "ling hu", "宇文": "yu wen", "欧阳": "ou yang", "皇甫": "huang fu", "上官": "shang guan",
    "司马": "si ma", "诸葛": "zhu ge", "东方": "dong fang", "公孙": "gong sun", "夏侯": "xia hou",
    "乐正": "yue zheng", "仉督": "zhang du", "中行": "zhong hang", "拓跋": "tuo ba",
}


def _plain(reading):
    """Tone marks off, ü as v (as typed on a pinyin keyboard: lv for 吕)."""
    reading = unicodedata.normalize("NFD", reading).replace("u\u0308", "v")
    return "".join(c for c in reading if c.isascii())


# Bounded: names and 院系/专业/班级 are typed or imported by staff, and each character of all of Unicode kept
# would hold ~140 MB a process; the ~20,000 characters of real names and words fit with room to spare.
@lru_cache(maxsize=1 << 16)
def _char(c):
    """One character's first reading without tones; a letter or digit as itself; "" for anything else."""
    readings = READINGS.get(str(ord(c)))
    if readings:
        return _plain(readings.split(",")[0])
    return c.lower() if c.isascii() and c.isalnum() else ""


def _word(text):
    """Syllables of a text: one a Chinese character, one a run of Latin letters or digits."""
    syllables, latin = [], ""
    for c in text:
        reading = _char(c)
        if c.isascii() and reading:
            latin += reading
            continue
        if latin:
            syllables.append(latin)
            latin = ""
        if reading:
            syllables.append(reading)
    return syllables + ([latin] if latin else [])


def syllables(name):
    """The name's pinyin, one syllable a character (a Latin word is one): 曾小明 → [zeng, xiao, ming]."""
    name = name.strip()
    if not name or name[0].isascii():
        return _word(name)
    compound = SURNAMES.get(name[:2]) if len(name) > 2 else None
    if compound:
        return compound.split() + _word(name[2:])
    surname = SURNAMES.get(name[0]) or _char(name[0])
    return ([surname] if surname else []) + _word(name[1:])


@lru_cache(maxsize=65536)
def name_keys(name):
    """The candidate's stored search and sort columns for a name.

    name_sort: the syllables joined by "-", then a space and the name: in byte order (both databases
      compare these columns so) it sorts by pinyin syllable by syllable (李四 li-si before 连安 lian-an),
      a shorter name before a longer one with the same start (张三 before 张三丰), and one character's
      names together among names of the same pinyin.
    name_pinyin: the whole spelling (zhangsan), name_initials: the first letters (zs), both matched
      from their start.
    name_chars: the name's characters separated by spaces, the text the name's full-text index reads,
      so that every character is a word and a phrase of characters matches a part of the name.
    Cached (names repeat: 张伟); callers copy the dict before changing it.
    """
    spelled = syllables(name or "")
    chars = [c for c in (name or "").lower() if c.isalnum()]
    return {"name_sort": "-".join(spelled) + " " + (name or ""), "name_pinyin": "".join(spelled),
            "name_initials": "".join(s[0] for s in spelled), "name_chars": " ".join(chars)}


# Words of 院系, 专业 and 班级 names (and the places they are named after) read otherwise than their characters'
# first readings: 会计 is kuai ji, under K where staff look for it, not hui ji. pypinyin's phrase table knows
# them all, but loading it costs 50 MB a process (above).
WORDS = {
    "会计": "kuai ji", "银行": "yin hang", "行业": "hang ye", "音乐": "yin yue", "乐器": "yue qi", "畜牧": "xu mu",
    "模具": "mu ju", "空调": "kong tiao", "调解": "tiao jie", "校对": "jiao dui", "角色": "jue se", "弹性": "tan xing",
    "都市": "du shi", "首都": "shou du", "成都": "cheng du", "重庆": "chong qing", "长春": "chang chun",
    "长沙": "chang sha", "长江": "chang jiang", "长城": "chang cheng", "厦门": "xia men", "西藏": "xi zang",
}
_WORD = re.compile("|".join(map(re.escape, WORDS)))


@lru_cache(maxsize=4096)
def text_order(text):
    """A sort key that puts texts (院系, 专业, 班级) in pinyin order as staff look for them: 电子 before 信息
    before 会计 (by character code 会 comes first and 电 last), the text itself breaking ties."""
    spelled, at = [], 0
    for word in _WORD.finditer(text):
        spelled += _word(text[at:word.start()]) + WORDS[word.group()].split()
        at = word.end()
    return "-".join(spelled + _word(text[at:])), text
