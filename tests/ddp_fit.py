"""Training runs that tests/test_distributed.py does twice: in one process, and under torchrun
with 2 gloo processes on the CPU (``python -m torch.distributed.run --standalone
--nproc-per-node 2 tests/ddp_fit.py OUT``, which saves rank 0's results to OUT)."""

from __future__ import annotations

import os
import sys

import numpy as np
import torch
from torch import nn

from bcser_utils import config
from bcser_utils.learn import training
from bcser_utils.learn.model import EmotionNet

T, F = 40, 16


class Clips(torch.utils.data.Dataset):
    """Random (T, F) clips whose class lifts one feature band: learnable, fixed by the seed."""

    def __init__(self, n: int, seed: int):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 8, n)
        self.x = rng.normal(size=(n, T, F)).astype(np.float32)
        self.x[np.arange(n), :, 2 * self.labels] += 0.8

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        return torch.from_numpy(self.x[i]), int(self.labels[i])


class Linear(nn.Module):
    """No BatchNorm, no dropout: DDP must give the one-process result to rounding."""

    def __init__(self):
        super().__init__()
        self.classify = nn.Sequential(nn.Flatten(), nn.Linear(T * F, 8))

    def forward(self, x):
        return self.classify(x)


def run(case: str) -> dict:
    """Train ``case`` ("linear" or "emotionnet") for 3 epochs; its history and final weights."""
    cfg = config.get_config("quick", overrides={"model.dropout": 0.0})
    torch.manual_seed(0)
    model = Linear() if case == "linear" else EmotionNet(F, cfg.model)
    # 230 training clips: 3 full batches of 64 and a last one of 38, split 19 + 19
    result = training.fit(model, Clips(230, 0), Clips(90, 1), cfg.training, max_epochs=3,
                          seed=0, progress=False, device=torch.device("cpu"))
    return {"val_loss": result.history.val_loss, "val_accuracy": result.history.val_accuracy,
            "train_loss": result.history.train_loss,
            "weights": {k: v.detach().clone() for k, v in result.model.state_dict().items()}}


if __name__ == "__main__":
    torch.set_num_threads(1)
    rank, world = training.init_distributed()
    results = {case: run(case) for case in ("linear", "emotionnet")}
    results["world"] = world
    if rank == 0:
        torch.save(results, sys.argv[1])
    # Both ranks leave together, and without the interpreter's teardown: gloo's threads can
    # outlive it and abort the process ("terminate called without an active exception", seen
    # 2 times in about 10 full runs on loaded cores), which torchrun reports as a failure.
    torch.distributed.barrier()
    torch.distributed.destroy_process_group()
    sys.stdout.flush(), sys.stderr.flush()
    os._exit(0)
