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

A fixed seed (``derandomize``) keeps ``make test`` reproducible: 100 examples per test, about 10 s.
``BCSER_FUZZ_EXAMPLES=2000 make fuzz`` runs more.
"""

import contextlib
import hashlib
import io
import os
import struct
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from bcser_utils import messages
from bcser_utils.app.cli import main
from bcser_utils.audio import audio_input

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
