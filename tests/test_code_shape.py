"""The code stays in small pieces: no function or method in the project's own packages is
longer than a screen, so each one can be read, named and tested as one step."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("articles", "newsroom")
MAX_FUNCTION_LINES = 60


def functions_in(path: Path):
    """(name, first line, length in lines) of every function and method in ``path``,
    nested ones included; a decorator's lines are not counted, a docstring's are."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node.lineno, node.end_lineno - node.lineno + 1


def project_modules() -> list[Path]:
    return sorted(path for package in PACKAGES for path in (ROOT / package).rglob("*.py"))


def test_no_function_is_longer_than_sixty_lines():
    """Every function and method in articles/ and newsroom/ (migrations and commands too)
    fits in 60 lines; a longer one is listed with its place and length, to split into
    named steps."""
    modules = project_modules()
    assert len(modules) > 20, f"found only {len(modules)} modules under {PACKAGES}: moved?"
    too_long = [
        f"{path.relative_to(ROOT)}:{line}: {name}() is {length} lines"
        for path in modules
        for name, line, length in functions_in(path)
        if length > MAX_FUNCTION_LINES
    ]
    assert not too_long, (
        f"functions longer than {MAX_FUNCTION_LINES} lines (split them into named steps):\n"
        + "\n".join(too_long)
    )


def test_the_measure_counts_a_long_function(tmp_path):
    """The check itself sees a function over the limit, nested in a class or not."""
    body = "\n".join(f"        x{i} = {i}" for i in range(MAX_FUNCTION_LINES))
    module = tmp_path / "long.py"
    module.write_text(f"class A:\n    def long(self):\n{body}\n\ndef short():\n    return 1\n")
    assert sorted(functions_in(module), key=lambda found: found[1]) == [
        ("long", 2, MAX_FUNCTION_LINES + 1),
        ("short", MAX_FUNCTION_LINES + 4, 2),
    ]
