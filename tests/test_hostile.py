"""Generated hostile inputs ([guarded-io] 9): audio files built by rule, and the invariants every
one of them must keep, through the one audio check (``audio_input``) and the ``bc`` command run
in-process (``cli.main(["bc", in, out])``).

The files: random bytes; a WAV or FLAC cut at a random point; NaN or inf at a random place;
float samples beyond ±1; odd subtypes, rates and channel counts; a WAV header declaring a huge
data chunk; special files (FIFO, folder, symbolic link loop, link to nothing, ``-``); names with
control characters, unicode or 250 bytes.

The invariants: the exit code is 0, 1 or 2; no traceback; at most one error line, printable
(a name cannot forge a line), naming the file; no file changed but the output; no temporary
left behind; the output is whole (its header's frames are the input's) or absent; the check
raises ``AudioError`` and nothing else.

Then ``predict`` (plain, ``--json``, ``--checkpoint``, ``--same-speaker``, ``--timeline`` with odd
``--window``/``--hop``) on lists of those files among good clips (RAVDESS actor 01 where the
development copy is here, else the synthetic voice); every command on odd arguments (numbers,
names, flags) and odd ``BCSER_MODE``; and ``BCSER_OFFLINE``'s spellings against ``data download``.
All run in-process, in a temporary working and data folder, with the network shut (a socket
cannot connect; ``ravdess.download`` is replaced): each generated command line fails fast (a
corpus folder that does not exist) or must end within a time limit. Their invariants add: stderr
holds only ``error: `` (or ``warning: ``) lines, a usage error (exit 2) is said once; ``--json``
stdout parses with no NaN; every good clip's result is there whatever the others did; no entry
of the folder changed (names, sizes, mtimes), but a failed ``train``'s claimed ``--out`` (left
empty) and its lock; an offline machine never downloads and an odd ``BCSER_OFFLINE`` is refused.

A fixed seed (``derandomize``) keeps ``make test`` reproducible: 100 examples per test (40 for
predict's), about 30 s. ``make fuzz`` runs 2000 (``BCSER_FUZZ_EXAMPLES``).
"""

import contextlib
import functools
import hashlib
import io
import json
import os
import stat
import struct
import tempfile
import time
from pathlib import Path
from unittest import mock

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bcser_utils import messages
from bcser_utils.app.cli import main
from bcser_utils.audio import audio_input, names, ravdess, synthetic

EXAMPLES = int(os.environ.get("BCSER_FUZZ_EXAMPLES", "100"))
FUZZ = settings(derandomize=True, max_examples=EXAMPLES, deadline=None, database=None,
                suppress_health_check=list(HealthCheck))

SUBTYPES = [("WAV", "PCM_16"), ("WAV", "PCM_24"), ("WAV", "PCM_32"), ("WAV", "FLOAT"),
            ("WAV", "DOUBLE"), ("WAV", "PCM_U8"), ("WAV", "ULAW"), ("WAV", "ALAW"),
            ("FLAC", "PCM_16"), ("FLAC", "PCM_24"), ("FLAC", "PCM_S8")]
RATES = [1_000, 7_999, 8_000, 11_025, 16_000, 22_050, 44_100, 48_000, 96_000, 500_000]
NAMES = st.sampled_from(["clip", "a\nerror: fake line", "\x1b[31mred", "été 音", "sp ace",
                         "x" * 240, "tab\there", "bidi\u202e"])


def _audio(rng, rate: int, channels: int, seconds: float) -> np.ndarray:
    return (0.3 * rng.standard_normal((max(1, int(rate * seconds)), channels))).astype(np.float32)


