"""学生照片: the one photo checker, the content-addressed store, thumbnails and a generated ID photo.

Every photo, whether it comes in a ZIP (models/photo_zip.py) or through the candidate form, passes
`check_photo` with the rules below (settings an administrator can change), and is stored re-encoded by
`store_photo` under `<data_dir>/photos/ab/<sha256>.jpg`; the candidate row keeps that relative path.
"""
import hashlib
import io
import logging
import os
import random
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageDraw, ImageOps, JpegImagePlugin

from sheets.spec import Column

from . import audit, setting
from .candidate import Candidate

audit.ACTION_LABELS.setdefault("photo.zip", "上传学生照片压缩包")

# ID photos are well under a million pixels. Pillow's own bomb limit (89 M pixels, only a warning below
# twice that) would let a 200 KB file expand to hundreds of MB, so the whole process uses this lower one.
MAX_PIXELS = 4_000_000
Image.MAX_IMAGE_PIXELS = MAX_PIXELS

PHOTOS = "photos"
THUMBS = "thumbs"
# A photo or thumbnail is written to a temporary file beside its place, then renamed into it (_write_atomic).
TEMP_PREFIX = ".tmp-"
# A write takes milliseconds and touches its file as it goes: a temporary file untouched this long was left by
# a write that was killed (a process stopped outright), never one another server process is making now.
STALE_TEMP_SECONDS = 3600

log = logging.getLogger("certdesk")
THUMB_SIZE = (90, 120)
JPEG_QUALITY = 90
_ROTATED = {5, 6, 7, 8}  # EXIF orientations that swap width and height


# The candidate form's photo: optional; its rules are the settings' (PhotoRules).
PHOTO_FIELD = Column("photo", "照片", input="file")


@dataclass(frozen=True)
class PhotoRules:
    min_bytes: int
    max_bytes: int
    min_width: int
    min_height: int
    min_ratio: float
    max_ratio: float
    zip_max_files: int
    zip_max_bytes: int

    @classmethod
    def load(cls):
        """The rules as currently set (one read per setting: load once per job, not per photo)."""
        return cls(
            min_bytes=setting.get("photo_min_kb") * 1024,
            max_bytes=setting.get("photo_max_kb") * 1024,
            min_width=setting.get("photo_min_width"),
            min_height=setting.get("photo_min_height"),
            min_ratio=setting.get("photo_min_ratio"),
            max_ratio=setting.get("photo_max_ratio"),
            zip_max_files=setting.get("photo_zip_max_files"),
            zip_max_bytes=setting.get("photo_zip_max_mb") * 1024 * 1024,
        )

    @property
    def size_range(self):
        return f"{_kb(self.min_bytes)}–{_kb(self.max_bytes)} KB"

    @property
    def ratio_range(self):
        return f"{_num(self.min_ratio)}–{_num(self.max_ratio)}"

    def describe(self):
        """The rules as the 上传学生照片 dialog states them, one line each."""
        return [
            ("格式", "JPG（JPEG）图片，扩展名 .jpg 或 .jpeg，大小写均可"),
            ("命名", "以考生的证件号码命名，例如 410102200301051233.jpg；末位 x 大小写均可"),
            ("文件大小", f"每张 {self.size_range}"),
            ("像素", f"宽至少 {self.min_width}、高至少 {self.min_height} 像素（例如 358×441），"
                     f"总像素不超过 {MAX_PIXELS // 10000} 万（手机拍的大照片可以自动修正）"),
            ("比例", f"高 ÷ 宽在 {self.ratio_range} 之间（竖版证件照）"),
            ("压缩包", f"一个 .zip 文件，最多 {self.zip_max_files} 张照片、{self.zip_max_bytes // (1024 * 1024)} MB；"
                       "压缩包内的文件夹会被忽略"),
            ("自动修正", "只是文件太大或太小、像素过多（手机拍的 JPEG 照片最多 5000 万像素）、比例不对、格式（PNG、BMP、WebP）、"
                         "拍摄方向或 CMYK 颜色不符的照片，会给出修正后的照片与原图对比，并写明修正做了什么（缩放、裁剪、"
                         "转为 JPEG、压缩），确认后才保存。比例不对时：太高的照片裁去上下多余部分（保留头部所在的上部），"
                         "横版或太宽的照片左右居中裁剪，裁剪后仍须不小于上述像素；像素不足、无法打开或不是照片的文件不能修正"),
        ]


