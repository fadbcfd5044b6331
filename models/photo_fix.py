"""自动修正: mend a refused photo without changing who is in it, and keep it aside until the user accepts it.

A fix may re-encode (PNG/BMP/WebP and CMYK become an RGB JPEG), apply the EXIF orientation, crop to the
allowed ratio keeping the upper centre where the face is, downscale, and search the JPEG quality that
lands the file in the size range. It never upscales, retouches or touches the background: a picture
below the minimum pixel size, unreadable or not a picture at all is refused as before.

A proposed fix waits under `<data_dir>/photo-fixes/` (the fixed JPEG, a small preview of the original,
and who made it for which candidate) until it is accepted, discarded or expires. The client only ever
holds its random token: the picture stored is the one the server made.
"""
import io
import json
import secrets
import time
from dataclasses import dataclass, field
from pathlib import Path

from PIL import Image, ImageOps

from . import audit
from .candidate import Candidate
from .db import db
from .photo import (MAX_PIXELS, PhotoRules, attach_photo, check_photo, decode_photo, delete_photo_file, file_size,
                    orientation, store_jpeg)

audit.ACTION_LABELS.setdefault("photo.fix", "照片自动修正")

FIXES = "photo-fixes"
FIXABLE_FORMATS = ("JPEG", "MPO", "PNG", "BMP", "WEBP")
# The largest original a fix reads: a phone photo of a few MB is the usual oversized file.
MAX_ORIGINAL_BYTES = 8 * 1024 * 1024
# The most pixels of a JPEG a fix reads: a 48-million-pixel phone photo, decoded at an eighth or a quarter
# of its size (never more than photo.MAX_PIXELS in memory).
MAX_FIX_PIXELS = 50_000_000
EXPIRES_AFTER = 24 * 3600
MAX_PENDING = 20_000
PREVIEW_SIZE = (240, 320)
# Cropping a too-tall picture takes 30% of the surplus from the top, 70% from the bottom: the face sits
# in the upper part, and the space above a head is smaller than the body below it.
CROP_FROM_TOP = 0.3
# Crop a little inside the allowed ratio, so rounding a later downscale cannot push it back out.
RATIO_MARGIN = 0.01
_QUALITIES = (92, 88, 84, 80, 75, 70, 65, 60, 55, 50, 45, 40)
_TOKEN_CHARS = set("0123456789abcdef")


@dataclass
class Fix:
    """A mended photo: the new JPEG and, for the user and the audit log, what was done."""
    data: bytes = field(repr=False)
    preview: bytes = field(repr=False)  # a small JPEG of the original as received, to show beside the fix
    changes: list
    before: dict  # {"格式", "像素", "大小"} of the original
    after: dict