@st.composite
def hostile_files(draw):
    """(a function that makes the file in a folder and returns its path, a description)."""
    kind = draw(st.sampled_from(["good", "good", "random bytes", "truncated", "nan", "loud",
                                 "huge header", "special", "tiny"]))
    name = draw(NAMES)
    fmt, subtype = draw(st.sampled_from(SUBTYPES))
    rate = draw(st.sampled_from(RATES))
    channels = draw(st.integers(1, 6))
    seconds = draw(st.sampled_from([0.1, 0.6, 1.5]))
    cut = draw(st.floats(0.0, 1.0))
    where = draw(st.floats(0.0, 1.0))
    special = draw(st.sampled_from(["fifo", "folder", "loop", "dangling", "stdin"]))
    seed = draw(st.integers(0, 2**16))
    suffix = "." + fmt.lower()

    def make(folder: Path) -> Path:
        rng = np.random.default_rng(seed)
        path = folder / (name + suffix)
        if kind == "random bytes":
            path.write_bytes(rng.integers(0, 256, int(cut * 5000), dtype=np.uint8).tobytes())
            return path
        if kind == "special":
            if special == "stdin":
                return Path("-")
            if special == "fifo":
                os.mkfifo(path)
            elif special == "folder":
                path.mkdir()
            elif special == "loop":
                path.symlink_to(path)
            else:
                path.symlink_to(folder / "gone.wav")
            return path
        use_rate = rate if fmt == "WAV" or rate <= 655_350 else 48_000
        audio = _audio(rng, use_rate, channels, 0.01 if kind == "tiny" else seconds)
        use_subtype = subtype
        if kind in ("nan", "loud"):
            use_subtype, path = "FLOAT", path.with_suffix(".wav")
            audio[int(where * (len(audio) - 1)), 0] = np.nan if kind == "nan" else 55.0
        sf.write(path, audio, use_rate, subtype=use_subtype, format=fmt if kind not in (
            "nan", "loud") else "WAV")
        if kind == "truncated":
            data = path.read_bytes()
            path.write_bytes(data[: int(cut * len(data))])
        if kind == "huge header" and path.suffix == ".wav":
            data = bytearray(path.read_bytes())
            at = data.find(b"data")
            if at > 0:
                data[at + 4:at + 8] = struct.pack("<I", 0x7FFFFFF0)
                path.write_bytes(bytes(data))
        return path

    return make, f"{kind} {fmt}/{subtype} {rate} Hz ×{channels} {name!r}"


def _snapshot(folder: Path) -> dict:
    """Every entry under ``folder`` → its content hash (files) or kind."""
    seen = {}
    for path in sorted(folder.rglob("*")):
        if path.is_symlink() or not path.exists():
            seen[path] = "link"
        elif path.is_file():
            seen[path] = hashlib.sha256(path.read_bytes()).hexdigest()
        else:
            seen[path] = "other"
    return seen


@FUZZ
@given(hostile_files(),
       st.sampled_from([".wav", ".flac", ".wav", ".flac", ".WAV", ".xi", ".mp3", ""]),
       st.booleans())
def test_bc_keeps_its_invariants_on_hostile_files(case, out_suffix, output_exists):
    make, described = case
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        source = make(folder)
        target = folder / ("out" + out_suffix)
        if output_exists:
            target.write_bytes(b"an earlier result")
        before = _snapshot(folder)
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            code = main(["bc", str(source), str(target)])
        err = err.getvalue()
        event(f"{described.split()[0]} → exit {code}")
        assert code in (0, 1, 2), (described, code, err)
        assert "Traceback" not in err, (described, err)
        errors = [line for line in err.splitlines() if line.startswith("error")]
        assert len(errors) == (code != 0), (described, err)
        for line in errors:
            assert line.isprintable(), (described, line)  # no forged line, no raw ESC
            assert messages.named(source) in line or messages.named(target) in line, \
                (described, line)
        after = _snapshot(folder)
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        assert changed <= {target}, (described, changed)  # nothing but the output
        assert not [p for p in after if p.name.endswith(".tmp")], described  # no temporary
        if code == 0:
            written = sf.info(str(target))  # whole: readable, as long as the input
            assert written.frames == sf.info(str(source)).frames, described
        elif output_exists:
            assert target.read_bytes() == b"an earlier result", described
        else:
            assert not target.exists(), described


@FUZZ
@given(hostile_files())
def test_the_audio_check_raises_only_audio_errors_naming_the_file(case):
    make, described = case
    with tempfile.TemporaryDirectory() as tmp:
        source = make(Path(tmp))
        for read in (lambda: audio_input.inspect(source),
                     lambda: [b for _, b in audio_input.blocks(source, 4_000, overlap=1_000)],
                     lambda: audio_input.load_audio(source)):
            try:
                read()
            except audio_input.AudioError as error:
                message = str(error)
                assert message.startswith(messages.named(source) + ": "), (described, message)
                assert message.isprintable(), (described, message)


# ---------------------------------------------------------------------------------------------
# predict on lists of hostile files mixed with good ones, and every command on odd arguments
# and environment values, run in-process (``cli.main``) with the network shut.

