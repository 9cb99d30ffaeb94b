"""The lock files, the image and the wheel, checked statically (a green run here can hide a missing install step,
so these read what a fresh machine would run)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

from services.common.settings import CommonSettings

ROOT = Path(__file__).resolve().parents[2]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())


def _locked(path: Path) -> dict[str, str]:
    text = path.read_text()
    assert "--find-links" not in text and "--index-url" not in text, f"{path.name} names a local package source"
    entries = re.findall(r"^([A-Za-z0-9_.-]+)==(\S+) \\\n((?:\s+--hash=sha256:[0-9a-f]{64}(?: \\)?\n)+)", text, re.M)
    pins = {name.lower().replace("_", "-"): version for name, version, _ in entries}
    assert len(pins) == text.count("=="), f"{path.name}: every pin carries its hashes"
    return pins


def _pins(requirements: list[str]) -> dict[str, str]:
    pairs = (line.split("==") for line in requirements)
    return {name.strip().lower().replace("_", "-"): version.strip() for name, version in pairs}


def test_each_lock_holds_pyproject_s_pins_at_the_same_versions() -> None:
    """Fails when a dependency was added to pyproject.toml without `make lock`."""
    runtime = _pins(PYPROJECT["project"]["dependencies"])
    dev = _pins(PYPROJECT["project"]["optional-dependencies"]["dev"])
    runtime_lock = _locked(ROOT / "requirements.lock")
    dev_lock = _locked(ROOT / "requirements-dev.lock")
    for name, version in runtime.items():
        assert runtime_lock.get(name) == version, (name, version, runtime_lock.get(name))
        assert dev_lock.get(name) == version, (name, version, dev_lock.get(name))
    for name, version in dev.items():
        assert dev_lock.get(name) == version, (name, version, dev_lock.get(name))
    dev_only = {"pytest", "ruff", "mypy", "pip-tools", "playwright"}
    assert not dev_only & set(runtime_lock), "dev tools in the image's lock"


def test_make_ci_and_the_image_install_from_the_locks() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "pip install --quiet --require-hashes -r requirements-dev.lock" in makefile
    assert "pip install --quiet --no-deps -e ." in makefile
    assert re.search(r"^lock: ", makefile, re.M)
    assert "make test" in (ROOT / ".ci/run").read_text()
    dockerfile = (ROOT / "infra/docker/Dockerfile").read_text()
    assert "pip install --require-hashes -r requirements.lock" in dockerfile
    assert "pip install --no-deps ." in dockerfile
    assert "pip install -e" not in dockerfile


def test_dockerignore_lets_through_exactly_what_the_dockerfile_copies() -> None:
    dockerfile = (ROOT / "infra/docker/Dockerfile").read_text()
    copies = re.findall(r"^COPY (.+) \S+$", dockerfile, re.M)
    copied = {source.rstrip("/") for line in copies for source in line.split()}
    ignore = (ROOT / ".dockerignore").read_text().splitlines()
    allowed = {line[1:].rstrip("/") for line in ignore if line.startswith("!")}
    assert "*" in ignore
    assert copied == allowed


def test_the_infra_files_read_at_run_time_are_package_data() -> None:
    infra = CommonSettings().infra_dir
    package = ROOT / "services" / "common"
    assert infra.parent == package.resolve(), "infra_dir must live inside the installed package"
    for name in ("kafka", "elasticsearch"):
        link = package / "infra" / name
        assert link.is_symlink() and link.resolve() == (ROOT / "infra" / name).resolve()
    globs = PYPROJECT["tool"]["setuptools"]["package-data"]["services.common"]
    shipped = {path for glob in globs for path in package.glob(glob)}
    for needed in (infra / "kafka" / "topics.json", infra / "elasticsearch" / "articles.template.json"):
        assert needed in shipped, needed
    assert "services.common.infra*" in PYPROJECT["tool"]["setuptools"]["packages"]["find"]["exclude"]
