"""Each notebook on a fresh machine, as Colab opens it, optionally under Binder's memory cap.

    python benchmarks/cold_notebooks.py [--only 04 06] [--mode quick] [--cap-gib 2] [--keep]

Colab gives every notebook its own runtime: the course is cloned, the corpus fetched and every
cache built inside that notebook. This script emulates it for each notebook in turn:

1. a copy of this working tree (tracked and untracked files, not ignored ones: no runs/, no
   data/, no build/), made once, whose runs/ and build/ are emptied before each notebook;
2. an empty data folder (``$BCSER_DATA_DIR``) per notebook, into which the corpus is fetched
   as the Colab cell fetches it (``ravdess.download``: pooch, MD5-checked, extracted), from a zip
   of the development copy ``../shared/data/ravdess`` served on 127.0.0.1 in place of Zenodo;
   that fetch is timed apart ("fetch s") and excluded from the notebook's time;
3. the notebook executed in a fresh kernel (``course.run_notebook``), with every cache cold.

With ``--cap-gib N`` (root, cgroup v1 or v2) the whole process tree (this script, the kernel and
the feature cache's worker processes) runs in a memory cgroup limited to N GiB, as Binder's
container is; the table then gives the cgroup's peak (which counts the page cache, reclaimed
under the cap before anything is killed) and whether the kernel died. Prints one row per
notebook: fetch seconds (one download per notebook; the outcome says if the notebook itself
fetched it again), notebook seconds, the kernel's peak RSS, the cgroup's peak; then each
notebook's three slowest cells. ``--keep`` keeps the temporary folder, the executed notebooks in it.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import http.server
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import zipfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORPUS = REPO.parent / "shared" / "data" / "ravdess"
TARGET_S = 120.0  # every notebook ≤ 2 min cold on 2 cores, the download excluded


def copy_worktree(dest: Path) -> Path:
    """This checkout's files as git sees them (tracked + untracked, minus ignored), at ``dest``."""
    names = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                           cwd=REPO, capture_output=True, check=True).stdout.split(b"\0")
    for name in filter(None, names):
        source = REPO / os.fsdecode(name)
        if source.is_file():
            target = dest / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def zip_corpus(folder: Path, archive: Path) -> str:
    """The corpus as one stored zip (its members under Actor_NN/, as Zenodo's); its MD5."""
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_STORED) as zf:
        for path in sorted(folder.glob("Actor_*/*")):
            zf.write(path, path.relative_to(folder))
    return hashlib.md5(archive.read_bytes()).hexdigest()