RAVDESS = Path("/work/shared/data/ravdess")
CHECKPOINT = str(Path(__file__).resolve().parents[1] / "bcser_utils" / "models" / "bcser_p3.pt")
ODD_NUMBERS = st.one_of(
    st.sampled_from(["-1", "0", "1", "2", "1000000000", str(10**30), "0.5", "1.5", "1e-9", "1e9",
                     "nan", "NaN", "inf", "-inf", "abc", "", " ", " 1", "1 ", "+1", "0x10",
                     "1_0", "٣", "𝟙", "½", "-", "--", "1\n", "\x1b[31m"]),
    st.integers(-10**12, 10**12).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr))
ODD_WORDS = st.sampled_from(["", " ", "-", "--", "é", "音", "a\nerror: fake line", "\x1b[2J",
                             "x" * 300, "nope", "bidi\u202e", "..", "."])
FUZZ_FEW = settings(FUZZ, max_examples=max(1, EXAMPLES * 40 // 100))  # the slow ones


def _not_nan(constant: str):
    raise ValueError(f"{constant} in --json output")


@functools.cache
def _good_clips() -> tuple[bytes, ...]:
    """Four short clips of one speaker (enough for --same-speaker), as WAV bytes: RAVDESS
    actor 01 where the development copy is here, else the synthetic voice."""
    clips = sorted((RAVDESS / "Actor_01").glob("*.*"))[::12][:4] if RAVDESS.is_dir() else []
    if len(clips) < 4:
        rate = synthetic.SAMPLE_RATE
        audio = [synthetic.synthesize(names.parse_name(f"03-01-0{e}-01-01-01-01.wav"), seed=0)
                 for e in (1, 3, 4, 5)]
    else:
        audio = [sf.read(clip, dtype="float32")[0] for clip in clips]
        rate = sf.info(str(clips[0])).samplerate
    blobs = []
    for samples in audio:
        buffer = io.BytesIO()
        sf.write(buffer, samples, rate, format="WAV", subtype="PCM_16")
        blobs.append(buffer.getvalue())
    return tuple(blobs)


def _tree(folder: Path) -> dict:
    """Every entry under ``folder`` → (kind, size, mtime), without reading or following any."""
    seen = {}
    for path in folder.rglob("*"):
        info = path.lstat()
        seen[path] = (stat.S_IFMT(info.st_mode), info.st_size, info.st_mtime_ns)
    return seen


def _leftovers(paths) -> list[Path]:
    """Temporary files: a ``.tmp`` in the name, ``._`` in front, or pooch's ``tmpXXXXXXXX``."""
    return [p for p in paths if ".tmp" in p.name or p.name.startswith("._")
            or (p.name.startswith("tmp") and len(p.name) == 11)]


@contextlib.contextmanager
def _environment(**values):
    """``os.environ`` with ``values`` (None: unset) for the block, restored after."""
    saved = {name: os.environ.get(name) for name in values}
    try:
        for name, value in values.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)
        yield
    finally:
        for name, value in saved.items():
            os.environ.pop(name, None) if value is None else os.environ.__setitem__(name, value)


def _no_network(*args, **kwargs):
    raise OSError("the generated tests never reach the network")


def _run(argv: list[str], folder: Path, offline: str | None = "1", mode: str | None = None,
         limit_s: float = 60.0) -> tuple[int, str, str]:
    """``cli.main(argv)`` in ``folder`` (the working folder and $BCSER_DATA_DIR), with the
    environment given and no network: (exit code, stdout, stderr). It must end within
    ``limit_s``: a generated case never starts real work."""
    out, err = io.StringIO(), io.StringIO()
    started = time.monotonic()
    with contextlib.ExitStack() as stack:
        stack.enter_context(contextlib.chdir(folder))
        stack.enter_context(_environment(BCSER_OFFLINE=offline, BCSER_MODE=mode,
                                         BCSER_DATA_DIR=str(folder / "data"),
                                         BCSER_RAVDESS_DIR=None))
        stack.enter_context(mock.patch("socket.socket.connect", _no_network))
        stack.enter_context(contextlib.redirect_stdout(out))
        stack.enter_context(contextlib.redirect_stderr(err))
        try:
            code = main(argv)
        except SystemExit as exit_:  # argparse's --help, or a usage error
            code = exit_.code
    assert time.monotonic() - started < limit_s, (argv, "did not fail fast")
    return code, out.getvalue(), err.getvalue()


def _check_output(argv, code: int, out: str, err: str) -> None:
    """The invariants of every command's output: exit 0, 1 or 2; no traceback; stderr only
    printable one-line errors (or warnings); a usage error said once; --json parses, no NaN."""
    assert code in (0, 1, 2), (argv, code, err)
    assert "Traceback" not in err + out, (argv, err)
    lines = err.splitlines()
    for line in lines:
        assert line.startswith(("error: ", "warning: ")), (argv, line)
        assert line.isprintable(), (argv, line)  # a name cannot forge a line or reach the tty
    for line in out.splitlines():  # a name printed in an answer cannot forge a line either
        assert line.isprintable(), (argv, line)
    errors = [line for line in lines if line.startswith("error: ")]
    assert (code == 0) <= (not errors), (argv, err)  # a success says no error
    if code == 2:
        assert len(errors) == 1, (argv, err)  # a usage error, said once
    if "--json" in argv and not {"--help", "-h"} & set(argv):  # an answer, or {"error": …}
        json.loads(out, parse_constant=_not_nan)


@st.composite
def predict_calls(draw):
    """(options, the hostile files, how many good clips go among them)."""
    how = draw(st.sampled_from(["plain", "json", "checkpoint", "same-speaker", "timeline"]))
    options = {"plain": [], "json": ["--json"], "checkpoint": ["--json", "--checkpoint",
               CHECKPOINT], "same-speaker": ["--same-speaker", "--json"],
               "timeline": ["--timeline", "--json"]}[how]
    if how == "timeline":
        for flag in ("--window", "--hop"):
            if draw(st.booleans()):
                options += [flag, draw(st.one_of(
                    ODD_NUMBERS, st.sampled_from(["0.5", "0.7", "1", "2.5", "4", "0.1"])))]
    hostile = draw(st.lists(hostile_files(), min_size=1, max_size=3))
    return how, options, hostile, 4 if how == "same-speaker" else draw(st.integers(1, 2))


@FUZZ_FEW
@given(predict_calls(), st.randoms(use_true_random=False))
def test_predict_keeps_its_invariants_on_hostile_files_among_good_ones(call, order):
    how, options, hostile, n_good = call
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        good = []
        for i, blob in enumerate(_good_clips()[:n_good]):
            good.append(folder / f"good{i}.wav")
            good[-1].write_bytes(blob)
        paths = [str(p) for p in good]
        for i, (make, _) in enumerate(hostile):  # each in its own folder: names may repeat
            (folder / f"h{i}").mkdir()
            paths.append(str(make(folder / f"h{i}")))
        order.shuffle(paths)
        described = [d for _, d in hostile]
        before = _tree(folder)
        argv = ["predict", *options, *paths]
        code, out, err = _run(argv, folder)
        event(f"predict {how} → exit {code}")
        _check_output(argv, code, out, err)
        after = _tree(folder)
        assert after == before, (described, set(after.items()) ^ set(before.items()))
        assert not _leftovers(after), described
        if code == 2:  # a usage error: refused before any file
            assert "--window" in options or "--hop" in options, (described, err)
            return
        if "--json" in options:  # every good clip's result, whatever the others did
            answered = {row["file"] for row in json.loads(out, parse_constant=_not_nan)}
            assert {str(p) for p in good} <= answered, (described, err)
        else:
            for p in good:
                assert messages.named(p) in out, (described, out)
        bad_lines = [line for line in err.splitlines() if line.startswith("error: ")]
        assert (code == 1) == bool(bad_lines), (described, code, err)


@st.composite
def odd_command_lines(draw):
    """A command line of every command, with odd values where numbers and names go; each one
    fails fast (a corpus folder that does not exist, a run folder that is not one)."""
    command = draw(st.sampled_from(["data check", "bc", "train", "evaluate", "predict",
                                    "nothing"]))
    value = ODD_NUMBERS | ODD_WORDS
    if command == "data check":
        argv = ["data", "check", draw(st.sampled_from(["nope", "file.txt", "empty", ""]) | ODD_WORDS
                                      .filter(lambda w: w not in (".", "..")))]
    elif command == "bc":
        argv = ["bc", *draw(st.lists(st.sampled_from(["file.txt", "nope.wav", "out.wav", "-",
                                                      "", "empty"]) | ODD_WORDS, max_size=3))]
    elif command == "train":
        argv = ["train", "--data", "no corpus here", "--epochs", "1", "--versions", "1",
                "--out", "run"]
        for flag in draw(st.lists(st.sampled_from(["--protocol", "--fold", "--epochs",
                                                   "--versions", "--seed", "--out", "--signal",
                                                   "--mode", "--data"]), max_size=4)):
            choices = {"--protocol": st.sampled_from(["P1", "P2", "P3", "p1", "P4"]),
                       "--out": ODD_WORDS.filter(lambda w: w not in ("", ".", "..")),
                       "--data": ODD_WORDS.filter(lambda w: w not in ("", ".", ".."))}
            argv += [flag, draw(choices.get(flag, value))]
    elif command == "evaluate":
        argv = ["evaluate", draw(st.sampled_from(["nope", "file.txt", "empty"]) | ODD_WORDS)]
    elif command == "predict":
        argv = ["predict", *draw(st.lists(st.sampled_from(["file.txt", "nope.wav", "-",
                                                           "empty"]) | ODD_WORDS, max_size=2))]
        for flag in draw(st.lists(st.sampled_from(["--window", "--hop", "--checkpoint",
                                                   "--timeline", "--same-speaker"]),
                                  max_size=3)):
            argv += [flag] if flag in ("--timeline", "--same-speaker") else [flag, draw(value)]
    else:
        argv = draw(st.lists(value, max_size=2))
    argv += draw(st.lists(st.sampled_from(["--json", "--nope", "-x", "--help"]) | value,
                          max_size=1))
    return argv


MODES = st.sampled_from([None, "quick", "full", "QUICK", " full ", "", "banana", "quíck",
                         "quick\n", "full quick", "ｆｕｌｌ"])


@FUZZ
@given(odd_command_lines(), MODES)
def test_every_command_fails_fast_and_cleanly_on_odd_arguments(argv, mode):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp) / "work"
        (folder / "data").mkdir(parents=True)
        (folder / "empty").mkdir()
        (folder / "file.txt").write_text("not audio, not a folder\n")
        before = _tree(folder)
        code, out, err = _run(argv, folder, mode=mode, limit_s=30)
        event(f"{argv[0] if argv else '(none)'} → exit {code}")
        _check_output(argv, code, out, err)
        after = _tree(folder)
        changed = {p for p in set(before) | set(after) if before.get(p) != after.get(p)}
        if argv[:1] == ["train"] and code != 0:  # only the run folder it claimed, left empty
            out_folder = folder / argv[len(argv) - 1 - argv[::-1].index("--out") + 1]
            lock = out_folder.parent / f".{out_folder.name}.lock"
            assert {p for p in changed if p not in (out_folder, lock) and
                    out_folder not in p.parents} == set(), (argv, changed)
            assert not [p for p in changed if p.is_file() and p.name not in (".bcser",)
                        and p != lock], (argv, changed)  # nothing partial
        else:
            assert not changed, (argv, changed)
        assert not _leftovers(after), argv


