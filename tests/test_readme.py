"""The README's two commands stay the ones CI runs."""
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_the_readme_test_command():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    commands = [line.strip() for line in readme[:12] if line.startswith("    ")]
    assert commands[0] == "pip install -e . && python app.py --demo"
    assert commands[1] == "pip install -e '.[test]' && python -m pytest"
    assert "readme_test_command() { " + commands[1] + "; }" in (ROOT / ".ci" / "run").read_text()
