"""The three distributions built from this repository (the plugin, the reference host and
the CrowdTwist sandbox): what each wheel holds, its metadata, its declared bounds, and
what each needs of the others: nothing, except the host's optional ``sandbox`` extra.

The wheels are built offline from a copy of the repository (``pip wheel --no-build-isolation
--no-index``, with the setuptools of the test environment), so the build neither touches
the work tree nor reaches the network.
"""

from __future__ import annotations

import ast
import email.message
import email.parser
import importlib.metadata
import re
import shutil
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import attrs
import pytest

import crowdtwist_plugin
from crowdtwist_plugin.schemas import SCHEMA_NAMES

REPO = Path(__file__).resolve().parents[2]
PLUGIN = "crowdtwist-privacy-plugin"
HOST = "privacy-host-stub"
SANDBOX = "crowdtwist-sandbox"
BUILD_LEFTOVERS = shutil.ignore_patterns(
    ".git",
    ".venv*",
    "build",
    "dist",
    "*.egg-info",
    "__pycache__",
    ".mypy_cache",
    ".ruff_cache",
    ".pytest_cache",
    ".hypothesis",
    ".host_stub",
    "bench-results",
)


HOST_PROJECT = Path("hosts/privacy-host-stub")
SANDBOX_PROJECT = Path("hosts/crowdtwist-sandbox")
PACKAGES = ("crowdtwist_plugin", "host_stub", "crowdtwist_sandbox")
PYPROJECTS = {
    PLUGIN: REPO / "pyproject.toml",
    HOST: REPO / HOST_PROJECT / "pyproject.toml",
    SANDBOX: REPO / SANDBOX_PROJECT / "pyproject.toml",
}


def files_under(root: Path) -> set[str]:
    return {p.relative_to(root).as_posix() for p in root.rglob("*") if "__pycache__" not in p.parts}


@attrs.frozen
class Built:
    """A clean copy of the repository after every build of the three projects, and what its
    package folders held before the builds."""

    source: Path
    wheels: dict[str, Path]
    packages_before: dict[str, set[str]]


def _setuptools(project: Path, hook: str, out: Path) -> None:
    """One PEP 517 hook of the project's backend, offline (no isolation, no index)."""
    code = f"from setuptools import build_meta as b; b.{hook}({str(out)!r})"
    subprocess.run([sys.executable, "-c", code], cwd=project, check=True, capture_output=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    source = tmp_path_factory.mktemp("source") / "repo"
    shutil.copytree(REPO, source, ignore=BUILD_LEFTOVERS, symlinks=True)
    before = {package: files_under(source / package) for package in PACKAGES}
    out = tmp_path_factory.mktemp("wheels")
    for project in (source, source / HOST_PROJECT, source / SANDBOX_PROJECT):
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "wheel",
                "--no-deps",
                "--no-build-isolation",
                "--no-index",
                "--quiet",
                "--wheel-dir",
                str(out),
                str(project),
            ],
            check=True,
            capture_output=True,
            text=True,
        )
        other = tmp_path_factory.mktemp("other")
        _setuptools(project, "build_sdist", other)
        _setuptools(project, "build_editable", other)
    found = {p.name.split("-")[0]: p for p in out.glob("*.whl")}
    wheels = {dist: found.pop(dist.replace("-", "_")) for dist in PYPROJECTS}
    assert not found, found
    return Built(source, wheels, before)


@pytest.fixture(scope="module")
def wheels(built: Built) -> dict[str, Path]:
    """The three wheels, built from a clean copy of the repository."""
    return built.wheels


@pytest.mark.parametrize("package", PACKAGES)
def test_no_build_writes_inside_a_package(built: Built, package: str) -> None:
    """Builds (wheel, sdist, editable) write into their project folder, never into the
    package: no copies of the sources for every search of the tree to find twice."""
    assert files_under(built.source / package) == built.packages_before[package]
    assert (built.source / HOST_PROJECT / "build").is_dir()
    assert (built.source / SANDBOX_PROJECT / "build").is_dir()


def names(wheel: Path) -> set[str]:
    with zipfile.ZipFile(wheel) as archive:
        return set(archive.namelist())


def read(wheel: Path, suffix: str) -> str:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(suffix)]
        return archive.read(name).decode("utf-8")