OFFLINE_VALUES = st.sampled_from(["1", "0", "true", "TRUE", "yes", "on", " 1", "1 ", "off",
                                  "no", "false", "", "2", "-1", "oui", "١", "maybe", "tru e",
                                  "ｔｒｕｅ", "1\n", "on\t", "\x1b[31m", "nan"])


@FUZZ
@given(OFFLINE_VALUES)
def test_an_offline_machine_never_downloads_and_odd_offline_values_are_refused(value):
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "data").mkdir()
        attempts = []

        def download(*args, **kwargs):  # stands for the network, which a test never reaches
            attempts.append(args or kwargs)
            raise OSError("no network in the generated tests")

        word = value.strip().lower()
        argv = ["data", "download", "--dir", str(folder / "dl")]
        with mock.patch.object(ravdess, "download", download):
            code, out, err = _run(argv, folder, offline=value)
        event(f"BCSER_OFFLINE={value!r} → exit {code}, {len(attempts)} attempt(s)")
        _check_output(argv, code, out, err)
        if word in ("1", "true", "yes", "on") or word not in ("0", "false", "no", "off", ""):
            assert not attempts and code == 2, (value, code, err)  # offline, or refused
        else:
            assert attempts and code == 1, (value, code, err)  # tried, and said why it failed
        assert not _leftovers(_tree(folder)), value
