"""The conda environments of the rules (`snakemake --sdm conda`): conda cannot be installed on the machines
these tests run on, so they check what can be checked without it. Every env file parses and pins every
package; every rule that runs code names an env file that exists; and each env lists every third-party
package its rules' scripts import, directly or through the spinglass_ml modules they use."""

import ast
import re
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
ENVS = sorted((REPO / "envs").glob("*.yaml"))
# import name -> the names a conda or pip package providing it may have (first: the usual one)
PROVIDERS = {
    "yaml": ("pyyaml",),
    "matplotlib": ("matplotlib-base", "matplotlib"),
    "tensorflow": ("tensorflow-cpu", "tensorflow"),
    "PIL": ("pillow",),
    "art": ("adversarial-robustness-toolbox",),
    "sklearn": ("scikit-learn",),
}


def env_packages(path: Path) -> dict[str, str]:
    """Package name -> version spec of an env file, conda and pip dependencies together."""
    spec = yaml.safe_load(path.read_text())
    assert set(spec) == {"channels", "dependencies"}, path
    out = {}
    for dep in spec["dependencies"]:
        for item in dep["pip"] if isinstance(dep, dict) else [dep]:
            match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*(.*)", item)
            assert match, f"{path.name}: cannot parse {item!r}"
            out[match.group(1).lower()] = match.group(2).strip()
    return out


def rules() -> dict[str, dict[str, str]]:
    """Rule name -> its conda: and script: paths (resolved), from workflow/rules/*.smk."""
    found = {}
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule )", smk.read_text(), flags=re.MULTILINE)[1:]:
            name = re.match(r"rule (\w+):", block).group(1)
            entry = {}
            for key in ("conda", "script"):
                match = re.search(rf"^    {key}:\s*\n\s*\"([^\"]+)\"", block, flags=re.MULTILINE)
                if match:
                    entry[key] = (smk.parent / match.group(1)).resolve()
            found[name] = entry
    return found


def third_party_imports(script: Path) -> set[str]:
    """Top-level third-party modules imported by a script and, recursively, the package modules it uses.

    The prologue ``jobs`` is not followed: it imports TensorFlow only for ``job(..., tensorflow=True)``, which
    the scripts of TensorFlow rules ask for, and those import TensorFlow through the package anyway."""
    package = REPO / "src" / "spinglass_ml"
    todo, seen, found = [script], {package / "jobs.py"}, set()
    while todo:
        path = todo.pop()
        if path in seen or not path.exists():
            continue
        seen.add(path)
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for name in names:
                top, _, rest = name.partition(".")
                if top == "spinglass_ml":
                    todo += [module_path(rest)] if rest else []
                elif top not in sys.stdlib_module_names and top != "__future__":
                    found.add(top)
    return found


@pytest.mark.parametrize("path", ENVS, ids=[p.name for p in ENVS])
def test_env_parses_and_pins_every_package(path):
    packages = env_packages(path)
    assert "python" in packages
    unpinned = [name for name, version in packages.items() if name not in {"pip", "c-compiler"} and not
                re.fullmatch(r"(==?)\s*[0-9][0-9a-z.*]*", version)]  # fmt: skip
    assert not unpinned, f"{path.name}: not pinned to a version: {unpinned}"


def test_every_rule_that_runs_code_has_an_existing_env():
    found = rules()
    assert {"simulate", "train", "predict", "fig1", "table1", "fig_equilibration"} <= set(found)
    for name, entry in found.items():
        if "script" in entry:
            assert "conda" in entry, f"rule {name} runs {entry['script'].name} but has no conda: env"
            assert entry["conda"].exists(), f"rule {name}: {entry['conda']} does not exist"
            assert entry["script"].exists(), f"rule {name}: {entry['script']} does not exist"


@pytest.mark.parametrize("name", sorted(n for n, e in rules().items() if "script" in e))
def test_env_lists_what_the_rule_imports(name):
    entry = rules()[name]
    packages = env_packages(entry["conda"])
    missing = [
        module for module in sorted(third_party_imports(entry["script"]))
        if not any(p in packages for p in PROVIDERS.get(module, (module.lower(),)))
    ]  # fmt: skip
    assert not missing, f"rule {name}: {entry['conda'].name} lacks {missing}"


def test_import_scan_follows_package_modules():
    """The scan itself: fig_equilibration reaches h5py only through mc.equilibration -> mc.chunks."""
    found = third_party_imports(REPO / "workflow" / "scripts" / "fig_equilibration.py")
    assert {"numpy", "matplotlib", "h5py"} <= found
    assert not found & {"os", "json", "spinglass_ml", "__future__"}


def module_path(dotted: str) -> Path:
    """The file of a package module named below spinglass_ml, "mc.simulation" or "mc.simulation.run_pt"."""
    parts = dotted.split(".")
    while parts and not (REPO / "src" / "spinglass_ml").joinpath(*parts).with_suffix(".py").exists():
        parts.pop()
    return (REPO / "src" / "spinglass_ml").joinpath(*parts).with_suffix(".py")


def rule_block(name: str) -> str:
    """The text of rule `name` in workflow/rules/*.smk."""
    for smk in sorted((REPO / "workflow" / "rules").glob("*.smk")):
        for block in re.split(r"^(?=rule )", smk.read_text(), flags=re.MULTILINE)[1:]:
            if re.match(rf"rule {name}:", block):
                return block
    raise KeyError(name)


@pytest.mark.parametrize("name", sorted(n for n, e in rules().items() if "script" in e))
def test_rule_reruns_when_the_code_it_runs_changes(name):
    """Each rule's params carry the digest of its own script's code (spinglass_ml.provenance.code_digest), so
    a change of what it runs reruns it; simulate carries the version of the Monte Carlo chains instead."""
    block, script = rule_block(name), rules()[name]["script"].stem
    if name == "simulate":
        assert "chain=CHAIN_VERSION" in block and "script_code(" not in block
    else:
        assert f'code=script_code("{script}")' in block, f"rule {name} does not carry its code digest"
    assert "package_module(" not in block and str(REPO) not in block  # no path-dependent code inputs