def propose_fix(data, rules=None):
    """What 自动修正 makes of a photo: (Fix, "") or (None, why it cannot be mended)."""
    rules = rules or PhotoRules.load()
    if len(data) > MAX_ORIGINAL_BYTES:
        return None, f"文件 {len(data) / 1024 / 1024:.1f} MB，过大，无法自动修正"
    # A file too large is usually a big picture (a phone's has 12 million pixels or more): a JPEG is
    # decoded at a reduced scale still well above the minimum, which also keeps its memory small.
    draft = (rules.min_width * 3 // 2, rules.min_height * 3 // 2) if len(data) > rules.max_bytes else None
    image, refused = decode_photo(data, FIXABLE_FORMATS, draft, max_pixels=MAX_FIX_PIXELS if draft else MAX_PIXELS)
    if refused:
        return None, refused.problem
    stored = image.info["stored_size"]
    before = {"格式": image.format, "像素": _pixels(stored), "大小": file_size(len(data))}
    original, changes = image, []
    if image.format not in ("JPEG", "MPO"):
        changes.append(f"{image.format} 转为 JPEG")
    if orientation(image) != 1:
        image = ImageOps.exif_transpose(image)
        changes.append("按拍摄方向转正")
        if image.size[0] != original.size[0]:
            stored = stored[::-1]
    image, colour = _rgb(image)
    if image is None:
        # A JPEG has no transparency: filling it in would be choosing a background, which a fix never does.
        return None, "图片有透明背景，自动修正会改变背景；请导出为不透明的 JPEG 照片"
    changes += colour
    # A draft decode is smaller than the picture by this factor: what the user is told is in its pixels.
    scale = stored[0] / image.width
    if stored[0] < rules.min_width or stored[1] < rules.min_height:
        return None, (f"{_pixels(stored)} 像素，小于 {rules.min_width}×{rules.min_height}；"
                      "照片不能放大，请重新拍摄或扫描")
    image, crop = _crop_to_ratio(image, rules, scale)
    if image is None:
        return None, (f"{_pixels(stored)} 像素，裁剪到高宽比 {rules.ratio_range} 后小于 "
                      f"{rules.min_width}×{rules.min_height} 像素；照片不能放大，请重新拍摄竖版照片")
    changes += crop
    full_size = (round(image.width * scale), round(image.height * scale))  # without scaling, after the crop
    encoded, image = _encode_in_range(image, rules, too_big=len(data) > rules.max_bytes)
    if encoded is None:
        return None, f"无法在不放大、不修饰的情况下压缩到 {rules.size_range}"
    result = check_photo(encoded, rules)
    if not result.ok:  # A safety net: a fix is only ever offered when it passes the same check.
        return None, result.problem
    if image.size != full_size:
        changes.append(f"缩放到 {_pixels(image.size)} 像素")
    verb = "压缩到" if len(encoded) < len(data) else "重新保存为"
    changes.append(f"{verb} {file_size(len(encoded))}")
    after = {"格式": "JPEG", "像素": _pixels(image.size), "大小": file_size(len(encoded))}
    return Fix(encoded, _preview(original), changes, before, after), ""


def _rgb(image):
    """The picture in RGB (or grey), with what that changed; None when only a new background would do."""
    if image.mode in ("RGB", "L"):
        return image, []
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        if image.convert("RGBA").getchannel("A").getextrema()[0] < 255:
            return None, []
        return image.convert("RGB"), []  # an alpha channel with nothing transparent in it
    if image.mode == "CMYK":
        return image.convert("RGB"), ["CMYK 颜色转为 RGB"]
    return image.convert("RGB"), []


def _crop_to_ratio(image, rules, scale):
    """The picture cropped into the allowed ratio, and what to tell the user (sizes in the picture's own
    pixels: `scale` undoes a draft decode); (None, []) when the crop would fall below the minimum."""
    width, height = image.size
    ratio = height / width
    if ratio > rules.max_ratio:
        new_height = int(width * (rules.max_ratio - RATIO_MARGIN))
        top = round((height - new_height) * CROP_FROM_TOP)
        box, where = (0, top, width, top + new_height), "保留上部"
    elif ratio < rules.min_ratio:
        # A landscape or square picture: the full height, centred across.
        new_width = int(height / (rules.min_ratio + RATIO_MARGIN))
        left = (width - new_width) // 2
        box, where = (left, 0, left + new_width, height), "左右居中"
    else:
        return image, []
    cropped = image.crop(box)
    shown = (round(cropped.width * scale), round(cropped.height * scale))
    if shown[0] < rules.min_width or shown[1] < rules.min_height:
        return None, []
    return cropped, [f"裁剪为 {_pixels(shown)}（高宽比 {ratio:.2f} → {cropped.height / cropped.width:.2f}，{where}）"]


def _encode_in_range(image, rules, too_big):
    """The JPEG of `image` (downscaled if need be) whose size is in the rule's range; (bytes, image)."""
    if too_big:
        # A phone picture many times the minimum: bring it to twice the minimum first, so the quality
        # search encodes a small picture (fast) and keeps a high quality.
        scale = max(2 * rules.min_width / image.width, 2 * rules.min_height / image.height)
        if scale < 1:
            image = image.resize((round(image.width * scale), round(image.height * scale)), Image.Resampling.LANCZOS,
                                 reducing_gap=2.0)
    encoded = _best_quality(image, rules)
    while encoded is None:
        # Even the lowest quality is too big: downscale, but never below the minimum pixel size.
        scale = max(0.8, rules.min_width / image.width, rules.min_height / image.height)
        if scale >= 1:
            return None, image
        image = image.resize((max(rules.min_width, int(image.width * scale)),
                              max(rules.min_height, int(image.height * scale))), Image.Resampling.LANCZOS)
        encoded = _best_quality(image, rules)
    if len(encoded) < rules.min_bytes:
        return None, image
    return encoded, image


def _best_quality(image, rules):
    """The highest quality whose file is not above the maximum; a file too small gets the finest encoding."""
    for quality in _QUALITIES:
        encoded = _jpeg(image, quality)
        if len(encoded) <= rules.max_bytes:
            if len(encoded) < rules.min_bytes:
                finest = _jpeg(image, 100, subsampling=0)
                return finest if len(finest) <= rules.max_bytes else encoded
            return encoded
    return None


def _jpeg(image, quality, subsampling=-1):
    out = io.BytesIO()
    image.save(out, "JPEG", quality=quality, subsampling=subsampling)
    return out.getvalue()


def _pixels(size):
    return f"{size[0]}×{size[1]}"


# ---- fixes waiting for the user ----------------------------------------------------------------

def fixes_dir(data_dir):
    return Path(data_dir) / FIXES


def offer(data_dir, fix, by, candidate_id=None):
    """Keep a proposed fix until it is accepted; returns its token."""
    folder = fixes_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    token = secrets.token_hex(16)
    (folder / f"{token}.jpg").write_bytes(fix.data)
    (folder / f"{token}.orig.jpg").write_bytes(fix.preview)
    meta = {"by": by.id, "candidate_id": candidate_id, "changes": fix.changes, "before": fix.before,
            "after": fix.after, "at": time.time()}
    (folder / f"{token}.json").write_text(json.dumps(meta, ensure_ascii=False))
    return token


def _preview(image):
    """A small JPEG of the original as it was received (not yet turned upright)."""
    small = image.convert("RGB")
    small.thumbnail(PREVIEW_SIZE, reducing_gap=2.0)
    return _jpeg(small, 85)


def pending(data_dir, token, by):
    """The waiting fix's details for this user, or None (unknown, expired, or someone else's)."""
    if not token or set(token) - _TOKEN_CHARS or len(token) != 32:
        return None
    path = fixes_dir(data_dir) / f"{token}.json"
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if meta["by"] != by.id or time.time() - meta["at"] > EXPIRES_AFTER:
        return None
    return dict(meta, token=token)


def fix_candidate(data_dir, token, by):
    """The candidate a waiting fix of this user is for, or None (no such fix, or the candidate is gone)."""
    meta = pending(data_dir, token, by)
    return Candidate.get_or_none(Candidate.id == meta["candidate_id"]) if meta and meta["candidate_id"] else None


def image_file(data_dir, token, by, original=False):
    """The fixed picture (or the original's preview) of a waiting fix, for its own user only."""
    if pending(data_dir, token, by) is None:
        return None
    path = fixes_dir(data_dir) / f"{token}{'.orig' if original else ''}.jpg"
    return path if path.is_file() else None


def accept(data_dir, tokens, by, candidate_id=None):
    """Store the fixed pictures and attach each to its candidate in one transaction; returns the set of
    tokens stored. A token that is unknown, expired or another user's stores nothing.

    `candidate_id` names the candidate for a fix made before it was known (the candidate form).
    """
    waiting = [meta for meta in (pending(data_dir, t, by) for t in tokens) if meta]
    paths, events = {}, []
    for meta in waiting:
        target = candidate_id or meta["candidate_id"]
        if target is None:
            continue
        data = (fixes_dir(data_dir) / f"{meta['token']}.jpg").read_bytes()
        paths[target] = store_jpeg(data_dir, data)
        events.append((target, meta))
    labels = dict(Candidate.select(Candidate.id, Candidate.name).where(Candidate.id.in_(list(paths))).tuples())
    events = [(target, meta) for target, meta in events if target in labels]
    with db.atomic():
        replaced = Candidate.set_photo_many({t: paths[t] for t, _ in events}, by)
        audit.record_each("photo.fix", Candidate, [
            (target, labels[target], {"修正": (None, "；".join(meta["changes"])),
                                      **{k: (meta["before"][k], meta["after"][k]) for k in meta["after"]}})
            for target, meta in events], user=by)
    for path in replaced:
        delete_photo_file(data_dir, path)
    for meta in waiting:
        discard(data_dir, meta["token"])
    return {meta["token"] for _, meta in events}


def discard(data_dir, token):
    """Forget a waiting fix (accepted, declined or expired)."""
    if not token or set(token) - _TOKEN_CHARS:
        return
    for suffix in (".jpg", ".orig.jpg", ".json"):
        (fixes_dir(data_dir) / f"{token}{suffix}").unlink(missing_ok=True)


def prune(data_dir, now=None):
    """Remove expired fixes, and the oldest beyond MAX_PENDING, so the folder stays bounded."""
    folder = fixes_dir(data_dir)
    if not folder.is_dir():
        return 0
    now = now or time.time()
    metas = sorted(folder.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
    removed = 0
    for index, path in enumerate(metas):
        if index >= MAX_PENDING or now - path.stat().st_mtime > EXPIRES_AFTER:
            discard(data_dir, path.name[:-len(".json")])
            removed += 1
    return removed


def attach_or_offer(candidate, data, data_dir, by, rules=None):
    """One photo for one candidate: attach it when it passes, else offer a fix when one can be made.

    Returns (ok, message, offer): `offer` is None, or the waiting fix ({token, changes, before, after})
    to show beside the original until the user accepts it.
    """
    rules = rules or PhotoRules.load()
    ok, message = attach_photo(candidate, data, data_dir, by, rules)
    if ok:
        return ok, message, None
    fix, _ = propose_fix(data, rules)
    if fix is None:
        return ok, message, None
    prune(data_dir)
    token = offer(data_dir, fix, by, candidate.id)
    return False, message + "；可以自动修正", offer_details(token, fix)


def offer_details(token, fix):
    """A waiting fix as plain data: for a template, and for a ZIP job's stored result."""
    return {"token": token, "changes": fix.changes, "before": fix.before, "after": fix.after}