@dataclass
class PhotoResult:
    ok: bool
    problem: str = ""
    width: int = 0
    height: int = 0
    image: Image.Image = field(default=None, repr=False)  # the decoded picture, for store_photo


def _kb(size):
    return _num(round(size / 1024, 1))


def file_size(size):
    """A file's size as a user reads it: bytes below 1 KB (a 300-byte file is not "0 KB")."""
    return f"{size} 字节" if size < 1024 else f"{_kb(size)} KB"


def _looks_like_picture(data):
    """Whether a file (too small to check further) is a picture at all: its header is read, nothing decoded."""
    try:
        with Image.open(io.BytesIO(data)):
            return True
    except Exception:
        return False


def _num(value):
    return f"{value:.2f}".rstrip("0").rstrip(".")


def check_photo(data, rules=None):
    """Check one photo against the rules; the result says what is wrong with the measured value."""
    rules = rules or PhotoRules.load()
    size = len(data)
    # Size first: nothing is decoded that the rules would refuse anyway.
    if size < rules.min_bytes and not _looks_like_picture(data):
        return PhotoResult(False, f"不是图片文件（文件只有 {file_size(size)}）")
    if not rules.min_bytes <= size <= rules.max_bytes:
        return PhotoResult(False, f"文件 {file_size(size)}，应在 {rules.size_range} 之间")
    image, problem = decode_photo(data, formats=("JPEG",))
    if problem:
        return problem
    width, height = image.size
    problems = []
    if orientation(image) in _ROTATED:
        width, height = height, width
    if orientation(image) != 1:
        problems.append("照片带有旋转标记（EXIF 方向），保存前需转正")
    if image.mode not in ("RGB", "L"):
        problems.append(f"颜色模式为 {image.mode}，应为 RGB")
    if width < rules.min_width:
        problems.append(f"宽 {width} 像素，至少 {rules.min_width}")
    if height < rules.min_height:
        problems.append(f"高 {height} 像素，至少 {rules.min_height}")
    ratio = height / width
    if not rules.min_ratio <= ratio <= rules.max_ratio:
        problems.append(f"高宽比 {ratio:.2f}（{width}×{height}），应在 {rules.ratio_range} 之间")
    if problems:
        return PhotoResult(False, "；".join(problems), width, height)
    return PhotoResult(True, "", width, height, image)


