"""The shape the code keeps: imports at the top of each module, and models/ importing one way, bottom to top.

An import inside a function is how a dependency cycle gets hidden; these tests read the source with `ast`,
so they find one whatever code path it sits on.
"""
import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("models", "sheets", "views")


def imports_inside_functions(source):
    """`line: statement` of every import inside a function or method of a module's source."""
    functions = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
    return [f"{inner.lineno}: {ast.unparse(inner)}"
            for node in ast.walk(ast.parse(source)) if isinstance(node, functions)
            for inner in ast.walk(node) if isinstance(inner, (ast.Import, ast.ImportFrom))]


def module_name(path):
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def is_module(name):
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def top_level_imports(path):
    """The project modules a module imports at module level (`from . import x` and `from .x import y`)."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = set()
    for node in ast.parse(path.read_text(encoding="utf-8")).body:
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            source = ".".join(base + ([node.module] if node.module else []))
            found.add(source)
            found.update(f"{source}.{alias.name}" for alias in node.names)
    return {name for name in found if is_module(name)}


def find_cycles(graph):
    """Every cycle met walking `graph` ({module: {modules it imports}}) depth first, as "a → b → a"."""
    cycles, done = [], set()

    def visit(module, trail):
        if module in trail:
            cycles.append(" → ".join(trail[trail.index(module):] + [module]))
            return
        if module in done:
            return
        for target in sorted(graph.get(module, ())):
            visit(target, trail + [module])
        done.add(module)

    for module in sorted(graph):
        visit(module, [])
    return cycles


def test_no_module_of_models_sheets_or_views_imports_inside_a_function():
    found = {}
    for path in sorted(p for folder in CHECKED for p in (ROOT / folder).rglob("*.py")):
        if hits := imports_inside_functions(path.read_text(encoding="utf-8")):
            found[str(path.relative_to(ROOT))] = hits
    assert found == {}


def test_models_import_one_way():
    # models/__init__.py gathers every model for the schema; every other module must form no circle.
    graph = {module_name(path): top_level_imports(path) - {"models"}
             for path in (ROOT / "models").rglob("*.py") if path != ROOT / "models" / "__init__.py"}
    assert find_cycles(graph) == []


def test_the_checks_find_an_import_in_a_method_and_a_cycle():
    method = "import json\nclass A:\n    def f(self):\n        from .user import User\n        return User\n"
    assert imports_inside_functions(method) == ["4: from .user import User"]
    assert find_cycles({"models.a": {"models.b"}, "models.b": {"models.c"}, "models.c": {"models.a"}}) == [
        "models.a → models.b → models.c → models.a"]


def test_records_are_added_only_where_they_are_counted():
    """A bare INSERT into award_record on SQLite is not counted by its tally (models/tally.py) nor given its
    candidate's 院系 and 班级 (models/award_class.py): 待颁证记录's status line and the navigation would be wrong,
    and 颁证名单 of a 院系 would miss the record, until the next start. Records are added by
    AwardRecord.save() or AwardRecord.bulk_add() only."""
    bare = ("AwardRecord.insert(", "AwardRecord.insert_many(", "bulk_insert(AwardRecord")
    offenders = [f"{path.relative_to(ROOT)}: {needle}"
                 for package in CHECKED + ("bench", "tests") for path in sorted((ROOT / package).rglob("*.py"))
                 if path != ROOT / "tests" / "test_code_shape.py"
                 for needle in bare if needle in path.read_text(encoding="utf-8")]
    assert offenders == []


def test_candidates_are_added_only_where_the_name_index_is_kept():
    """A bare INSERT into candidate leaves the row out of SQLite's name index, and deleting it later corrupts
    that index ("database disk image is malformed"): candidates are added by Candidate.save() or
    Candidate.bulk_add() only (models/name_index.py)."""
    bare = ("Candidate.insert(", "Candidate.insert_many(", "bulk_insert(Candidate")
    offenders = [f"{path.relative_to(ROOT)}: {needle}"
                 for package in CHECKED + ("bench",) for path in sorted((ROOT / package).rglob("*.py"))
                 if path != ROOT / "models" / "candidate.py"
                 for needle in bare if needle in path.read_text(encoding="utf-8")]
    assert offenders == []
