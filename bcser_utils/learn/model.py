"""The attention CNN–Transformer of the paper, sized to train on two CPU cores.

    (B, T, F) features
      → convolutional blocks over (T, F): local spectral detail; each halves T and F
        (convolution, max-pooling, BatchNorm, ReLU: see ``conv_block`` for the order)
      → a linear projection of every frame to d_model, plus sinusoidal positional encoding
      → a Transformer encoder over time: long-range context
      → attention pooling: a learned score per frame, softmax over time, weighted sum
      → a linear classifier with 8 outputs (logits)

The paper gives the order of the blocks but not their sizes; ours come from ``config.Model``.
After a forward pass, ``model.last_attention`` holds the pooling weights over time (B, T'), one
per frame that the convolutions left, so notebooks can plot where the model listened.

Notebook: 05_model_build.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from bcser_utils.config import Model, get_config


class PositionalEncoding(nn.Module):
    """The sinusoidal encoding of Vaswani et al. (2017), added to every frame.

    Parameters
    ----------
    d_model : int
        The width of a frame (even).
    max_len : int
        The most frames it can encode.
    """

    def __init__(self, d_model: int, max_len: int = 4096):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        rate = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10_000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2], table[:, 1::2] = torch.sin(position * rate), torch.cos(position * rate)
        self.register_buffer("table", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Add the encoding of positions 0 … T − 1.

        Parameters
        ----------
        x : torch.Tensor
            (B, T, d_model) frames, T ≤ max_len.

        Returns
        -------
        torch.Tensor
            (B, T, d_model).
        """
        return x + self.table[: x.shape[1]]


