"""The layers contract in pyproject.toml (import-linter): the house keeps it, and an import pointing up breaks it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")
pytestmark = pytest.mark.skipif(not LINT.exists(), reason="import-linter not installed (pip install -e '.[test]')")


def lint(project: Path) -> subprocess.CompletedProcess[str]:
    # The project folder comes first on the path, ahead of the editable install, so a copy is analysed as it is.
    env = {**os.environ, "PYTHONPATH": str(project)}
    return subprocess.run([str(LINT), "--config", str(project / "pyproject.toml"), "--no-cache"], cwd=project,
                          env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=120)


def copy_of_the_house(tmp_path: Path) -> Path:
    packages = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["importlinter"][
        "root_packages"]
    for name in packages:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_house_keeps_its_layers() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 kept, 0 broken" in done.stdout


def test_an_import_from_the_kernel_up_to_the_flows_breaks_the_contract(tmp_path: Path) -> None:
    house = copy_of_the_house(tmp_path)
    assert lint(house).returncode == 0  # the copy as it is keeps the contract
    records = house / "newsmon" / "records.py"
    records.write_text(records.read_text(encoding="utf-8") + "\nfrom flows import resources  # noqa\n",
                       encoding="utf-8")

    done = lint(house)

    assert done.returncode != 0
    assert "BROKEN" in done.stdout and "newsmon.records -> flows.resources" in done.stdout
