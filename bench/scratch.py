"""What several benchmarks share: a CertDesk app on a scratch database.

    from scratch import scratch_app   (a bench script's own folder is on sys.path)
"""
import os
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import models  # noqa: E402
from app import create_app  # noqa: E402
from models.db import db  # noqa: E402


@contextmanager
def scratch_app():
    """An app on a temporary data directory and on DATABASE_URL's database (SQLite in that directory when
    unset). A PostgreSQL database gets every CertDesk table dropped and created afresh: give it a scratch one."""
    with tempfile.TemporaryDirectory() as tmp:
        app = create_app({"DATA_DIR": tmp, "DATABASE_URL": os.environ.get("DATABASE_URL", ""), "SECRET_KEY": "bench"})
        if not models.is_sqlite():
            with db.connection_context():
                models.drop_all()
                models.init_schema()
        yield app
