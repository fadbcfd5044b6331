"""CertDesk's data: one module per aggregate, each state machine inside its model."""
from .audit import AuditEvent
from .award import AwardRecord
from .award_class import drop as drop_award_classes
from .candidate import Candidate
from .catalog import Certificate, Organisation
from .db import db, is_sqlite, refresh_statistics
from .import_batch import ImportBatch
from .job import Job
from .login_throttle import LoginThrottle
from .migrations import SchemaVersion, upgrade
from .name_index import drop as drop_name_index
from .numbering import NumberSequence
from .pilot import PilotCertificate
from .quota import Quota
from .setting import Setting
from .site import Site
from .tally import drop_all as drop_tallies
from .user import User

# Creation order respects foreign keys.
ALL_MODELS = [Organisation, Certificate, User, Setting, AuditEvent, Candidate, Job, ImportBatch]
ALL_MODELS += [PilotCertificate, Quota, Site]  # 试点证书, 省厅指标, 考核站点
ALL_MODELS += [AwardRecord, NumberSequence]  # 待颁证记录 and their certificate numbers
ALL_MODELS += [LoginThrottle]


def init_schema():
    """Create or upgrade the schema to the current version."""
    result = upgrade(ALL_MODELS)
    refresh_statistics(ALL_MODELS)
    Job.reap()  # the jobs of processes that stopped beating; fresh ones are reaped by the dispatcher
    return result


def drop_all():
    """Drop every table (tests use this to give each test a clean PostgreSQL schema)."""
    drop_name_index()
    db.drop_tables([SchemaVersion] + ALL_MODELS[::-1], safe=True, cascade=not is_sqlite())
    drop_tallies()
    drop_award_classes()
