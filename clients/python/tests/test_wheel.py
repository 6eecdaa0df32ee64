"""The package builds into a wheel offline (Debian's python3-setuptools and python3-wheel: the PEP 517 backend its
pyproject.toml names, called as `pip wheel --no-build-isolation` calls it) and works installed by pip on its own:
imported from the install directory, not from the repo."""

import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]


def run(*args: str, cwd: Path) -> str:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run([sys.executable, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def test_the_wheel_builds_offline_and_installs(tmp_path):
    source = tmp_path / "source"  # a copy: the build leaves build/ and *.egg-info beside the sources
    shutil.copytree(PROJECT, source, ignore=shutil.ignore_patterns("tests", "__pycache__", "build", "*.egg-info"))
    backend = tomllib.loads((source / "pyproject.toml").read_text())["build-system"]["build-backend"]
    run("-c", f"import {backend} as backend; backend.build_wheel({str(tmp_path / 'dist')!r})", cwd=source)
    (wheel,) = (tmp_path / "dist").glob("shardstep-*-py3-none-any.whl")
    run("-m", "pip", "install", "--no-deps", "--no-index", "-q", "--target", str(tmp_path / "site"), str(wheel), cwd=tmp_path)
    probe = "import shardstep, shardstep.torch.state as s; print(shardstep.__file__); print(len(shardstep.ROUTES)); print(s.ShardState.__name__)"
    out = run("-c", f"import sys; sys.path.insert(0, {str(tmp_path / 'site')!r}); {probe}", cwd=tmp_path).split()
    assert out[0].startswith(str(tmp_path / "site")) and int(out[1]) > 0 and out[2] == "ShardState"
