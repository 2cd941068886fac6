"""Training under torchrun (DistributedDataParallel, gloo, 2 CPU processes) matches one process.

The same runs (tests/ddp_fit.py) are done in this process and under torchrun. Without BatchNorm
the two must agree to rounding: the sharding of each global batch and the loss normalisation make
the averaged gradient the one-process gradient. EmotionNet's BatchNorm normalises each process's
half-batch on CPUs (SyncBatchNorm needs GPUs), so there the results only agree closely.
"""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from torch.utils.data import DataLoader

from bcser_utils.learn import training

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import ddp_fit  # noqa: E402


def _has_libuv():
    try:
        torch.distributed.TCPStore("127.0.0.1", 0, is_master=True, use_libuv=True)
    except RuntimeError:  # "use_libuv was requested but PyTorch was build without libuv support"
        return False
    return True


def torchrun(*args, env=None, timeout=300):
    """Run ``python -m torch.distributed.run --standalone --nproc-per-node 2 ARGS`` as a user
    types it; return (exit status, stdout, stderr). A torch built without libuv (Debian's, which
    stands in for Colab's in envs/colab) cannot host torchrun's rendezvous store at all, so there
    the two workers are started as torchrun starts them: RANK, WORLD_SIZE and MASTER_* in their
    environment, with the older TCP store (USE_LIBUV=0) that init_process_group then uses."""
    env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(HERE.parent), **(env or {})}
    if _has_libuv():
        done = subprocess.run([sys.executable, "-m", "torch.distributed.run", "--standalone",
                               "--nproc-per-node", "2", *args],
                              env=env, capture_output=True, text=True, timeout=timeout)
        return done.returncode, done.stdout, done.stderr
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = str(s.getsockname()[1])
    def worker_env(rank):
        return {**env, "USE_LIBUV": "0", "RANK": str(rank), "LOCAL_RANK": str(rank),
                "WORLD_SIZE": "2", "LOCAL_WORLD_SIZE": "2", "MASTER_ADDR": "127.0.0.1",
                "MASTER_PORT": port}

    workers = [subprocess.Popen([sys.executable, *args], stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, env=worker_env(rank))
               for rank in range(2)]
    outputs = [worker.communicate(timeout=timeout) for worker in workers]
    return (max(worker.returncode for worker in workers),
            "".join(out for out, _ in outputs), "".join(err for _, err in outputs))


@pytest.fixture(scope="module")
def distributed_results(tmp_path_factory):
    out = tmp_path_factory.mktemp("ddp") / "results.pt"
    status, _, stderr = torchrun(str(HERE / "ddp_fit.py"), str(out))
    assert status == 0, stderr[-3000:]
    return torch.load(out, weights_only=True)


def test_two_processes_really_ran(distributed_results):
    assert distributed_results["world"] == 2


def test_without_batchnorm_ddp_equals_one_process(distributed_results):
    one, two = ddp_fit.run("linear"), distributed_results["linear"]
    assert two["val_loss"] == pytest.approx(one["val_loss"], rel=1e-5)
    assert two["train_loss"] == pytest.approx(one["train_loss"], rel=1e-5)
    assert two["val_accuracy"] == one["val_accuracy"]
    for name, weight in one["weights"].items():
        torch.testing.assert_close(two["weights"][name], weight, rtol=1e-4, atol=1e-5)
    assert one["val_loss"][-1] < one["val_loss"][0]  # it learned: the comparison is not vacuous


def test_emotionnet_under_ddp_matches_one_process_closely(distributed_results):
    one, two = ddp_fit.run("emotionnet"), distributed_results["emotionnet"]
    assert two["val_loss"] == pytest.approx(one["val_loss"], rel=0.05)
    assert two["val_accuracy"] == pytest.approx(one["val_accuracy"], abs=0.05)
    assert one["val_accuracy"][-1] > 0.3  # chance is 0.125


def test_global_batches_split_each_batch_between_processes():
    def drawn(seed=7):  # a generator after the one draw a DataLoader makes for its worker seed
        generator = torch.Generator().manual_seed(seed)
        torch.empty((), dtype=torch.int64).random_(generator=generator)
        return generator

    one = list(training.GlobalBatches(150, 64, drawn()))
    expected = [b.tolist() for b in DataLoader(range(150), batch_size=64, shuffle=True,
                                                 generator=torch.Generator().manual_seed(7))]
    assert one == expected  # one process: exactly the batches shuffle=True always gave
    shares = [list(training.GlobalBatches(150, 64, drawn(), rank, 2)) for rank in (0, 1)]
    assert [sorted(a + b) for a, b in zip(*shares, strict=True)] == [sorted(b) for b in one]
    assert all(not set(a) & set(b) for a, b in zip(*shares, strict=True))
    assert len(training.GlobalBatches(129, 64, world=2)) == 2  # a last batch of 1 is dropped
    assert len(list(training.GlobalBatches(129, 64, world=2))) == 2


def test_torchrun_train_from_the_command_line_writes_one_run(synthetic_dir, tmp_path,
                                                             monkeypatch, capsys):
    """The user's path: ``torchrun -m bcser_utils train``. Rank 0 builds the cache while rank 1
    waits, both train, and only rank 0 evaluates, writes and reports."""
    import json

    run = tmp_path / "run"
    status, stdout, stderr = torchrun(
        "-m", "bcser_utils", "train", "--protocol", "P2", "--mode", "quick", "--data",
        str(synthetic_dir), "--versions", "2", "--epochs", "2", "--out", str(run),
        env={"BCSER_DATA_DIR": str(tmp_path / "data")})
    assert status == 0, stderr[-3000:]
    assert stdout.count("run folder:") == 1  # one report, from rank 0
    assert len(list((tmp_path / "data" / "cache").glob("features-*"))) == 1  # built once
    summary = json.loads((run / "metrics.json").read_text())
    assert summary["history"]["epoch"] == [1, 2] and "SYNTHETIC" in summary["source"]
    from bcser_utils.app.cli import main

    monkeypatch.setenv("BCSER_DATA_DIR", str(tmp_path / "data"))  # reopen the same cache
    capsys.readouterr()
    assert main(["evaluate", str(run), "--json"]) == 0
    again = json.loads(capsys.readouterr().out)
    assert again["accuracy"] == pytest.approx(summary["metrics"]["accuracy"])  # model.pt = trained
