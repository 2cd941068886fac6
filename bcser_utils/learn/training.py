"""The paper's training recipe, with checkpoints that let an interrupted run resume exactly.

- Loss: cross-entropy with class weights from scikit-learn's "balanced" heuristic
  (n_samples / (n_classes · count), computed on the training labels; ``class_weight="none"``
  weighs every class alike) and label smoothing 0.1.
- Adam, batch size 64; early stopping on validation loss with patience 5, restoring the weights
  of the best epoch.
- The device is picked automatically (cuda, then mps, then cpu); every random source is seeded:
  the model's initial weights, dropout, and the shuffling (one generator per epoch, so a resumed
  run shuffles exactly as an uninterrupted one would).
- A checkpoint after every epoch holds the model, the optimizer, the early-stopping state, the
  history and the random state. It loads with ``torch.load(..., weights_only=True)``.
- The same code trains on several processes under ``torchrun`` (DistributedDataParallel; NCCL on
  GPUs, gloo on CPUs): every process takes its share of each global batch of 64 and the loss is
  normalised over the whole batch, so the averaged gradient is the one-process gradient. Only
  BatchNorm differs: on GPUs it is synchronised (SyncBatchNorm); on CPUs each process normalises
  its own share, so results match a single process closely but not exactly.

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
from scipy.special import xlogy
from sklearn.utils.class_weight import compute_class_weight
from torch import nn

from bcser_utils.config import Training
from bcser_utils.learn import artifacts
from bcser_utils.messages import progress_bar


def pick_device() -> torch.device:
    """The device to train on: cuda if there is a GPU (under torchrun: this process's GPU), else
    Apple's mps, else the CPU. Notebook: every notebook's first cell.

    Returns
    -------
    torch.device
    """
    if torch.cuda.is_available():
        return torch.device("cuda", int(os.environ.get("LOCAL_RANK", 0)))
    if getattr(torch.backends, "mps", None) and torch.backends.mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def init_distributed() -> tuple[int, int]:
    """Join the process group when started by ``torchrun`` with several processes.

    NCCL when there are GPUs, gloo on CPUs; nothing to join for a single process.

    Returns
    -------
    (rank, world) : tuple of int
        This process's rank and the number of processes; (0, 1) without torchrun.
    """
    import torch.distributed as dist

    if int(os.environ.get("WORLD_SIZE", "1")) > 1 and not dist.is_initialized():
        if torch.cuda.is_available():
            torch.cuda.set_device(int(os.environ.get("LOCAL_RANK", 0)))
        dist.init_process_group("nccl" if torch.cuda.is_available() else "gloo")
    return distributed()


def distributed() -> tuple[int, int]:
    """This process's place in the process group.

    Returns
    -------
    (rank, world) : tuple of int
        (0, 1) unless a process group is running.
    """
    import torch.distributed as dist

    if dist.is_available() and dist.is_initialized():
        return dist.get_rank(), dist.get_world_size()
    return 0, 1


def barrier() -> None:
    """Wait for every process (nothing to wait for in a single process)."""
    if distributed()[1] > 1:
        torch.distributed.barrier()


class GlobalBatches(torch.utils.data.Sampler):
    """Batches of ``batch_size`` in one global order; each process gets its share of each batch.

    The order is ``torch.randperm(n, generator=generator)`` (or 0..n-1 without a generator), so
    a run resumed at epoch k draws the batches an uninterrupted one would. With ``world``
    processes, process ``rank`` takes items rank, rank + world, ... of every batch; a last batch
    smaller than ``world`` is dropped, since every process must take part in every step.

    Parameters
    ----------
    n : int
        The number of items.
    batch_size : int
        Items per global batch.
    generator : torch.Generator, optional
        Shuffles the order; None keeps 0 … n − 1.
    rank, world : int
        This process and the number of processes.
    repeats : int
        Every item comes this many times per pass, shuffled together.

    Examples
    --------
    >>> list(GlobalBatches(5, 2))
    [[0, 1], [2, 3], [4]]
    >>> list(GlobalBatches(5, 2, rank=1, world=2))  # the last batch, of one item, is dropped
    [[1], [3]]
    """

    def __init__(self, n: int, batch_size: int, generator: torch.Generator | None = None,
                 rank: int = 0, world: int = 1, repeats: int = 1):
        self.n, self.batch_size, self.generator = n, batch_size, generator
        self.rank, self.world, self.repeats = rank, world, repeats

    def __iter__(self):
        total = self.n * self.repeats  # with repeats, every item comes that many times, shuffled
        order = ((torch.randperm(total, generator=self.generator) % self.n).tolist()
                 if self.generator is not None else [i % self.n for i in range(total)])
        for start in range(0, total, self.batch_size):
            batch = order[start:start + self.batch_size]
            if len(batch) >= self.world:
                yield batch[self.rank::self.world]

    def __len__(self) -> int:
        full, last = divmod(self.n * self.repeats, self.batch_size)
        return full + (last >= self.world if last else 0)


def class_weights(labels, n_classes: int = 8) -> torch.Tensor:
    """Inverse-frequency weights, sklearn's "balanced": n_samples / (n_classes · count_c).

    Parameters
    ----------
    labels : array-like of int
        The training labels, 0 … n_classes − 1; every class must occur.
    n_classes : int
        The number of classes.

    Returns
    -------
    torch.Tensor
        (n_classes,) float32.
    """
    weights = compute_class_weight("balanced", classes=np.arange(n_classes), y=np.asarray(labels))
    return torch.tensor(weights, dtype=torch.float32)


def make_loss(weights: torch.Tensor | None, label_smoothing: float) -> nn.CrossEntropyLoss:
    """The training loss: cross-entropy with class weights and label smoothing.

    Parameters
    ----------
    weights : torch.Tensor or None
        (n_classes,) class weights; None weighs every class alike.
    label_smoothing : float
        ε: the target puts 1 − ε + ε / C on the true class and ε / C on every other.

    Returns
    -------
    torch.nn.CrossEntropyLoss
    """
    return nn.CrossEntropyLoss(weight=weights, label_smoothing=label_smoothing)


def smoothing_floor(n_classes: int = 8, label_smoothing: float = 0.1) -> float:
    """The lowest cross-entropy a perfect model can reach under label smoothing: the entropy of
    the smoothed target. 0.467 for 8 classes and ε = 0.1, so a loss near 0.6 is not a poor fit.
    (With class weights PyTorch weights each term of the smoothed target, which lifts the floor a
    little, to 0.485 for RAVDESS's weights; notebook 06 measures it.)

    Notebook: 06_training.

    Parameters
    ----------
    n_classes : int
        The number of classes.
    label_smoothing : float
        ε.

    Returns
    -------
    float
        In nats.

    Examples
    --------
    >>> round(smoothing_floor(8, 0.1), 3)
    0.467
    """
    true = 1 - label_smoothing + label_smoothing / n_classes
    other = label_smoothing / n_classes
    return float(-(xlogy(true, true) + (n_classes - 1) * xlogy(other, other)))  # 0·log 0 = 0


@dataclass
class EarlyStopping:
    """Stop after ``patience`` epochs without a lower validation loss; remember the best.

    Parameters
    ----------
    patience : int
        Epochs without improvement before stopping.
    best_loss, best_epoch, bad_epochs
        The state so far (a checkpoint restores them).
    """

    patience: int
    best_loss: float = math.inf
    best_epoch: int = 0
    bad_epochs: int = 0

    def step(self, epoch: int, val_loss: float) -> bool:
        """Record one epoch's validation loss.

        Parameters
        ----------
        epoch : int
            The epoch, numbered from 1.
        val_loss : float
            Its validation loss.

        Returns
        -------
        bool
            True if it improved on the best so far.
        """
        if val_loss < self.best_loss:
            self.best_loss, self.best_epoch, self.bad_epochs = val_loss, epoch, 0
            return True
        self.bad_epochs += 1
        return False

    @property
    def should_stop(self) -> bool:
        """Whether ``patience`` epochs in a row have not improved."""
        return self.bad_epochs >= self.patience


@dataclass
class History:
    """Per-epoch records of a training run, one list entry per epoch: the epoch number, the
    training and validation losses and accuracies, and the epoch's wall-clock seconds.
    """

    epoch: list = field(default_factory=list)
    train_loss: list = field(default_factory=list)
    train_accuracy: list = field(default_factory=list)
    val_loss: list = field(default_factory=list)
    val_accuracy: list = field(default_factory=list)
    seconds: list = field(default_factory=list)


@dataclass
class FitResult:
    """What ``fit`` returns: the model with its best epoch's weights, the ``History``, the best
    and the last epoch run, whether early stopping ended the run, and the class weights the loss
    used.
    """

    model: nn.Module  # with the best epoch's weights
    history: History
    best_epoch: int
    stopped_epoch: int  # the last epoch run
    early_stopped: bool
    class_weights: list


def keep_freed_memory() -> None:
    """Let this process reuse the memory it frees instead of handing it back to the system.

    A training step allocates tens of large activation buffers and frees them again. glibc's
    malloc serves blocks above 32 MiB with mmap and unmaps them on free, so every step pays the
    kernel to map and zero fresh pages (a 52 MB buffer: 16 ms to fill fresh, 6 ms reused, on this
    course's 2-core machine). Turning mmap off and raising the trim threshold keeps those pages
    in the heap; the peak memory stays what the largest step needs. Process-wide and idempotent;
    a no-op where the C library is not glibc (macOS, Windows, musl).
    """
    import ctypes
    import platform

    if platform.system() != "Linux" or platform.libc_ver()[0] != "glibc":
        return
    libc = ctypes.CDLL(None)
    m_trim_threshold, m_mmap_max = -1, -4  # glibc's mallopt parameters (malloc.h)
    libc.mallopt(m_mmap_max, 0)
    libc.mallopt(m_trim_threshold, 1 << 30)


def batches(data, sampler):
    """(x, y) tensors for each batch of indices that ``sampler`` yields.

    A dataset with a ``batch(indices)`` method (``feature_cache.FeatureDataset``) reads and
    normalises a whole batch at once; any other is read item by item and stacked, as a
    DataLoader would.

    Parameters
    ----------
    data : dataset
        Indexable, ``data[i]`` → (features, label), or with a ``batch`` method.
    sampler : iterable of list of int
        E.g. ``GlobalBatches``.

    Yields
    ------
    (x, y) : tuple of torch.Tensor
        (B, T, F) features and (B,) labels.
    """
    read = getattr(data, "batch", None)
    for indices in sampler:
        if read is not None:
            yield read(indices)
        else:
            xs, ys = zip(*(data[i] for i in indices), strict=True)
            yield torch.stack([torch.as_tensor(x) for x in xs]), torch.tensor(ys)


def spec_augment(x: torch.Tensor, max_time: int = 20, max_bands: int = 8,
                 n_masks: int = 2) -> torch.Tensor:
    """SpecAugment's masking (Park et al., 2019) on standardised features.

    In every clip, ``n_masks`` time masks of 0–``max_time`` frames and ``n_masks`` band masks of
    0–``max_bands`` bands, each at a random place, are set to 0 (the training mean). The draws
    come from torch's seeded generator. Notebook: 09_towards_unseen_speakers.

    Parameters
    ----------
    x : torch.Tensor
        (B, T, F) standardised features.
    max_time : int
        The widest time mask, in frames.
    max_bands : int
        The widest band mask, in bands.
    n_masks : int
        Masks of each kind per clip.

    Returns
    -------
    torch.Tensor
        A new (B, T, F) tensor.
    """
    b, t, f = x.shape
    keep = torch.ones(b, t, f, dtype=torch.bool, device=x.device)
    for axis, size, most in ((1, t, max_time), (2, f, max_bands)):
        width = torch.randint(0, most + 1, (b, n_masks, 1))
        start = (torch.rand(b, n_masks, 1) * (size - width + 1)).long()
        steps = torch.arange(size).view(1, 1, size)
        masked = ((steps >= start) & (steps < start + width)).any(1).to(x.device)  # (B, size)
        keep &= ~(masked.unsqueeze(2) if axis == 1 else masked.unsqueeze(1))
    return x * keep


def mixup(x: torch.Tensor, alpha: float) -> tuple[torch.Tensor, torch.Tensor, float]:
    """mixup (Zhang et al., 2018): each clip blended with another of the batch.

    λ·x + (1 − λ)·x[partner], λ ~ Beta(α, α) once per batch; the loss is blended alike.
    Notebook: 09_towards_unseen_speakers.

    Parameters
    ----------
    x : torch.Tensor
        (B, …) a batch.
    alpha : float
        The Beta distribution's α, > 0.

    Returns
    -------
    blend : torch.Tensor
        The shape of ``x``.
    partner : torch.Tensor
        (B,) the index of each clip's partner.
    lam : float
        λ.
    """
    lam = float(torch.distributions.Beta(alpha, alpha).sample())
    partner = torch.randperm(len(x)).to(x.device)
    return lam * x + (1 - lam) * x[partner], partner, lam


def _run_epoch(model, loader, loss_fn, weights, device, optimizer=None,
               cfg: Training | None = None) -> tuple[float, float]:
    """One pass; trains if an optimizer is given. Returns (loss, accuracy over clips).

    The loss of the pass is the class-weighted mean over all its clips, Σ w·ℓ / Σ w, the quantity
    each batch's loss estimates, so it does not depend on how the clips were batched. Under DDP a
    process holds only a share of each batch: its weighted mean is rescaled to (share's weight ÷
    whole batch's weight), so the shares add up to the one-process loss, and DDP's gradient
    average (hence the ``* world``) to the one-process gradient. Totals stay tensors until the
    end: no synchronising ``.item()`` per batch.
    """
    _, world = distributed()
    model.train(optimizer is not None)
    dtype = torch.float32 if device.type == "mps" else torch.float64  # mps has no float64
    totals = torch.zeros(4, dtype=dtype, device=device)  # Σ w·ℓ, Σ w, correct, clips
    with torch.enable_grad() if optimizer is not None else torch.inference_mode():
        for x, y in loader:
            x, y = x.to(device, non_blocking=True), y.to(device, non_blocking=True)
            partner, lam = None, 1.0
            if optimizer is not None and cfg is not None:  # training-time augmentation
                if cfg.spec_augment:
                    x = spec_augment(x)
                if cfg.mixup_alpha > 0:
                    x, partner, lam = mixup(x, cfg.mixup_alpha)
            logits = model(x)
            loss = loss_fn(logits, y)  # weighted mean over this process's clips
            if partner is not None:
                loss = lam * loss + (1 - lam) * loss_fn(logits, y[partner])
            weight = weights[y].sum()
            if optimizer is not None:
                step_loss = loss
                if world > 1:
                    batch_weight = weight.detach().clone()
                    torch.distributed.all_reduce(batch_weight)
                    step_loss = loss * weight / batch_weight
                optimizer.zero_grad()
                (step_loss * world).backward()
                optimizer.step()
            correct = (logits.argmax(1) == y).sum()
            totals += torch.stack([loss.detach() * weight, weight, correct.to(weight.dtype),
                                   weight.new_tensor(len(y))]).to(dtype)
    if world > 1:
        torch.distributed.all_reduce(totals)
    loss, accuracy = totals[0] / totals[1], totals[2] / totals[3]
    return loss.item(), accuracy.item()


def fit(model: nn.Module, train_set, val_set, cfg: Training, *, max_epochs: int | None = None,
        seed: int = 0, checkpoint: str | Path | None = None, device: torch.device | None = None,
        progress: bool = True, identity: str | None = None,
        unmarked_ok: bool = True) -> FitResult:
    """Train ``model`` with the paper's recipe; resume from ``checkpoint`` if it exists.

    An empty ``val_set`` trains all ``max_epochs`` and keeps the last epoch's weights (a refit
    whose epoch count was chosen by cross-validation). Under ``torchrun`` (after
    ``init_distributed``) it trains with DistributedDataParallel; only rank 0 writes the
    checkpoint. Notebook: 06_training.

    Parameters
    ----------
    model : torch.nn.Module
        An ``EmotionNet`` (its last layer, ``classify[-1]``, gives the number of classes).
    train_set, val_set : dataset
        Yield (features, label) and have a ``labels`` array (as ``feature_cache.FeatureDataset``
        does).
    cfg : config.Training
        The recipe: batch size, learning rate, patience, class weights, …
    max_epochs : int, optional
        Default ``cfg.max_epochs``.
    seed : int
        Seeds the shuffling and dropout.
    checkpoint : str or Path, optional
        Written after every epoch; resumed from if it exists.
    device : torch.device, optional
        Default ``pick_device()``.
    progress : bool
        Show a progress bar.
    identity : str, optional
        What made the run (a digest of its settings): recorded in the checkpoint, and a
        checkpoint with another is refused (``resume``).
    unmarked_ok : bool
        Whether a checkpoint that records no identity (written by an earlier version) may be
        resumed: only where the run's own run.json vouches for it.

    Returns
    -------
    FitResult
        The model (the same object) holds the best epoch's weights.
    """
    rank, world = distributed()
    device = device or pick_device()
    if device.type == "cpu":
        keep_freed_memory()
    max_epochs = max_epochs or cfg.max_epochs
    weights = loss_weights(train_set.labels, model.classify[-1].out_features, cfg).to(device)
    loss_fn = make_loss(weights, cfg.label_smoothing)
    model.to(device)
    net = _wrap(model, device) if world > 1 else model  # what the steps run; model = the weights
    optimizer, schedule = make_optimizer(model, cfg)
    torch.manual_seed(seed + 1000 * rank)  # dropout's random stream, its own in each process
    run = resume(checkpoint, model, optimizer, schedule, cfg, device, max_epochs, identity,
                 unmarked_ok)

    # Validation in eval mode has no batch statistics: larger batches are only faster.
    val_batches = GlobalBatches(len(val_set), 4 * cfg.batch_size, rank=rank, world=world)
    bar = progress_bar(range(run.next_epoch, max_epochs + 1), desc="epochs", total=max_epochs,
               disable=not progress or rank > 0, initial=run.next_epoch - 1)
    for epoch in bar:
        began = time.perf_counter()
        order = torch.Generator().manual_seed(seed * 100_003 + epoch)  # same order if resumed
        train_batches = GlobalBatches(len(train_set), cfg.batch_size, order, rank, world,
                                      cfg.epoch_repeats)
        train = _run_epoch(net, batches(train_set, train_batches), loss_fn, weights, device,
                           optimizer, cfg)
        # a refit on every speaker has no validation: no early stopping, the last epoch is kept
        val = (_run_epoch(net, batches(val_set, val_batches), loss_fn, weights, device)
               if len(val_set) else (math.nan, math.nan))
        run.end_epoch(model, epoch, train, val, time.perf_counter() - began,
                      refit=not len(val_set))
        if schedule is not None:
            schedule.step(val[0] if len(val_set) else train[0])
        bar.set_postfix(train_loss=f"{train[0]:.3f}", val_loss=f"{val[0]:.3f}",
                        val_acc=f"{val[1]:.3f}", best=run.stopper.best_epoch)
        if checkpoint and rank == 0:
            save_checkpoint(checkpoint, epoch, model, optimizer, schedule, run, identity)
        if run.stopper.should_stop:
            break
    bar.close()
    model.load_state_dict(run.best_state)
    history = run.history
    return FitResult(model, history, run.stopper.best_epoch,
                     history.epoch[-1] if history.epoch else 0, run.stopper.should_stop,
                     weights.tolist())


def loss_weights(labels, n_classes: int, cfg: Training) -> torch.Tensor:
    """The loss's class weights: the paper's inverse-frequency ("balanced") or all ones.

    Parameters
    ----------
    labels : array-like of int
        The training labels.
    n_classes : int
        The number of classes.
    cfg : config.Training
        ``class_weight``: "balanced" or "none".

    Returns
    -------
    torch.Tensor
        (n_classes,) float32.

    Raises
    ------
    ValueError
        For another ``class_weight``.
    """
    if cfg.class_weight not in ("balanced", "none"):
        raise ValueError(f"training.class_weight {cfg.class_weight!r}: expected 'balanced' or "
                         "'none'")
    return (class_weights(labels, n_classes) if cfg.class_weight == "balanced"
            else torch.ones(n_classes))


def make_optimizer(model: nn.Module, cfg: Training):
    """The paper's Adam (AdamW when ``weight_decay`` > 0) and the learning-rate schedule.

    Parameters
    ----------
    model : torch.nn.Module
        Whose parameters to optimise.
    cfg : config.Training
        ``learning_rate``, ``weight_decay`` and ``lr_schedule``: "constant", or "plateau" (halve
        the rate after 2 epochs without a lower validation loss).

    Returns
    -------
    optimizer : torch.optim.Optimizer
    schedule : torch.optim.lr_scheduler.ReduceLROnPlateau or None
        None for "constant".

    Raises
    ------
    ValueError
        For an unknown ``lr_schedule``.
    """
    optimizer = (torch.optim.AdamW(model.parameters(), lr=cfg.learning_rate,
                                   weight_decay=cfg.weight_decay) if cfg.weight_decay
                 else torch.optim.Adam(model.parameters(), lr=cfg.learning_rate))
    if cfg.lr_schedule not in ("constant", "plateau"):
        raise ValueError(f"training.lr_schedule {cfg.lr_schedule!r}: expected 'constant' or "
                         "'plateau'")
    schedule = (torch.optim.lr_scheduler.ReduceLROnPlateau(optimizer, factor=0.5, patience=2)
                if cfg.lr_schedule == "plateau" else None)
    return optimizer, schedule


@dataclass
class Progress:
    """Where training stands between epochs: what a checkpoint holds besides the model's and the
    optimizer's state.

    Parameters
    ----------
    stopper : EarlyStopping
        The early-stopping state.
    history : History
        The epochs so far.
    best_state : dict
        The weights of the best epoch so far.
    next_epoch : int
        The epoch to run next, from 1.
    """

    stopper: EarlyStopping
    history: History
    best_state: dict  # the weights of the best epoch so far
    next_epoch: int = 1

    def end_epoch(self, model: nn.Module, epoch: int, train: tuple, val: tuple,
                  seconds: float, refit: bool = False) -> None:
        """Record an epoch; keep the weights if they are the best yet (every epoch's, for a
        ``refit`` without validation).

        Parameters
        ----------
        model : torch.nn.Module
            The model after the epoch.
        epoch : int
            The epoch, from 1.
        train, val : (float, float)
            (loss, accuracy) on each side; NaNs for a refit's validation.
        seconds : float
            The epoch's wall-clock time.
        refit : bool
            No validation: every epoch counts as the best.
        """
        for key, value in zip(asdict(self.history), (epoch, *train, *val, seconds), strict=True):
            getattr(self.history, key).append(value)
        if refit or self.stopper.step(epoch, val[0]):
            self.best_state = {k: v.detach().clone() for k, v in model.state_dict().items()}
            self.stopper.best_epoch = epoch if refit else self.stopper.best_epoch


def resume(checkpoint: str | Path | None, model: nn.Module, optimizer, schedule, cfg: Training,
           device: torch.device, max_epochs: int, identity: str | None = None,
           unmarked_ok: bool = True) -> Progress:
    """A fresh start, or where ``checkpoint`` left off.

    The model, optimizer and schedule are restored in place, and so is torch's random state (the
    dropout stream continues unbroken).

    Parameters
    ----------
    checkpoint : str or Path or None
        A file written by ``save_checkpoint``; None or a missing file starts afresh.
    model : torch.nn.Module
        Restored in place.
    optimizer : torch.optim.Optimizer
        Restored in place.
    schedule : learning-rate scheduler or None
        Restored in place.
    cfg : config.Training
        ``patience``, for a fresh start.
    device : torch.device
        Where the checkpoint's tensors go.
    max_epochs : int
        A run that had already stopped early skips to max_epochs + 1.
    identity : str, optional
        The run's; a checkpoint that records another is refused.
    unmarked_ok : bool
        Whether a checkpoint that records none may be resumed.

    Returns
    -------
    Progress

    Raises
    ------
    artifacts.CheckpointError
        The checkpoint is not a readable torch file of ours, or another run's.
    """
    best = {k: v.detach().clone() for k, v in model.state_dict().items()}
    if not checkpoint or not Path(checkpoint).exists():
        return Progress(EarlyStopping(cfg.patience), History(), best)
    state = artifacts.load_torch(checkpoint, "training checkpoint")  # never torch's advice
    mark = state.get("identity")
    if identity is not None and (mark != identity if mark else not unmarked_ok):
        raise artifacts.CheckpointError(
            f"{checkpoint}: the checkpoint of another run (made with other settings, or left "
            "without the run.json that says what made it); delete it to start this run afresh, "
            "or use another --out")
    try:
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        if schedule is not None:
            schedule.load_state_dict(state["schedule"])
        torch.set_rng_state(state["rng"])
        run = Progress(EarlyStopping(**state["early_stopping"]), History(**state["history"]),
                       {k: v.to(device) for k, v in state["best_model"].items()},
                       state["epoch"] + 1)
    except (KeyError, TypeError, ValueError, RuntimeError) as err:  # not a checkpoint of ours
        raise artifacts.CheckpointError(
            f"{checkpoint}: not a training checkpoint of this version's model "
            f"({str(err).strip().splitlines()[0][:100]}); delete it to start afresh") from None
    if run.stopper.should_stop:
        run.next_epoch = max_epochs + 1  # already finished: just restore the best weights
    return run


def save_checkpoint(checkpoint: str | Path, epoch: int, model: nn.Module, optimizer, schedule,
                    run: Progress, identity: str | None = None) -> None:
    """Everything ``resume`` needs, after ``epoch`` (written whole or not at all).

    Parameters
    ----------
    checkpoint : str or Path
        The file to write.
    epoch : int
        The epoch just finished.
    model : torch.nn.Module
        Its current weights.
    optimizer : torch.optim.Optimizer
        Its state.
    schedule : learning-rate scheduler or None
        Its state.
    run : Progress
        Early stopping, history and the best weights.
    identity : str, optional
        What made the run (``fit``'s).
    """
    artifacts.save_torch(checkpoint, {
        "epoch": epoch, "model": model.state_dict(), "optimizer": optimizer.state_dict(),
        "best_model": run.best_state, "early_stopping": asdict(run.stopper),
        "history": asdict(run.history), "rng": torch.get_rng_state(),
        "schedule": schedule.state_dict() if schedule is not None else {},
        **({"identity": identity} if identity else {})})


def _wrap(model: nn.Module, device: torch.device) -> nn.Module:
    """DistributedDataParallel around ``model`` (whose parameters it shares and updates); on GPUs
    its BatchNorm layers are synchronised over the processes first (not possible on CPUs)."""
    from torch.nn.parallel import DistributedDataParallel

    if device.type == "cuda":
        model = nn.SyncBatchNorm.convert_sync_batchnorm(model)  # same object, layers swapped
        return DistributedDataParallel(model, device_ids=[device.index])
    return DistributedDataParallel(model)
