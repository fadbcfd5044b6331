"""What an importer decides for the valid rows of a file, compared with what is stored."""
from dataclasses import dataclass, field


@dataclass
class Plan:
    """How kept rows compare with what is stored."""
    create: list = field(default_factory=list)      # rows (sheets.validate.Checked) to insert
    update: list = field(default_factory=list)      # (row, stored record, {key: new value})
    existing: list = field(default_factory=list)    # row numbers already stored, not to be updated
    unchanged: list = field(default_factory=list)   # row numbers identical to what is stored

    @property
    def writes(self):
        return len(self.create) + len(self.update)
