"""Release hygiene: build the sdist and wheel once, check them, install the *wheel* into clean
virtual environments on Python 3.11, 3.12 and 3.13, and use it from there.

Per Python: a bare venv (the wheel alone: every module imports or raises
MissingDependencyError naming its extra) and a full venv (every extra: every module imports,
the README's demo runs; on the newest Python also the README's quickstarts and the pytest
plugin, through its entry point). Venvs
are made with uv (fast, and installs from its cache), once per run. Everything runs from a
directory outside the checkout, so the installed wheel is what gets imported.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tarfile
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.docs.runnable import RUNNER, groups

ROOT = Path(__file__).resolve().parents[2]
PYTHONS = ("3.11", "3.12", "3.13")
FULL_EXTRAS = "all,testing"
CHECK = Path(__file__).with_name("check_install.py")
# Library modules the command line's implementation imports directly: the `sessions-plus`
# command itself reports the missing `cli` extra (checked below), its submodules may not.
CLI_LIBRARIES = ("'typer'", "'rich'", "'click'")


def _run(*command: str | Path, cwd: Path, timeout: float = 600, **kwargs: object) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("PYTHONPATH", "VIRTUAL_ENV", "OPENAI_API_KEY")
    }
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env={**env, "NO_COLOR": "1"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )
    assert result.returncode == 0, (
        f"{command} failed ({result.returncode}):\n{result.stdout[-3000:]}\n{result.stderr[-5000:]}"
    )
    return result.stdout


def interpreter(version: str) -> Path:
    """pyenv's Python ``version``, else ``pythonX.Y`` on PATH that runs (pyenv shims of
    versions that are not selected do not); a missing one fails loudly (CI has all three)."""
    pyenv = Path(os.environ.get("PYENV_ROOT", Path.home() / ".pyenv")) / "versions"
    candidates = sorted(pyenv.glob(f"{version}.*/bin/python{version}"))
    if candidates:
        return candidates[-1]
    found = shutil.which(f"python{version}")
    if (
        found
        and subprocess.run([found, "-c", ""], capture_output=True, check=False).returncode == 0
    ):
        return Path(found)
    pytest.fail(f"Python {version} is not installed (pyenv install {version})", pytrace=False)


def uv() -> str:
    found = shutil.which("uv")
    if found is None:
        pytest.fail('uv is not installed: pip install -e ".[dev]"', pytrace=False)
    return found


@dataclass(frozen=True)
class Dist:
    wheel: Path
    sdist: Path


@pytest.fixture(scope="session")
def dist(tmp_path_factory: pytest.TempPathFactory) -> Dist:
    """``python -m build`` once: an sdist, and a wheel built from it."""
    out = tmp_path_factory.mktemp("dist")
    _run(sys.executable, "-m", "build", "--installer", "uv", "--outdir", out, ROOT, cwd=out)
    (wheel,) = out.glob("*.whl")
    (sdist,) = out.glob("*.tar.gz")
    return Dist(wheel, sdist)


@pytest.fixture(scope="session")
def venvs(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Path]]:
    """Venvs made so far in this run, by key: each made once, reused by every test."""
    made: dict[str, Path] = {}
    yield made


def venv(made: dict[str, Path], version: str, wheel: Path, extras: str, base: Path) -> Path:
    key = f"{version}-{extras or 'bare'}"
    if key not in made:
        path = base / key
        _run(uv(), "venv", "-q", "--python", interpreter(version), path, cwd=base)
        python = path / "bin" / "python"
        requirement = f"{wheel}[{extras}]" if extras else str(wheel)
        extra_packages = ["pytest"] if extras else []
        _run(
            uv(), "pip", "install", "-q", "--python", python, requirement, *extra_packages, cwd=base
        )
        made[key] = python
    return made[key]


def test_sdist_and_wheel_pass_twine_check(dist: Dist) -> None:
    _run(sys.executable, "-m", "twine", "check", "--strict", dist.wheel, dist.sdist, cwd=ROOT)


def test_the_wheel_ships_scripts_types_and_assets_and_no_tests(dist: Dist) -> None:
    names = zipfile.ZipFile(dist.wheel).namelist()
    folder = "sessions_plus/backends/redis/lua/"
    lua = {n[len(folder) :] for n in names if n.startswith(folder) and n.endswith(".lua")}
    source_lua = {p.relative_to(ROOT / folder).as_posix() for p in (ROOT / folder).rglob("*.lua")}
    assert lua == source_lua and lua, lua
    assert "sessions_plus/py.typed" in names
    static = {Path(n).name for n in names if n.startswith("sessions_plus/viewer/static/")}
    assert static == {p.name for p in (ROOT / "sessions_plus/viewer/static").iterdir()}
    tops = {n.split("/")[0] for n in names}
    assert tops == {"sessions_plus", f"{dist.wheel.name.split('-py3')[0]}.dist-info"}, tops
    assert not [n for n in names if "/tests/" in n or n.startswith(("tests/", "benchmarks/"))]
    entry_points = next(n for n in names if n.endswith("entry_points.txt"))
    text = zipfile.ZipFile(dist.wheel).read(entry_points).decode()
    assert "sessions-plus = sessions_plus.cli:main" in text
    assert "[pytest11]\nsessions_plus = sessions_plus.testing.pytest_plugin" in text
    with tarfile.open(dist.sdist) as sdist:
        members = [m.name.split("/", 1)[-1] for m in sdist.getmembers()]
    assert "sessions_plus/backends/redis/lua/read.lua" in members
    assert not [m for m in members if m.startswith(("tests/", "benchmarks/"))]


@pytest.mark.parametrize("version", PYTHONS)
def test_the_bare_wheel_imports_or_names_the_missing_extra(
    version: str, dist: Dist, venvs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.getbasetemp() / "venvs"
    base.mkdir(exist_ok=True)
    python = venv(venvs, version, dist.wheel, "", base)
    report = json.loads(_run(python, CHECK, cwd=base))
    assert report["python"].startswith(version + ".")
    modules: dict[str, str] = report["modules"]
    for core in ("sessions_plus", "sessions_plus.store", "sessions_plus.registry",
                 "sessions_plus.backends.sqlite", "sessions_plus.backends.memory",
                 "sessions_plus.conversation", "sessions_plus.traces", "sessions_plus.testing",
                 "sessions_plus.cli"):  # fmt: skip
        assert modules[core] == "ok", (core, modules[core])
    expected = {
        "sessions_plus.backends.redis": "missing:redis",
        "sessions_plus.backends.dynamodb": "missing:dynamodb",
        "sessions_plus.openai_agents": "missing:openai-agents",
        "sessions_plus.strands": "missing:strands",
        "sessions_plus.viewer": "missing:viewer",
        "sessions_plus.traces.render": "missing:cli",
    }
    assert {name: modules[name] for name in expected} == expected
    for name, result in modules.items():
        if result.startswith("error:"):
            pytester_plugin = name == "sessions_plus.testing.pytest_plugin" and "'pytest'" in result
            cli = name.startswith("sessions_plus.cli.") and any(
                lib in result for lib in CLI_LIBRARIES
            )
            assert pytester_plugin or cli, (name, result)
    command = subprocess.run(
        [str(python.parent / "sessions-plus"), "list", "memory://"],
        capture_output=True, text=True, timeout=120, cwd=base, check=False,
    )  # fmt: skip
    assert command.returncode == 1 and "sessions-plus[cli]" in command.stderr, command.stderr


@pytest.mark.parametrize("version", PYTHONS)
def test_the_full_wheel_imports_everything_and_runs_the_readme(
    version: str, dist: Dist, venvs: dict[str, Path], tmp_path_factory: pytest.TempPathFactory
) -> None:
    base = tmp_path_factory.getbasetemp() / "venvs"
    base.mkdir(exist_ok=True)
    python = venv(venvs, version, dist.wheel, FULL_EXTRAS, base)
    work = tmp_path_factory.mktemp(f"readme-{version}")
    report = json.loads(_run(python, CHECK, cwd=work))
    broken = {name: result for name, result in report["modules"].items() if result != "ok"}
    assert not broken, broken

    # The README's demo, twice: the second run continues the first conversation.
    demo = ROOT / "examples" / "openai_handoff.py"
    first = _run(python, demo, "--db", work / "demo.db", "--offline", cwd=work)
    second = _run(python, demo, "--db", work / "demo.db", "--offline", cwd=work)
    assert first and second != first

    if version != PYTHONS[-1]:
        return  # the rest once, on the newest Python: what the demo did not already cover
    # The README's runnable quickstarts.
    (work / "runner.py").write_text(RUNNER, encoding="utf-8")
    readme = groups(ROOT / "README.md")
    assert len(readme) >= 2
    for number, group in enumerate(readme):
        for lang, code in group.steps():
            assert lang == "python"
            script = work / f"readme{number}.py"
            script.write_text(code + "\n", encoding="utf-8")
            _run(python, work / "runner.py", script, cwd=work)

    # The pytest plugin loads from the installed entry point, with no -p.
    (work / "test_plugin.py").write_text(
        "def test_store(sessions_plus_store, openai_scripted_model, strands_scripted_model):\n"
        "    assert type(sessions_plus_store).__name__ == 'MemoryStore'\n"
        "    assert openai_scripted_model(['hi']) and strands_scripted_model(['hi'])\n",
        encoding="utf-8",
    )
    out = _run(python, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_plugin.py", cwd=work)
    assert "1 passed" in out