class AttentionPooling(nn.Module):
    """Score each frame, softmax the scores over time, return the weighted mean and the weights.

    Parameters
    ----------
    d_model : int
        The width of a frame.
    """

    def __init__(self, d_model: int):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(d_model, d_model), nn.Tanh(), nn.Linear(d_model, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Pool the frames of each clip into one vector.

        Parameters
        ----------
        x : torch.Tensor
            (B, T, d_model) frames.

        Returns
        -------
        pooled : torch.Tensor
            (B, d_model), the weighted mean over time.
        weights : torch.Tensor
            (B, T), each row summing to 1.
        """
        weights = torch.softmax(self.score(x).squeeze(-1), dim=1)  # (B, T)
        return (weights.unsqueeze(-1) * x).sum(dim=1), weights


class Dropout(nn.Module):
    """Dropout (Srivastava et al., 2014) with a mask that is cheap to draw on a CPU.

    torch's CPU dropout draws one random number per value (about 7 ns each on this course's
    machine: a quarter of a training step, the largest single cost after the convolutions). This
    one cuts 16 random bits per value from 64-bit draws of the same generator, and drops a value
    when its bits fall below round(p · 2¹⁶) of 2¹⁶ (p = 0.1 → 0.100006). Kept values are scaled
    by 1 / (1 − that probability), so the expected output equals the input. Seeded by
    ``torch.manual_seed`` like everything else. On a GPU it is torch's own fused dropout.

    Parameters
    ----------
    p : float
        The probability of dropping a value, in [0, 1).

    Raises
    ------
    ValueError
        For p outside [0, 1).
    """

    def __init__(self, p: float):
        super().__init__()
        if not 0 <= p < 1:
            raise ValueError(f"dropout probability {p} is outside [0, 1)")
        self.p = p
        self.cut = round(p * 2**16)  # of the 2¹⁶ equally likely 16-bit values, this many drop

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Drop values at random in training mode; the identity in eval mode.

        Parameters
        ----------
        x : torch.Tensor
            Any shape.

        Returns
        -------
        torch.Tensor
            The shape of ``x``.
        """
        if not self.training or self.cut == 0:
            return x
        if x.device.type != "cpu":
            return nn.functional.dropout(x, self.p, training=True)
        n = x.numel()
        draws = torch.empty((n + 3) // 4, dtype=torch.int64).random_(-2**63, None)
        bits = draws.view(torch.int16)[:n].view(x.shape)  # uniform over −2¹⁵ … 2¹⁵ − 1
        keep = bits >= self.cut - 2**15
        # one float mask, 0 or the scale, that the backward pass reuses: x · (keep · scale) is
        # (x · keep) · scale value for value (a product with 1 or 0 is exact), without a
        # bool → float copy in each direction and a pass for the scale
        mask = keep.to(x.dtype).mul_(2**16 / (2**16 - self.cut))
        return x * mask

    def extra_repr(self) -> str:
        """What ``print(model)`` shows inside the parentheses.

        Returns
        -------
        str
            E.g. "p=0.1".
        """
        return f"p={self.p}"


class EncoderLayer(nn.Module):
    """One pre-norm Transformer encoder layer (Vaswani et al., 2017, with the norms first)::

        x ← x + Dropout(SelfAttention(LayerNorm(x)))
        x ← x + Dropout(Linear(Dropout(ReLU(Linear(LayerNorm(x))))))

    with dropout on the attention weights too. The computation, sizes and initialisation of
    ``nn.TransformerEncoderLayer(norm_first=True, batch_first=True)``, written out so that its
    four dropouts use the cheap ``Dropout`` above (torch's layer draws its own), and so that the
    attention is plain matrix products a student can read. ``last_weights`` keeps the attention
    weights of the last forward pass, (B, heads, T, T).

    Parameters
    ----------
    d_model : int
        The width of a frame.
    n_heads : int
        Attention heads; must divide ``d_model``.
    d_feedforward : int
        The hidden width of the feed-forward block.
    dropout : float
        The dropout probability.

    Raises
    ------
    ValueError
        If ``n_heads`` does not divide ``d_model``.
    """

    def __init__(self, d_model: int, n_heads: int, d_feedforward: int, dropout: float):
        super().__init__()
        if d_model % n_heads:
            raise ValueError(f"d_model {d_model} is not divisible by {n_heads} heads")
        self.n_heads = n_heads
        self.norm1, self.norm2 = nn.LayerNorm(d_model), nn.LayerNorm(d_model)
        self.qkv = nn.Linear(d_model, 3 * d_model)  # queries, keys and values in one product
        self.out = nn.Linear(d_model, d_model)
        self.linear1 = nn.Linear(d_model, d_feedforward)
        self.linear2 = nn.Linear(d_feedforward, d_model)
        self.dropout = Dropout(dropout)
        nn.init.xavier_uniform_(self.qkv.weight)  # as nn.MultiheadAttention initialises them
        nn.init.zeros_(self.qkv.bias)
        nn.init.zeros_(self.out.bias)
        self.last_weights: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """One layer of self-attention and feed-forward, each with its residual connection.

        Parameters
        ----------
        x : torch.Tensor
            (B, T, d_model) frames.

        Returns
        -------
        torch.Tensor
            (B, T, d_model).
        """
        b, t, d = x.shape
        q, k, v = self.qkv(self.norm1(x)).view(b, t, 3, self.n_heads, d // self.n_heads) \
            .permute(2, 0, 3, 1, 4)  # each (B, heads, T, d / heads)
        weights = torch.softmax(q @ k.transpose(-2, -1) / math.sqrt(d // self.n_heads), dim=-1)
        self.last_weights = weights.detach()
        attended = (self.dropout(weights) @ v).transpose(1, 2).reshape(b, t, d)
        x = x + self.dropout(self.out(attended))
        hidden = self.dropout(torch.relu(self.linear1(self.norm2(x))))
        return x + self.dropout(self.linear2(hidden))


class ChannelsLastGrad(torch.autograd.Function):
    """The identity, whose backward pass hands the gradient on in channels_last layout.

    ``EmotionNet.forward`` reads the convolutions' channels_last output in another order
    (``permute``), so the gradient coming back has the strides of neither layout, and the last
    block's ReLU backward was 6 ms a step on such strides against 1.6 ms on channels_last
    (``benchmarks/epoch_profile.py``). The copy changes no value, only the layout.
    """

    @staticmethod
    def forward(ctx, x: torch.Tensor) -> torch.Tensor:
        """The identity.

        Parameters
        ----------
        ctx : torch.autograd.function.FunctionCtx
            autograd's context (unused: nothing is saved).
        x : torch.Tensor
            The convolutions' output, (B, C, T', F').

        Returns
        -------
        torch.Tensor
            ``x``, as a view.
        """
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> torch.Tensor:
        """The gradient unchanged in value, copied into channels_last layout.

        Parameters
        ----------
        ctx : torch.autograd.function.FunctionCtx
            autograd's context (unused).
        grad : torch.Tensor
            The gradient with respect to the output, in the permute's strides.

        Returns
        -------
        torch.Tensor
            The same values in channels_last memory order.
        """
        return grad.contiguous(memory_format=torch.channels_last)


BLOCKS = ("conv-pool-bn-relu", "conv-bn-relu-pool", "strided-conv-bn-relu")


def conv_block(c_in: int, c_out: int, block: str = "conv-pool-bn-relu") -> nn.Sequential:
    """One convolutional block: a 3×3 convolution, BatchNorm and ReLU, halving time and frequency.

    The paper does not fix a block's order, nor how it downsamples. ``block`` is one of:

    - ``"conv-bn-relu-pool"``: 2×2 max-pooling last, the order of our runs before 2026-11-29;
    - ``"conv-pool-bn-relu"``: pooling right after the convolution, so BatchNorm and ReLU work on
      a quarter of the values. ReLU commutes with max-pooling, and so does BatchNorm with a
      positive scale; what changes is that BatchNorm's statistics are those of the pooled values;
    - ``"strided-conv-bn-relu"``: the convolution itself moves in steps of 2 and there is no
      pooling: a quarter of the convolution's arithmetic, and a learned downsampling in place of
      a maximum.

    ``benchmarks/training.py`` times them; ``config.Model.block`` says which one we use and why.
    Notebook: 05_model_build.

    Parameters
    ----------
    c_in, c_out : int
        Input and output channels.
    block : str
        One of ``BLOCKS``.

    Returns
    -------
    torch.nn.Sequential
        (B, c_in, T, F) → (B, c_out, T / 2, F / 2).

    Raises
    ------
    ValueError
        For an unknown block.
    """
    if block == "strided-conv-bn-relu":
        return nn.Sequential(nn.Conv2d(c_in, c_out, 3, stride=2, padding=1, bias=False),
                             nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))
    conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)
    if block == "conv-pool-bn-relu":
        return nn.Sequential(conv, nn.MaxPool2d(2), nn.BatchNorm2d(c_out), nn.ReLU(inplace=True))
    if block == "conv-bn-relu-pool":
        return nn.Sequential(conv, nn.BatchNorm2d(c_out), nn.ReLU(inplace=True), nn.MaxPool2d(2))
    raise ValueError(f"model.block {block!r}: expected one of {', '.join(BLOCKS)}")


def conv_output_size(n: int, cfg: Model) -> int:
    """How many steps of ``n`` (frames or features) the convolutional blocks leave.

    Each block halves, rounding down when it pools (an odd last step is dropped) and up when it
    strides (a stride-2 convolution with padding 1 starts a step at 0, 2, 4, …).

    Parameters
    ----------
    n : int
        Frames (T) or features (F) in.
    cfg : config.Model
        ``conv_channels`` (one block each) and ``block``.

    Returns
    -------
    int
        E.g. 201 frames → 51 after two strided blocks.
    """
    for _ in cfg.conv_channels:
        n = (n + 1) // 2 if cfg.block == "strided-conv-bn-relu" else n // 2
    return n


class EmotionNet(nn.Module):
    """CNN → Transformer encoder → attention pooling → 8 logits. Notebook: 05_model_build.

    Parameters
    ----------
    n_features : int
        F, the width of the input features (64 for log-mel); at least 2 per block.
    cfg : config.Model, optional
        The sizes; default ``get_config().model``.

    Raises
    ------
    ValueError
        If ``n_features`` is too small for the blocks.

    Examples
    --------
    >>> torch.manual_seed(0)  # doctest: +ELLIPSIS
    <torch._C.Generator object at ...>
    >>> net = EmotionNet(n_features=64).eval()
    >>> logits = net(torch.zeros(2, 201, 64))  # 2 clips of T = 201 frames × F = 64 bands
    >>> tuple(logits.shape), tuple(net.last_attention.shape)  # 8 emotions; T' = 51 frames
    ((2, 8), (2, 51))
    >>> parameter_counts(net)["total"]
    109497
    """

    def __init__(self, n_features: int, cfg: Model | None = None):
        super().__init__()
        cfg = cfg or get_config().model
        channels = (1, *cfg.conv_channels)
        self.conv = nn.Sequential(*(conv_block(a, b, cfg.block)
                                    for a, b in zip(channels, channels[1:], strict=False)))
        # channels_last: the layout oneDNN's CPU convolutions and pooling run fastest on (1.25×
        # per training step here); the weights keep it through .to(device) and load_state_dict.
        self.conv.to(memory_format=torch.channels_last)
        reduced = conv_output_size(n_features, cfg)
        if n_features < 2 ** len(cfg.conv_channels):
            raise ValueError(f"{n_features} features are too few for {len(cfg.conv_channels)} "
                             "pooling blocks")
        self.project = nn.Linear(cfg.conv_channels[-1] * reduced, cfg.d_model)
        self.position = PositionalEncoding(cfg.d_model)
        self.encoder = nn.Sequential(*(EncoderLayer(cfg.d_model, cfg.n_heads, 2 * cfg.d_model,
                                                    cfg.dropout) for _ in range(cfg.n_layers)))
        self.pool = AttentionPooling(cfg.d_model)
        self.classify = nn.Sequential(nn.LayerNorm(cfg.d_model), Dropout(cfg.dropout),
                                      nn.Linear(cfg.d_model, cfg.n_classes))
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Features in, logits out; keeps the pooling weights in ``last_attention``.

        Parameters
        ----------
        x : torch.Tensor
            (B, T, F) features.

        Returns
        -------
        torch.Tensor
            (B, n_classes) logits (before the softmax).
        """
        h = x.unsqueeze(1).contiguous(memory_format=torch.channels_last)  # (B, 1, T, F)
        h = self.conv(h)  # (B, C, T', F')
        if h.requires_grad:  # the gradient flows back in the convolutions' own layout
            h = ChannelsLastGrad.apply(h)
        h = h.permute(0, 2, 1, 3).flatten(2)  # (B, T', C·F')
        h = self.encoder(self.position(self.project(h)))
        pooled, self.last_attention = self.pool(h)
        return self.classify(pooled)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Trainable parameters per top-level block, and the total. Notebook: 05_model_build.

    Parameters
    ----------
    model : torch.nn.Module
        Any model.

    Returns
    -------
    dict of str to int
        One entry per child module (``conv``, ``project``, …) and "total".
    """
    counts = {name: sum(p.numel() for p in block.parameters() if p.requires_grad)
              for name, block in model.named_children()}
    return counts | {"total": sum(counts.values())}


def flops_per_clip(model: nn.Module, n_frames: int, n_features: int) -> int:
    """Floating-point operations of one forward pass on one clip, encoder included
    (``flops_by_block``'s total). Notebook: 05_model_build.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    n_frames, n_features : int
        T and F of a clip.

    Returns
    -------
    int
    """
    return flops_by_block(model, n_frames, n_features)["total"]


def _shapes(value):
    """The shape of a tensor, or the shapes of the tensors in a tuple (None entries skipped)."""
    if isinstance(value, torch.Tensor):
        return tuple(value.shape)
    if isinstance(value, (tuple, list)):
        shapes = [_shapes(v) for v in value if v is not None]
        shapes = [s for s in shapes if s is not None]
        return shapes[0] if len(shapes) == 1 else tuple(shapes) if shapes else None
    return None


def shape_trace(model: nn.Module, x: torch.Tensor, max_depth: int | None = None):
    """Every submodule in the order it runs on ``x``, with its input and output shapes.

    Steps that are not modules (``unsqueeze``, ``permute``/``flatten`` in ``EmotionNet.forward``)
    show up as a change of shape between one row's output and the next row's input. The pass
    runs in eval mode without autograd (so dropout and BatchNorm leave no trace); the model's
    mode is restored afterwards and its weights are not changed.
    Notebook: 05_model_build.

    Parameters
    ----------
    model : torch.nn.Module
        The model.
    x : torch.Tensor
        An input batch, e.g. (B, T, F).
    max_depth : int, optional
        Keep only the rows down to this depth (1 = the top-level blocks).

    Returns
    -------
    pandas.DataFrame
        One row per call: ``layer`` (qualified name, e.g. ``conv.0.0``), ``type``, ``depth``,
        ``input`` and ``output`` (shape tuples; a module that returns several tensors, such as
        attention pooling, gives a tuple of shapes) and ``parameters`` (trainable, including the
        module's children).
    """
    import pandas as pd

    rows, handles, calls = [], [], {}

    def before(name, module):
        def hook(_module, args, kwargs):
            first = args[0] if args else next((v for v in kwargs.values()
                                                if isinstance(v, torch.Tensor)), None)
            calls.setdefault(id(_module), []).append(len(rows))
            rows.append({"layer": name, "type": type(module).__name__,
                         "depth": name.count(".") + 1, "input": _shapes(first), "output": None,
                         "parameters": sum(p.numel() for p in module.parameters()
                                           if p.requires_grad)})
        return hook

    def after(_module, _args, output):
        rows[calls[id(_module)].pop()]["output"] = _shapes(output)

    for name, module in model.named_modules():
        if not name or (max_depth is not None and name.count(".") + 1 > max_depth):
            continue
        handles.append(module.register_forward_pre_hook(before(name, module), with_kwargs=True))
        handles.append(module.register_forward_hook(after))
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return pd.DataFrame(rows, columns=["layer", "type", "depth", "input", "output",
                                       "parameters"])


def flops_by_block(model: nn.Module, n_frames: int, n_features: int) -> dict[str, int]:
    """FLOPs of one forward pass on one clip, per top-level block and in total.

    Every matrix product is counted, a multiply–add as 2 FLOPs (torch's FLOP counter), the
    attention's included; elementwise work (norms, activations, softmax, dropout) is not.
    Notebook: 05_model_build.

    Parameters
    ----------
    model : torch.nn.Module
        The model (its mode is restored afterwards).
    n_frames, n_features : int
        T and F of a clip.

    Returns
    -------
    dict of str to int
        One entry per child module, "other" for ops outside any (only if there are some), and
        "total".
    """
    from torch.utils.flop_counter import FlopCounterMode

    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter, torch.no_grad():
            model(torch.zeros(1, n_frames, n_features))
    finally:
        model.train(was_training)
    counts, root = counter.get_flop_counts(), type(model).__name__
    blocks = {name: int(sum(counts.get(f"{root}.{name}", {}).values()))
              for name, _ in model.named_children()}
    total = int(counter.get_total_flops())
    if other := total - sum(blocks.values()):
        blocks["other"] = other
    return blocks | {"total": total}