def metadata(wheel: Path) -> email.message.Message:
    return email.parser.Parser().parsestr(read(wheel, ".dist-info/METADATA"))


def sources(package: Path, prefix: str) -> set[str]:
    """The package's importable files as wheel paths (``prefix/...``)."""
    return {f"{prefix}/{p.relative_to(package).as_posix()}" for p in package.rglob("*.py")}


def dist_info(info: str) -> set[str]:
    """The metadata files every wheel of this repository carries in ``info``."""
    names = ("METADATA", "WHEEL", "RECORD", "entry_points.txt", "top_level.txt")
    return {f"{info}/{name}" for name in names} | {f"{info}/licenses/LICENSE"}


def test_plugin_wheel_holds_the_plugin_only(wheels: dict[str, Path]) -> None:
    files = names(wheels[PLUGIN])
    info = f"crowdtwist_privacy_plugin-{crowdtwist_plugin.__version__}.dist-info"
    expected = sources(REPO / "crowdtwist_plugin", "crowdtwist_plugin") | {
        "crowdtwist_plugin/py.typed",
        "crowdtwist_plugin/pacing/gcra.lua",
        "crowdtwist_plugin/fides/crowdtwist.dataset.yml",
        *(f"crowdtwist_plugin/schemas/{name}.schema.json" for name in SCHEMA_NAMES),
        *dist_info(info),
    }
    assert files == expected
    others = ("host_stub", "crowdtwist_sandbox", "tests", "bench", "cassettes")
    assert not any(n.startswith(others) for n in files)


@pytest.mark.parametrize(
    ("dist", "package"), [(HOST, "host_stub"), (SANDBOX, "crowdtwist_sandbox")]
)
def test_host_and_sandbox_wheels_hold_their_package_only(
    wheels: dict[str, Path], dist: str, package: str
) -> None:
    files = names(wheels[dist])
    info = next(n.split("/")[0] for n in files if ".dist-info/" in n)
    expected = sources(REPO / package, package) | {f"{package}/py.typed", *dist_info(info)}
    assert files == expected
    assert f"{package}/__init__.py" in files


def test_the_host_wheel_holds_no_sandbox(wheels: dict[str, Path]) -> None:
    assert not any(
        n.startswith(("crowdtwist_sandbox/", "host_stub/sandbox/")) for n in names(wheels[HOST])
    )
    assert "crowdtwist_sandbox/server.py" in names(wheels[SANDBOX])


