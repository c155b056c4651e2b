"""The app's layout as an enforced rule: imports only point down, and migrations stand alone.

``articles/`` is grouped by whom each part serves (README, "Layout"). Reading every import with
``ast`` (those inside functions too) keeps the direction from rotting silently: the root
modules never reach up into the parts, intelligence serves both the reader and the editorial
sides without knowing either, and those two sides never import each other.
"""

import ast
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APP = ROOT / "articles"

# Modules at the app's root, by layer. A new module at the root needs a line here.
ROOT_MODULES = {
    "text": "text",
    # Below the models too: query and address helpers that import nothing of the app.
    "compiled": "text",
    "paths": "text",
    "models": "models",
    "caching": "core",
    "fragments": "core",
    "importing": "core",
    "governance": "core",
    "images": "core",
    "demo": "core",
    "ingest": "core",
    "ninjs_input": "core",
    "websub": "core",
    # Wiring: Django finds these by name and they connect everything else.
    "apps": "wiring",
    "urls": "wiring",
    "admin": "wiring",
}
PACKAGES = {
    "intelligence": "intelligence",
    "reader": "reader",
    "editorial": "editorial",
    "management": "wiring",
    "templatetags": "wiring",
    "migrations": "migrations",
}
# What each part may import from the app (and the benchmark); always itself besides.
MAY_IMPORT = {
    "text": set(),
    "models": {"text"},
    "core": {"text", "models"},
    "intelligence": {"text", "models", "core"},
    "reader": {"text", "models", "core", "intelligence"},
    "editorial": {"text", "models", "core", "intelligence"},
    "wiring": {"text", "models", "core", "intelligence", "reader", "editorial", "bench"},
    # Field validators, as makemigrations writes them (``import articles.models``); anything
    # else a migration runs is written out in the migration itself.
    "migrations": {"models"},
}
PROJECT_PACKAGES = {"articles", "bench", "newsroom", "tests"}


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def part_of(module: str) -> str | None:
    """The part a module of the app or the benchmark belongs to; None for anything else."""
    names = module.split(".")
    if names[0] == "bench":
        return "bench"
    if names[0] != "articles":
        return None
    if len(names) == 1:
        return "wiring"  # the package itself
    if names[1] in PACKAGES:
        return PACKAGES[names[1]]
    return ROOT_MODULES.get(names[1], f"unplaced:{names[1]}")


def is_module(name: str) -> bool:
    path = ROOT.joinpath(*name.split("."))
    return path.with_suffix(".py").is_file() or (path / "__init__.py").is_file()


def imported_modules(path: Path, top_level_only: bool = False):
    """(line, module) for each import in the file; ``from package import module`` names the
    module. With ``top_level_only``, imports run when the module loads (not in functions)."""
    package = module_name(path) if path.name == "__init__.py" else module_name(path.parent)
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    nodes = list(tree.body)
    while nodes:
        node = nodes.pop()
        if top_level_only and isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        nodes.extend(ast.iter_child_nodes(node))
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            for alias in node.names:
                candidate = f"{base}.{alias.name}"
                yield node.lineno, candidate if is_module(candidate) else base


def app_files():
    return sorted(APP.rglob("*.py"))


def test_every_module_of_the_app_has_a_place():
    unplaced = [
        str(path.relative_to(ROOT))
        for path in app_files()
        if part_of(module_name(path)).startswith("unplaced:")
    ]
    assert unplaced == [], "put each in a part (articles/reader/, …) or name it in ROOT_MODULES"


def test_imports_only_point_down():
    wrong = []
    for path in app_files():
        importer = part_of(module_name(path))
        for line, module in imported_modules(path):
            imported = part_of(module)
            if imported is None or imported == importer:
                continue
            if imported not in MAY_IMPORT[importer]:
                wrong.append(f"{path.relative_to(ROOT)}:{line}: {importer} imports {module}")
    assert wrong == [], "\n".join(wrong)


def test_migrations_import_no_project_code_but_the_models_validators():
    """A migration that imports live code changes when that code is refactored: what it runs
    (SQL, permission names) is written out in it. Only the validators in its field states
    are referenced, as makemigrations writes them (``import articles.models``)."""
    wrong = []
    for path in sorted((APP / "migrations").glob("0*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                modules = [("." * node.level) + (node.module or "")]
            elif isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names if alias.name != "articles.models"]
            else:
                continue
            for module in modules:
                if module.startswith(".") or module.split(".")[0] in PROJECT_PACKAGES:
                    wrong.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {module}")
    assert wrong == [], "\n".join(wrong)


def test_no_import_cycles_when_modules_load():
    graph = defaultdict(set)
    for path in [*app_files(), *sorted((ROOT / "bench").glob("*.py"))]:
        importer = module_name(path)
        for _, module in imported_modules(path, top_level_only=True):
            if part_of(module) is not None and module != importer:
                graph[importer].add(module)

    def cycle_from(start, seen, trail):
        for module in sorted(graph[trail[-1]]):
            if module == start:
                return [*trail, start]
            if module not in seen:
                seen.add(module)
                found = cycle_from(start, seen, [*trail, module])
                if found:
                    return found
        return None

    cycles = [cycle for start in sorted(graph) if (cycle := cycle_from(start, set(), [start]))]
    assert cycles == [], "\n".join(" -> ".join(cycle) for cycle in cycles)


def test_the_parts_are_where_a_newcomer_looks():
    """The README's layout names these: each part is a package of the modules it serves."""
    expected = {
        "reader": {"views", "hubs", "paging", "search", "feeds", "sitemaps", "preview"},
        "editorial": {"admin", "forms", "editing", "roles", "admin_views"},
        "intelligence": {"entities", "suggestions", "graph", "linkhealth", "threads"},
    }
    for package, modules in expected.items():
        assert (APP / package / "__init__.py").is_file()
        present = {path.stem for path in (APP / package).glob("*.py")}
        assert modules <= present, package
    assert not (APP / "corpus.py").exists()
    assert (ROOT / "bench" / "corpus.py").is_file()