class _CountingHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the corpus quietly and counts the downloads (a fresh machine should make one)."""

    downloads = 0

    def do_GET(self):
        type(self).downloads += 1
        super().do_GET()

    def log_message(self, *args):
        pass


def serve(folder: Path) -> str:
    """An HTTP server on 127.0.0.1 for ``folder``, in a daemon thread; its base URL."""
    handler = functools.partial(_CountingHandler, directory=str(folder))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{server.server_address[1]}"


class MemoryCap:
    """A memory cgroup of ``limit`` bytes holding this process (and so all it starts)."""

    def __init__(self, limit: int):
        v1 = Path("/sys/fs/cgroup/memory")
        self.v1 = v1.is_dir()
        base = v1 if self.v1 else Path("/sys/fs/cgroup")
        self.home = base / next(line.split(":", 2)[2] for line in
                                Path("/proc/self/cgroup").read_text().splitlines()
                                if (":memory:" in line) == self.v1).lstrip("/")
        self.folder = base / f"bcser-cold-{os.getpid()}"
        self.folder.mkdir()
        (self.folder / ("memory.limit_in_bytes" if self.v1 else "memory.max")).write_text(
            str(limit))
        (self.folder / "cgroup.procs").write_text(str(os.getpid()))

    def reset_peak(self) -> None:
        name = "memory.max_usage_in_bytes" if self.v1 else "memory.peak"
        try:
            (self.folder / name).write_text("0")
        except OSError:  # memory.peak is resettable only on newer kernels
            pass

    def peak(self) -> int:
        name = "memory.max_usage_in_bytes" if self.v1 else "memory.peak"
        return int((self.folder / name).read_text())

    def close(self) -> None:
        """Back to the cgroup this process came from, and the cap's cgroup removed."""
        (self.home / "cgroup.procs").write_text(str(os.getpid()))
        self.folder.rmdir()

    def oom_kills(self) -> int:
        name = "memory.oom_control" if self.v1 else "memory.events"
        for line in (self.folder / name).read_text().splitlines():
            if line.startswith("oom_kill "):
                return int(line.split()[1])
        return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="*", help="notebook number prefixes, e.g. 04 06")
    parser.add_argument("--mode", default="quick", choices=("quick", "full"))
    parser.add_argument("--cap-gib", type=float, default=0.0,
                        help="run under a memory cgroup of this many GiB (Binder: 2); root only")
    parser.add_argument("--keep", action="store_true",
                        help="keep the temporary folder, the executed notebooks in it")
    args = parser.parse_args(argv)
    if not CORPUS.is_dir():
        print(f"{CORPUS}: no development copy of RAVDESS to serve; nothing measured")
        return 2

    work = Path(tempfile.mkdtemp(prefix="bcser-cold-"))
    clone = copy_worktree(work / "bcser")
    served = work / "served"
    served.mkdir()
    started = time.perf_counter()
    md5 = zip_corpus(CORPUS, served / "Audio_Speech_Actors_01-24.zip")
    url = f"{serve(served)}/Audio_Speech_Actors_01-24.zip"
    print(f"served {CORPUS} as a zip (md5 {md5}) on {url} in {time.perf_counter() - started:.0f} s")

    sys.path.insert(0, str(clone))  # the copy's package, as Colab's `pip install -e` gives it
    os.environ.update({"PYTHONPATH": str(clone), "BCSER_MODE": args.mode,
                       "BCSER_FIGURES_DIR": str(work / "figures")})
    os.environ.pop("BCSER_OFFLINE", None)
    os.environ.pop("BCSER_RAVDESS_DIR", None)
    import nbformat

    from bcser_utils import course

    cap = MemoryCap(int(args.cap_gib * 2**30)) if args.cap_gib else None
    notebooks = sorted((clone / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    notebooks = [p for p in notebooks if not args.only or p.name[:2] in args.only]
    rows, slowest = [], {}
    for path in notebooks:
        for stale in ("runs", "build"):  # a fresh machine has none of them
            shutil.rmtree(clone / stale, ignore_errors=True)
        data_dir = work / f"data-{path.name[:2]}"
        os.environ["BCSER_DATA_DIR"] = str(data_dir)
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sys; from bcser_utils import data; "
                        "ravdess.download(url=sys.argv[1], md5=sys.argv[2], progress=False)",
                        url, md5], check=True, cwd=clone / "notebooks",
                       stderr=subprocess.DEVNULL)
        fetch = time.perf_counter() - started
        if cap:
            cap.reset_peak()
        kills_before = cap.oom_kills() if cap else 0
        print(f"running {path.name} cold …", flush=True)
        downloads_before = _CountingHandler.downloads
        try:
            executed, seconds, kernel_peak = course.execute_notebook(path)
            slowest[path.name] = course.cell_seconds(executed)[:3]
            if args.keep:
                nbformat.write(executed, work / path.name)
            outcome = "ok"
        except Exception as err:  # a dead kernel (over the cap) or a failing cell
            seconds, kernel_peak = float("nan"), 0
            outcome = f"FAILED: {type(err).__name__}: {str(err).splitlines()[0][:80]}"
        if cap and cap.oom_kills() > kills_before:
            outcome = f"killed over the {args.cap_gib:g} GiB cap ({outcome})"
        again = _CountingHandler.downloads - downloads_before  # the data: once per machine
        if again:
            outcome += f"; fetched the corpus again {again}×"
        rows.append((path.name, fetch, seconds, kernel_peak / 2**20,
                     cap.peak() / 2**20 if cap else float("nan"), outcome))
        shutil.rmtree(data_dir, ignore_errors=True)

    if cap:
        cap.close()
    cap_note = f"cgroup cap {args.cap_gib:g} GiB" if cap else "no memory cap"
    print(f"\n{args.mode} mode, every notebook cold, {os.cpu_count()} CPUs, {cap_note}; "
          f"target ≤ {TARGET_S:.0f} s each, fetch excluded")
    print(f"{'notebook':36s} {'fetch s':>8s} {'wall s':>7s} {'kernel MiB':>10s} "
          f"{'cgroup MiB':>10s}  outcome")
    for name, fetch, seconds, kernel, group, outcome in rows:
        flag = "" if seconds <= TARGET_S else "  (over target)"
        print(f"{name:36s} {fetch:8.1f} {seconds:7.1f} {kernel:10.0f} {group:10.0f}  "
              f"{outcome}{flag}")
    print("\nthe slowest cells (cell number as JupyterLab counts from 0, seconds, first line):")
    for name, cells in slowest.items():
        print(f"{name[:2]}: " + "; ".join(f"cell {n} {s:.0f} s `{line[:48]}`"
                                          for n, s, line in cells))
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    else:
        print("kept", work)
    return 0 if all(r[-1] == "ok" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
