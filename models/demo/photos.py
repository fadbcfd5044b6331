"""Demo photos: most 认证通过 candidates get a generated ID photo, as if staff had uploaded them."""
from ..candidate import ACCURATE, VERIFIED, Candidate
from ..photo import demo_jpeg, store_photo

SHARE_WITH_PHOTO = 0.8


def seed_photos(data_dir):
    """认证通过 candidates without a photo get a generated one until ~80% of verified ones have one.

    Safe to run twice (a second run finds the share reached). Two dozen distinct pictures are shared, so
    a few hundred candidates take well under a second.
    """
    verified = Candidate.select().where(Candidate.status.in_([VERIFIED, ACCURATE]))
    total = verified.count()
    wanted = int(total * SHARE_WITH_PHOTO) - verified.where(Candidate.photo.is_null(False)).count()
    if wanted <= 0:
        return 0
    todo = list(Candidate.select()
                .where((Candidate.status == VERIFIED) & Candidate.photo.is_null())
                .order_by(Candidate.id)
                .limit(wanted))
    pictures = [store_photo(data_dir, demo_jpeg(seed=seed)) for seed in range(min(24, len(todo)))]
    for index, candidate in enumerate(todo):
        candidate.set_photo(pictures[index % len(pictures)], by=None)
    return len(todo)