def decode_photo(data, formats, draft=None, max_pixels=MAX_PIXELS):
    """Decode a picture under the bomb limit: (image, None), or (None, a refused PhotoResult).

    `formats` are the Pillow formats accepted; any other is refused with the format it really is.
    `draft` (width, height) lets a JPEG decode at a reduced scale no smaller than that: much faster. With a
    draft, a JPEG of up to `max_pixels` is read too, as long as the reduced picture is under MAX_PIXELS.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            if image.format not in formats:
                return None, PhotoResult(False, f"不是 JPEG 图片（实际为 {image.format or '未知格式'}）")
            width, height = image.size
            # Checked here as well, because the warnings filter is process-wide and another thread may
            # reset it between the open and this line.
            if width * height > MAX_PIXELS:
                return None, _too_many_pixels(width, height)
            image.verify()
            # verify() passes a truncated JPEG: only a real decode (load) reads every byte.
            image = Image.open(io.BytesIO(data))
            if draft and image.format == "JPEG" and image.mode in ("RGB", "L"):
                image.draft(image.mode, draft)
            image.load()
            image.info["stored_size"] = (width, height)  # before a draft decode shrank it
    except (Image.DecompressionBombWarning, Image.DecompressionBombError):
        if draft and max_pixels > MAX_PIXELS and "JPEG" in formats:
            return _decode_large_jpeg(data, draft, max_pixels)
        return None, _too_many_pixels(*_header_size(data))
    except Image.UnidentifiedImageError:
        return None, PhotoResult(False, "不是图片文件，或图片格式无法识别")
    except (OSError, SyntaxError, ValueError, EOFError):
        return None, PhotoResult(False, "图片已损坏或不完整")
    return image, None


def _decode_large_jpeg(data, draft, max_pixels):
    """A JPEG above the bomb limit (a phone photo), decoded at a reduced DCT scale that is under it."""
    try:
        # The plugin class opens without Image.open's bomb check; the pixels are bounded here instead.
        image = JpegImagePlugin.JpegImageFile(io.BytesIO(data))
        width, height = image.size
        if width * height > max_pixels or image.mode not in ("RGB", "L"):
            return None, _too_many_pixels(width, height, max_pixels)
        image.draft(image.mode, draft)
        if image.size[0] * image.size[1] > MAX_PIXELS:
            return None, _too_many_pixels(width, height, max_pixels)
        image.load()  # reads every byte: a truncated file fails here
    except (OSError, SyntaxError, ValueError, EOFError, Image.DecompressionBombError):
        return None, PhotoResult(False, "图片已损坏或不完整")
    image.info["stored_size"] = (width, height)
    return image, None


def _too_many_pixels(width, height, limit=MAX_PIXELS):
    shown = f"{width}×{height} 像素" if width else "像素过多"
    return PhotoResult(False, f"图片 {shown}，超过 {limit // 10000} 万像素的上限", width, height)


def _header_size(data):
    """Width and height from the JPEG header alone (Image.open refused it before returning)."""
    try:
        # The plugin class reads only the header, and the bomb check lives in Image.open, not here.
        return JpegImagePlugin.JpegImageFile(io.BytesIO(data)).size
    except Exception:
        return 0, 0


def orientation(image):
    try:
        return image.getexif().get(0x0112, 1)
    except Exception:
        return 1


def photos_dir(data_dir):
    return Path(data_dir) / PHOTOS


def store_photo(data_dir, data, image=None):
    """Re-encode a checked photo (EXIF removed, orientation applied) and store it by content hash.

    Returns the path relative to `<data_dir>/photos/`. Pass the decoded `image` from check_photo to
    avoid decoding twice.
    """
    if image is None:
        image = Image.open(io.BytesIO(data))
        image.load()
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "L"):
        upright = upright.convert("RGB")
    out = io.BytesIO()
    # No exif= argument: the stored copy carries no EXIF (camera, GPS, time).
    upright.save(out, "JPEG", quality=JPEG_QUALITY, optimize=False)
    return store_jpeg(data_dir, out.getvalue())


def store_jpeg(data_dir, encoded):
    """Store JPEG bytes as they are (already upright and without EXIF) by content hash; returns the path."""
    digest = hashlib.sha256(encoded).hexdigest()
    relative = f"{digest[:2]}/{digest}.jpg"
    target = photos_dir(data_dir) / relative
    if not target.exists():
        _write_atomic(target, encoded)
    return relative


def _write_atomic(target, data):
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temp = tempfile.mkstemp(dir=target.parent, prefix=TEMP_PREFIX, suffix=".jpg")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temp, target)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise


def remove_stale_temp_files(data_dir, older_than=STALE_TEMP_SECONDS):
    """Remove the temporary files that photo writes killed mid-way left under photos/ (and photos/thumbs/),
    those untouched for `older_than` seconds; returns how many were removed. Run at start."""
    root, removed = photos_dir(data_dir), 0
    cutoff = time.time() - older_than
    for folder in (root, root / THUMBS):
        for path in folder.glob(f"*/{TEMP_PREFIX}*.jpg"):
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                pass  # renamed into place or removed by another process meanwhile
            except OSError as exc:  # never a reason not to start; the next start tries again
                log.warning("无法删除写入中断的照片临时文件 %s：%s", path, exc)
    if removed:
        log.info("已删除 %d 个写入中断的照片临时文件", removed)
    return removed


def attach_photo(candidate, data, data_dir, by, rules=None):
    """Check, store and attach one photo (the candidate form's upload); returns (ok, message)."""
    result = check_photo(data, rules)
    if not result.ok:
        return False, f"照片不符合要求：{result.problem}"
    path = store_photo(data_dir, data, result.image)
    old = candidate.photo
    if old == path:
        return True, "照片与现有照片相同，未更改"
    candidate.set_photo(path, by)
    if old:
        delete_photo_file(data_dir, old)
    return True, "照片已保存"


def photo_file(data_dir, relative):
    """The absolute path of a stored photo, or None when the reference is not a file under photos/."""
    if not relative:
        return None
    root = photos_dir(data_dir).resolve()
    path = (root / relative).resolve()
    if root not in path.parents or not path.is_file():
        return None
    return path


def delete_photo_file(data_dir, relative):
    """Remove a photo file (and its thumbnail) once no candidate refers to it any more."""
    if not relative or Candidate.select().where(Candidate.photo == relative).exists():
        return False
    path = photo_file(data_dir, relative)
    if path is None:
        return False
    path.unlink(missing_ok=True)
    (photos_dir(data_dir) / THUMBS / relative).unlink(missing_ok=True)
    return True


def thumbnail_file(data_dir, relative):
    """A small copy for lists, made on first request and kept under photos/thumbs/ (names never change)."""
    source = photo_file(data_dir, relative)
    if source is None:
        return None
    thumb = photos_dir(data_dir) / THUMBS / relative
    if not thumb.exists():
        with Image.open(source) as image:
            image.draft("RGB", (THUMB_SIZE[0] * 2, THUMB_SIZE[1] * 2))  # decode at reduced scale: faster
            image.thumbnail(THUMB_SIZE)
            out = io.BytesIO()
            image.convert("RGB").save(out, "JPEG", quality=85)
        _write_atomic(thumb, out.getvalue())
    return thumb


def demo_jpeg(width=358, height=441, seed=0, quality=92):
    """A valid ID-style JPEG (a head-and-shoulders silhouette on a plain background) for tests and demos."""
    rnd = random.Random(seed)
    background = rnd.choice([(67, 142, 219), (255, 255, 255), (200, 40, 40), (225, 232, 240)])
    image = Image.new("RGB", (width, height), background)
    draw = ImageDraw.Draw(image)
    skin = (rnd.randint(200, 240), rnd.randint(160, 200), rnd.randint(130, 170))
    shirt = (rnd.randint(10, 90), rnd.randint(10, 90), rnd.randint(40, 140))
    cx = width // 2 + rnd.randint(-width // 40, width // 40)
    head_w, head_h = width * 0.36, height * 0.36
    top = height * 0.16
    draw.ellipse([cx - width * 0.45, height * 0.68, cx + width * 0.45, height * 1.3], fill=shirt)
    draw.rectangle([cx - width * 0.08, top + head_h * 0.8, cx + width * 0.08, height * 0.75], fill=skin)
    draw.ellipse([cx - head_w / 2, top, cx + head_w / 2, top + head_h], fill=skin)
    hair = (rnd.randint(10, 60),) * 3
    draw.chord([cx - head_w / 2, top - head_h * 0.05, cx + head_w / 2, top + head_h * 0.55], 180, 360, fill=hair)
    # Fine noise gives the file a realistic size (a flat picture compresses to a few KB).
    noise = Image.frombytes("L", (width, height), rnd.randbytes(width * height)).convert("RGB")
    image = Image.blend(image, noise, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality)
    return out.getvalue()
