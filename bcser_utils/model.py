"""The attention CNN–Transformer of the paper, sized to train on two CPU cores.

    (B, T, F) features
      → convolutional blocks over (T, F): local spectral detail; each halves T and F
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

from .config import Model, get_config


class PositionalEncoding(nn.Module):
    """The sinusoidal encoding of Vaswani et al. (2017), added to every frame."""

    def __init__(self, d_model: int, max_len: int = 4096):
        super().__init__()
        position = torch.arange(max_len).unsqueeze(1)
        rate = torch.exp(torch.arange(0, d_model, 2) * (-math.log(10_000.0) / d_model))
        table = torch.zeros(max_len, d_model)
        table[:, 0::2], table[:, 1::2] = torch.sin(position * rate), torch.cos(position * rate)
        self.register_buffer("table", table, persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x + self.table[: x.shape[1]]


class AttentionPooling(nn.Module):
    """Score each frame, softmax the scores over time, return the weighted mean and the weights."""

    def __init__(self, d_model: int):
        super().__init__()
        self.score = nn.Sequential(nn.Linear(d_model, d_model), nn.Tanh(), nn.Linear(d_model, 1))

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        weights = torch.softmax(self.score(x).squeeze(-1), dim=1)  # (B, T)
        return (weights.unsqueeze(-1) * x).sum(dim=1), weights


def conv_block(c_in: int, c_out: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(c_in, c_out, 3, padding=1, bias=False), nn.BatchNorm2d(c_out),
                         nn.ReLU(inplace=True), nn.MaxPool2d(2))


class EmotionNet(nn.Module):
    """CNN → Transformer encoder → attention pooling → 8 logits. Notebook: 05_model_build."""

    def __init__(self, n_features: int, cfg: Model | None = None):
        super().__init__()
        cfg = cfg or get_config().model
        channels = (1, *cfg.conv_channels)
        self.conv = nn.Sequential(*(conv_block(a, b) for a, b in zip(channels, channels[1:],
                                                                       strict=False)))
        reduced = n_features // 2 ** len(cfg.conv_channels)
        if reduced < 1:
            raise ValueError(f"{n_features} features are too few for {len(cfg.conv_channels)} "
                             "pooling blocks")
        self.project = nn.Linear(cfg.conv_channels[-1] * reduced, cfg.d_model)
        self.position = PositionalEncoding(cfg.d_model)
        layer = nn.TransformerEncoderLayer(cfg.d_model, cfg.n_heads, 2 * cfg.d_model,
                                           cfg.dropout, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, cfg.n_layers, enable_nested_tensor=False)
        self.pool = AttentionPooling(cfg.d_model)
        self.classify = nn.Sequential(nn.LayerNorm(cfg.d_model), nn.Dropout(cfg.dropout),
                                      nn.Linear(cfg.d_model, cfg.n_classes))
        self.last_attention: torch.Tensor | None = None

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """x: (B, T, F) features → (B, n_classes) logits."""
        h = self.conv(x.unsqueeze(1))  # (B, C, T', F')
        h = h.permute(0, 2, 1, 3).flatten(2)  # (B, T', C·F')
        h = self.encoder(self.position(self.project(h)))
        pooled, self.last_attention = self.pool(h)
        return self.classify(pooled)


def parameter_counts(model: nn.Module) -> dict[str, int]:
    """Trainable parameters per top-level block, and the total. Notebook: 05_model_build."""
    counts = {name: sum(p.numel() for p in block.parameters() if p.requires_grad)
              for name, block in model.named_children()}
    return counts | {"total": sum(counts.values())}


def flops_per_clip(model: nn.Module, n_frames: int, n_features: int) -> int:
    """Floating-point operations of one forward pass on one clip, encoder included
    (``flops_by_block``'s total). Notebook: 05_model_build."""
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

    Returns a pandas DataFrame, one row per call: ``layer`` (qualified name, e.g. ``conv.0.0``),
    ``type``, ``depth`` (1 = a top-level block), ``input`` and ``output`` (shape tuples; a module
    that returns several tensors, such as attention pooling, gives a tuple of shapes) and
    ``parameters`` (trainable, including the module's children). ``max_depth`` keeps only the
    rows down to that depth. Steps that are not modules (``unsqueeze``, ``permute``/``flatten``
    in ``EmotionNet.forward``) show up as a change of shape between one row's output and the
    next row's input.

    The pass runs in eval mode with autograd on, so PyTorch's fused Transformer "fast path"
    (which would skip the encoder's sublayers, and their hooks) is not taken; the model's mode
    is restored afterwards and its weights are not changed. Notebook: 05_model_build.
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
        with torch.enable_grad():
            model(x)
    finally:
        model.train(was_training)
        for handle in handles:
            handle.remove()
    return pd.DataFrame(rows, columns=["layer", "type", "depth", "input", "output",
                                       "parameters"])


def flops_by_block(model: nn.Module, n_frames: int, n_features: int) -> dict[str, int]:
    """FLOPs of one forward pass on one clip, per top-level block and in total.

    Every matrix product is counted, a multiply–add as 2 FLOPs (torch's FLOP counter), including
    the Transformer encoder: in eval mode without autograd, PyTorch runs each encoder layer as
    one fused kernel that the counter does not see, and its attention products as a fused
    ``scaled_dot_product_attention``, so here the pass runs with autograd on and the plain
    ("math") attention kernel. Elementwise work (norms, activations, softmax) is not counted.
    Ops outside any block would appear as ``other``. Notebook: 05_model_build.
    """
    from contextlib import nullcontext

    from torch.utils.flop_counter import FlopCounterMode

    try:
        from torch.nn.attention import SDPBackend, sdpa_kernel

        math_attention = sdpa_kernel(SDPBackend.MATH)
    except ImportError:  # torch < 2.3: attention always runs as plain matrix products
        math_attention = nullcontext()
    was_training = model.training
    model.eval()
    try:
        with FlopCounterMode(display=False) as counter, torch.enable_grad(), math_attention:
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