@pytest.mark.parametrize("dist", list(PYPROJECTS))
def test_licence_is_the_apache_2_text(wheels: dict[str, Path], dist: str) -> None:
    text = read(wheels[dist], ".dist-info/licenses/LICENSE")
    assert text == (REPO / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License\n                           Version 2.0, January 2004" in text
    assert "TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION" in text


def test_plugin_metadata(wheels: dict[str, Path]) -> None:
    meta = metadata(wheels[PLUGIN])
    assert meta["Name"] == PLUGIN
    assert meta["Version"] == crowdtwist_plugin.__version__
    assert meta["License-Expression"] == "Apache-2.0"
    assert meta.get_all("License-File") == ["LICENSE"]
    assert meta["Requires-Python"] == ">=3.11"
    classifiers = set(meta.get_all("Classifier") or [])
    assert {
        "Typing :: Typed",
        "Development Status :: 4 - Beta",
        "Programming Language :: Python :: 3.11",
        "Programming Language :: Python :: 3.12",
        "Programming Language :: Python :: 3.13",
    } <= classifiers
    assert not any(c.startswith("License ::") for c in classifiers)  # the SPDX field says it
    assert meta["Author"] or meta["Author-email"]
    assert meta["Keywords"]
    requires = meta.get_all("Requires-Dist") or []
    runtime = sorted(r for r in requires if "extra ==" not in r)
    assert runtime == sorted(declared(REPO / "pyproject.toml"))
    assert {name_of(r) for r in runtime} == {
        "aiohttp",
        "asyncio-throttle",
        "attrs",
        "backoff",
        "phonenumbers",
        "pluggy",
        "yarl",
    }
    extras = [r for r in requires if "extra ==" in r]
    assert all(re.search(r'extra == "redis"', r) for r in extras), extras
    assert meta.get_all("Provides-Extra") == ["redis"]  # no test extra: test tools are a group
    assert not any(name_of(r) in {"ruff", "mypy", "pytest"} for r in requires)
    assert "Oracle CrowdTwist" in (meta.get_payload() or "")  # the README is the description


def test_plugin_entry_point_and_no_command(wheels: dict[str, Path]) -> None:
    entry_points = read(wheels[PLUGIN], ".dist-info/entry_points.txt")
    assert "[console_scripts]" not in entry_points
    assert entry_points.split() == [
        "[privacy_host]",
        "crowdtwist",
        "=",
        "crowdtwist_plugin.plugin:plugin",
    ]


def test_host_metadata_and_command(wheels: dict[str, Path]) -> None:
    meta = metadata(wheels[HOST])
    assert meta["Name"] == HOST
    assert meta["License-Expression"] == "Apache-2.0"
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
    requires = meta.get_all("Requires-Dist") or []
    runtime = [r for r in requires if "extra ==" not in r]
    assert sorted(runtime) == sorted(declared(PYPROJECTS[HOST]))
    assert {name_of(r) for r in runtime} == {"attrs", "pluggy", "rich", "yarl"}
    # the sandbox, at this repository's version, and only with the extra
    assert meta.get_all("Provides-Extra") == ["sandbox"]
    assert [r for r in requires if "extra ==" in r] == [
        f'{SANDBOX}>={crowdtwist_plugin.__version__}; extra == "sandbox"'
    ]
    entry_points = read(wheels[HOST], ".dist-info/entry_points.txt")
    assert entry_points.split() == ["[console_scripts]", "host-stub", "=", "host_stub.cli:main"]


def test_sandbox_metadata_and_command(wheels: dict[str, Path]) -> None:
    meta = metadata(wheels[SANDBOX])
    assert meta["Name"] == SANDBOX
    assert meta["Version"] == crowdtwist_plugin.__version__  # released together
    assert meta["License-Expression"] == "Apache-2.0"
    assert "Typing :: Typed" in (meta.get_all("Classifier") or [])
    requires = meta.get_all("Requires-Dist") or []
    assert sorted(requires) == sorted(declared(PYPROJECTS[SANDBOX]))
    assert {name_of(r) for r in requires} == {"aiohttp", "attrs", "multidict", "yarl"}
    assert meta.get_all("Provides-Extra") is None
    assert "local Oracle CrowdTwist service" in (meta.get_payload() or "")
    entry_points = read(wheels[SANDBOX], ".dist-info/entry_points.txt")
    command = ["[console_scripts]", "crowdtwist-sandbox", "=", "crowdtwist_sandbox:main"]
    assert entry_points.split() == command


def test_the_three_distributions_are_installed_editable() -> None:
    assert crowdtwist_plugin.__version__ == importlib.metadata.version(PLUGIN)
    assert importlib.metadata.version(HOST) == importlib.metadata.version(SANDBOX)
    scripts = importlib.metadata.entry_points(group="console_scripts")
    assert [ep.dist.name for ep in scripts if ep.name == "host-stub" and ep.dist] == [HOST]
    command = [ep.dist.name for ep in scripts if ep.name == "crowdtwist-sandbox" and ep.dist]
    assert command == [SANDBOX]


# --- what installing one distribution brings ------------------------------------------------


def brought(requires: list[str]) -> set[str]:
    """Every distribution that installing these requirements brings, without extras: the
    requirements, then theirs as installed here, transitively. A requirement under another
    marker (a Python version, a platform) counts as brought, though its own requirements
    are followed only when it is installed here."""
    seen: set[str] = set()
    todo = [r for r in requires if "extra ==" not in r]
    while todo:
        name = name_of(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:  # under a marker this Python skips
            continue
        todo += [r for r in requires if "extra ==" not in r]
    return seen


def test_brought_follows_requirements_transitively() -> None:
    assert {"aiohttp", "yarl", "multidict", "attrs"} <= brought(["aiohttp>=3"])
    assert "redis" not in brought([f"{PLUGIN}>=0"])  # an extra is not brought
    assert "aiohttp" in brought([f"{PLUGIN}>=0"])


def test_installing_the_host_alone_brings_no_aiohttp(wheels: dict[str, Path]) -> None:
    host = brought(metadata(wheels[HOST]).get_all("Requires-Dist") or [])
    assert "aiohttp" not in host
    assert not host & {SANDBOX, PLUGIN}
    with_sandbox = brought([f"{SANDBOX}>=0"])  # what the `sandbox` extra brings
    assert "aiohttp" in with_sandbox


def test_installing_the_sandbox_alone_brings_neither_plugin_nor_host(
    wheels: dict[str, Path],
) -> None:
    sandbox = brought(metadata(wheels[SANDBOX]).get_all("Requires-Dist") or [])
    assert not sandbox & {PLUGIN, HOST, "pluggy"}
    assert "aiohttp" in sandbox


def test_installing_the_plugin_alone_brings_neither_host_nor_sandbox(
    wheels: dict[str, Path],
) -> None:
    plugin = brought(metadata(wheels[PLUGIN]).get_all("Requires-Dist") or [])
    assert not plugin & {HOST, SANDBOX, "rich"}


# --- declared bounds --------------------------------------------------------------------------


def declared(pyproject: Path) -> list[str]:
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    return list(project["dependencies"])


def name_of(requirement: str) -> str:
    match = re.match(r"[A-Za-z0-9._-]+", requirement)
    assert match, requirement
    return match.group(0).lower().replace("_", "-")


def lower_bounds(pyproject: Path, extra: str | None = None) -> dict[str, str]:
    bounds = {}
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    requirements = project["optional-dependencies"][extra] if extra else project["dependencies"]
    for requirement in requirements:
        match = re.fullmatch(r"([A-Za-z0-9._-]+)>=([0-9][0-9.]*)", requirement)
        assert match, f"{requirement!r}: every dependency has exactly a lower bound"
        bounds[name_of(match.group(1))] = match.group(2)
    return bounds


def pins(constraints: Path) -> dict[str, str]:
    result = {}
    for line in constraints.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            result[name_of(name)] = version.strip()
    return result


def test_lowest_constraints_pin_exactly_the_declared_lower_bounds() -> None:
    plugin = lower_bounds(PYPROJECTS[PLUGIN])
    alone = pins(REPO / "constraints" / "lowest-plugin.txt")
    assert alone == plugin  # the plugin alone, on its own lower bounds
    every = [
        plugin,
        lower_bounds(PYPROJECTS[PLUGIN], "redis"),
        lower_bounds(PYPROJECTS[HOST]),
        lower_bounds(PYPROJECTS[SANDBOX]),
    ]
    combined: dict[str, str] = {}
    for bounds in every:  # where several declare one, the highest bound wins
        for name, version in bounds.items():
            combined[name] = max(version, combined.get(name, version), key=version_key)
    assert pins(REPO / "constraints" / "lowest.txt") == combined


def version_key(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split("."))


def imported_distributions(package: Path) -> set[str]:
    """The distributions that the package's modules import (standard library excluded)."""
    modules: set[str] = set()
    for path in package.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    third_party = modules - set(sys.stdlib_module_names) - {"__future__", package.name}
    mapping = importlib.metadata.packages_distributions()
    return {name_of(dist) for module in third_party for dist in mapping.get(module, [module])}


@pytest.mark.parametrize(
    ("package", "dist"),
    [("crowdtwist_plugin", PLUGIN), ("host_stub", HOST), ("crowdtwist_sandbox", SANDBOX)],
)
def test_every_imported_distribution_is_declared(package: str, dist: str) -> None:
    imported = imported_distributions(REPO / package)
    pyproject = PYPROJECTS[dist]
    project = tomllib.loads(pyproject.read_text(encoding="utf-8"))["project"]
    extras = {
        name_of(requirement)
        for requirements in project.get("optional-dependencies", {}).values()
        for requirement in requirements
    }
    assert imported - extras == set(lower_bounds(pyproject))  # extras: imported lazily
    assert not imported & {PLUGIN, HOST}  # no distribution imports the plugin or the host
    assert SANDBOX not in imported - extras  # only the host, and only with its extra


def test_documentation_names_no_file_outside_the_repository() -> None:
    documents = [*REPO.glob("*.md"), *REPO.glob("docs/**/*.md"), *REPO.glob("*/README.md")]
    documents += [REPO / "host_stub" / "hookspecs.py"]
    for document in documents:
        text = document.read_text(encoding="utf-8")
        assert not re.search(r"(?<![\w.])(\.\./)*shared/", text), document
