"""Checks build.sh runs with the environment's own Python (inside the chroot).

    python envs/colab/check.py plan REPORT.json   pip's --dry-run --report: refuse any torch,
                                                  triton or nvidia-* wheel (a CUDA torch from PyPI)
    python envs/colab/check.py env                the finished environment: Debian's CPU torch, no
                                                  CUDA wheels, torch inside the project's bounds,
                                                  and which pins of versions.txt still hold
"""

from __future__ import annotations

import json
import re
import sys
from importlib import metadata
from pathlib import Path

try:
    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name
except ImportError:  # before anything brought packaging in: pip's own copy
    from pip._vendor.packaging.requirements import Requirement
    from pip._vendor.packaging.utils import canonicalize_name

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
CUDA_LIKE = re.compile(r"^(torch|torchvision|torchaudio|triton|nvidia-.*)$")


def plan(report: str) -> int:
    items = json.loads(Path(report).read_text())["install"]
    names = [(canonicalize_name(i["metadata"]["name"]), i["metadata"]["version"]) for i in items]
    print("pip would install:", " ".join(f"{n}=={v}" for n, v in names) or "nothing")
    bad = [f"{n}=={v}" for n, v in names if CUDA_LIKE.match(n)]
    if bad:
        print("REFUSED: this would install", ", ".join(bad), "from PyPI (the CUDA build); Debian's "
              "python3-torch should satisfy torch. Is it installed and visible to the venv "
              "(--system-site-packages)?", file=sys.stderr)
        return 1
    return 0


def _requirements(path: Path) -> list[Requirement]:
    reqs = []
    for line in path.read_text().splitlines():
        line = line.split(" #")[0].strip()
        if line and not line.startswith(("#", "-")):
            reqs.append(Requirement(line))
    return reqs


def env() -> int:
    import torch

    failures, warnings = [], []
    where = Path(torch.__file__).resolve()
    print(f"python {sys.version.split()[0]} at {sys.executable}")
    print(f"torch {torch.__version__} from {where.parent}; cuda build: {torch.version.cuda}, "
          f"hip build: {torch.version.hip}")
    if not str(where).startswith("/usr/lib/python3/dist-packages/"):
        failures.append(f"torch comes from {where}, not Debian's python3-torch")
    if torch.version.cuda is not None or torch.version.hip is not None:
        failures.append(f"torch is a GPU build (cuda {torch.version.cuda}, "
                        f"hip {torch.version.hip})")
    installed: dict[str, str] = {}
    for dist in metadata.distributions():  # sys.path order: the venv's copy shadows Debian's
        installed.setdefault(canonicalize_name(dist.metadata["Name"]), dist.version)
    cuda = sorted(n for n in installed if CUDA_LIKE.match(n) and n != "torch")
    if cuda:
        failures.append("CUDA-related distributions are installed: " + ", ".join(cuda))
    # the project's own bounds on torch (requirements.txt and pyproject.toml are not edited here)
    for source in (ROOT / "requirements.txt",):
        for req in _requirements(source):
            if canonicalize_name(req.name) == "torch" and not req.specifier.contains(
                    torch.__version__.split("+")[0], prereleases=True):
                failures.append(f"Debian's torch {torch.__version__} is outside {source.name}'s "
                                f"'{req}'")
    try:
        import tomllib
        deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
        for req in map(Requirement, deps):
            if canonicalize_name(req.name) == "torch" and not req.specifier.contains(
                    torch.__version__.split("+")[0], prereleases=True):
                failures.append(f"Debian's torch {torch.__version__} is outside pyproject.toml's "
                                f"'{req}'")
    except (OSError, KeyError) as exc:
        warnings.append(f"could not read pyproject.toml's dependencies: {exc}")
    # pins that the project's install moved (on Colab, its first cell would move them too)
    for req in _requirements(HERE / "versions.txt"):
        have = installed.get(canonicalize_name(req.name))
        if have is None:
            failures.append(f"{req.name} is not installed")
        elif not req.specifier.contains(have.split("+")[0], prereleases=True):
            warnings.append(f"{req.name} is {have}, not versions.txt's {req.specifier} "
                            "(the project's install changed it)")
    for w in warnings:
        print("WARNING:", w)
    for f in failures:
        print("FAILED:", f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["plan"] and len(sys.argv) == 3:
        sys.exit(plan(sys.argv[2]))
    if sys.argv[1:] == ["env"]:
        sys.exit(env())
    sys.exit(__doc__)
