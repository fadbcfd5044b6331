"""CertDesk's data: one module per aggregate, each state machine inside its model."""
from .audit import AuditEvent
from .candidate import Candidate
from .catalog import Certificate, Organisation
from .db import db, is_sqlite
from .job import Job
from .migrations import SchemaVersion, upgrade
from .setting import Setting
from .user import User

# Creation order respects foreign keys.
ALL_MODELS = [Organisation, Certificate, User, Setting, AuditEvent, Candidate, Job]


def init_schema():
    """Create or upgrade the schema to the current version."""
    result = upgrade(ALL_MODELS)
    Job.mark_interrupted()
    return result


def drop_all():
    """Drop every table (tests use this to give each test a clean PostgreSQL schema)."""
    db.drop_tables([SchemaVersion] + ALL_MODELS[::-1], safe=True, cascade=not is_sqlite())
