"""Code digests: what a rule runs, independent of docstrings, comments, formatting and of where it lies."""

import shutil
from pathlib import Path

from spinglass_ml.provenance import code_digest, source_digest

REPO = Path(__file__).resolve().parents[1]

CODE = '''"""A module."""

def f(x):
    """Twice x."""
    return 2 * x  # doubled
'''


def test_docstrings_comments_and_formatting_do_not_count():
    reformatted = '"""Another docstring."""\n\n\ndef f(x):\n    return 2*x\n'
    assert source_digest(CODE) == source_digest(reformatted)


def test_any_change_of_the_code_counts():
    assert source_digest(CODE) != source_digest(CODE.replace("2 * x", "3 * x"))
    assert source_digest(CODE) != source_digest(CODE.replace("def f(x)", "def g(x)"))
    assert source_digest(CODE) != source_digest(CODE.replace('    """Twice x."""\n', '    y = "Twice x."\n'))


def test_a_script_digest_follows_the_package_modules_it_imports(tmp_path):
    """The train script reaches mc.equilibration, whose digest is part of the script's."""
    script = REPO / "workflow" / "scripts" / "train.py"
    copy = tmp_path / "train.py"
    shutil.copy(script, copy)
    assert code_digest(copy) == code_digest(script)  # where the script lies does not count
    copy.write_text(script.read_text().replace("mc.equilibration", "mc.chunks"))
    assert code_digest(copy) != code_digest(script)
    copy.write_text(script.read_text() + "\n# a comment\n")
    assert code_digest(copy) == code_digest(script)
