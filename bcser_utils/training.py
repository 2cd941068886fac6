"""The paper's training recipe, with checkpoints that let an interrupted run resume exactly.

- Loss: cross-entropy with class weights from scikit-learn's "balanced" heuristic
  (n_samples / (n_classes · count), computed on the training labels) and label smoothing 0.1.
- Adam, batch size 64; early stopping on validation loss with patience 5, restoring the weights
  of the best epoch.
- The device is picked automatically (cuda, then mps, then cpu); every random source is seeded:
  the model's initial weights, dropout, and the shuffling (one generator per epoch, so a resumed
  run shuffles exactly as an uninterrupted one would).
- A checkpoint after every epoch holds the model, the optimizer, the early-stopping state, the
  history and the random state. It loads with ``torch.load(..., weights_only=True)``.

Notebook: 06_training.
"""

from __future__ import annotations

import math
import os
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import torch
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from .config import Training


def pick_device() -> torch.device:
    """cuda if there is a GPU, else Apple's mps, else the CPU."""
    if torch.cuda.is_available():
        return torch.device("cuda")
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def class_weights(labels, n_classes: int = 8) -> torch.Tensor:
    """Inverse-frequency weights, sklearn's "balanced": n_samples / (n_classes · count_c)."""
    weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=np.asarray(labels))
    return torch.tensor(weights, dtype=torch.float32)


def make_loss(weights: torch.Tensor | None, label_smoothing: float) -> nn.CrossEntropyLoss:
    return nn.CrossEntropyLoss(weight=weights, label_smoothing=label_smoothing)


def smoothing_floor(n_classes: int = 8, label_smoothing: float = 0.1) -> float:
    """The lowest cross-entropy a perfect model can reach under label smoothing: the entropy of
    the smoothed target. 0.467 for 8 classes and ε = 0.1, so a loss near 0.6 is not a poor fit.
    (With class weights PyTorch weights each term of the smoothed target, which lifts the floor a
    little, to 0.485 for RAVDESS's weights; notebook 06 measures it.)

    Notebook: 06_training.
    """
    true = 1 - label_smoothing + label_smoothing / n_classes
    other = label_smoothing / n_classes
    return -(true * math.log(true) + (n_classes - 1) * other * math.log(other))


@dataclass
class EarlyStopping:
    """Stop after ``patience`` epochs without a lower validation loss; remember the best."""

    patience: int
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0

    def step(self, epoch: int, val_loss: float) -> bool:
        """Record one epoch; True if it improved on the best so far."""
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        return self.bad_epochs >= self.patience


@dataclass
class History:
    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


@dataclass
class FitResult:
    model: nn.Module  # with the best epoch's weights
    history: History
    best_epoch: int
    stopped_epoch: int  # the last epoch run
    early_stopped: bool
    class_weights: list


def seed_everything(seed: int) -> None:
    torch.manual_seed(seed)
    np.random.seed(seed)


def _run_epoch(model, loader, loss_fn, device, optimizer=None) -> tuple[float, float]:
    """One pass; trains if an optimizer is given. Returns (mean loss, accuracy)."""
    model.train(optimizer is not None)
    total_loss, correct, count = 0.0, 0, 0
    with torch.set_grad_enabled(optimizer is not None):
        for x, y in loader:
            x, y = x.to(device), y.to(device)
            logits = model(x)
            loss = loss_fn(logits, y)
            if optimizer is not None:
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            total_loss += loss.item() * len(y)
            correct += (logits.argmax(1) == y).sum().item()
            count += len(y)
    return total_loss / count, correct / count


def fit(model: nn.Module, train_set, val_set, cfg: Training, *, max_epochs: int | None = None,
        seed: int = 0, checkpoint: str | Path | None = None, device: torch.device | None = None,
        progress: bool = True) -> FitResult:
    """Train ``model`` with the paper's recipe; resume from ``checkpoint`` if it exists.

    ``train_set`` / ``val_set`` yield (features, label) and have a ``labels`` array (as
    ``dataset.FeatureDataset`` does). Notebook: 06_training.
    """
    from torch.utils.data import DataLoader
    from tqdm.auto import tqdm

    device = device or pick_device()
    max_epochs = max_epochs or cfg.max_epochs
    weights = class_weights(train_set.labels, model.classify[-1].out_features)
    loss_fn = make_loss(weights.to(device), cfg.label_smoothing)
    model.to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=cfg.learning_rate)
    stopper, history, start = EarlyStopping(cfg.patience), History(), 1
    best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
    torch.manual_seed(seed)  # dropout's random stream

    checkpoint = Path(checkpoint) if checkpoint else None
    if checkpoint and checkpoint.exists():
        state = torch.load(checkpoint, map_location=device, weights_only=True)
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        best_state = state["best_model"]
        stopper = EarlyStopping(**state["early_stopping"])
        history = History(**state["history"])
        torch.set_rng_state(state["rng"])
        start = state["epoch"] + 1
        if stopper.should_stop:
            start = max_epochs + 1  # already finished: just restore the best weights

    val_loader = DataLoader(val_set, batch_size=cfg.batch_size)
    bar = tqdm(range(start, max_epochs + 1), desc="epochs", disable=not progress,
               initial=start - 1, total=max_epochs)
    for epoch in bar:
        began = time.perf_counter()
        order = torch.Generator().manual_seed(seed * 100_003 + epoch)  # same order if resumed
        train_loader = DataLoader(train_set, batch_size=cfg.batch_size, shuffle=True,
                                  generator=order)
        train_loss, train_acc = _run_epoch(model, train_loader, loss_fn, device, optimizer)
        val_loss, val_acc = _run_epoch(model, val_loader, loss_fn, device)
        for key, value in zip(asdict(history), (epoch, train_loss, train_acc, val_loss, val_acc,
                                                time.perf_counter() - began), strict=True):
            getattr(history, key).append(value)
        if stopper.step(epoch, val_loss):
            best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
        bar.set_postfix(train_loss=f"{train_loss:.3f}", val_loss=f"{val_loss:.3f}",
                        val_acc=f"{val_acc:.3f}", best=stopper.best_epoch)
        if checkpoint:
            _save(checkpoint, {
                "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "best_model": best_state, "early_stopping": asdict(stopper),
                "history": asdict(history), "rng": torch.get_rng_state()})
        if stopper.should_stop:
            break
    bar.close()
    model.load_state_dict(best_state)
    return FitResult(model, history, stopper.best_epoch,
                     history.epoch[-1] if history.epoch else 0, stopper.should_stop,
                     weights.tolist())


def _save(path: Path, state: dict) -> None:
    """Write beside the target, then rename: a crash mid-write never corrupts the checkpoint."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    torch.save(state, tmp)
    os.replace(tmp, path)
