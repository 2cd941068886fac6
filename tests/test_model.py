import dataclasses

import pytest
import torch

from bcser_utils import config, model

CFG = config.get_config().model
T, F = 201, 64


def test_output_shape_and_attention_over_time():
    net = model.EmotionNet(F).eval()
    logits = net(torch.randn(5, T, F))
    assert logits.shape == (5, 8)
    weights = net.last_attention
    assert weights.shape == (5, T // 2 ** len(CFG.conv_channels))
    torch.testing.assert_close(weights.sum(dim=1), torch.ones(5))
    assert (weights >= 0).all()


def test_attention_pooling_weights_follow_the_scores():
    pool = model.AttentionPooling(4)
    x = torch.zeros(1, 3, 4)
    x[0, 1] = 10.0  # one distinctive frame
    torch.nn.init.zeros_(pool.score[0].weight)
    pooled, weights = pool(x)
    torch.testing.assert_close(weights, torch.full((1, 3), 1 / 3))  # equal scores: plain mean
    torch.testing.assert_close(pooled, x.mean(dim=1))


def test_positional_encoding_distinguishes_positions():
    table = model.PositionalEncoding(16)(torch.zeros(1, 50, 16))[0]
    distances = torch.cdist(table, table) + torch.eye(50)
    assert distances.min() > 0.1


def test_parameter_counts_add_up_and_flops_are_counted():
    net = model.EmotionNet(F)
    counts = model.parameter_counts(net)
    assert counts["total"] == sum(p.numel() for p in net.parameters())
    assert counts["total"] < 500_000  # small enough for two CPU cores (DESIGN.md §6)
    assert model.flops_per_clip(net, T, F) > 10 * counts["total"]


def test_same_seed_same_output():
    x = torch.randn(2, T, F)
    outputs = []
    for _ in range(2):
        torch.manual_seed(7)
        outputs.append(model.EmotionNet(F).eval()(x))
    torch.testing.assert_close(outputs[0], outputs[1], rtol=0, atol=0)


def test_overfits_a_tiny_batch():
    torch.manual_seed(0)
    small = dataclasses.replace(CFG, dropout=0.0)
    net = model.EmotionNet(F, small)
    x, y = torch.randn(16, T, F), torch.arange(16) % 8
    optimizer = torch.optim.Adam(net.parameters(), lr=3e-3)
    for _ in range(60):
        loss = torch.nn.functional.cross_entropy(net(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.05
    assert (net(x).argmax(1) == y).all()  # train mode: BatchNorm uses this batch's statistics


def test_too_few_features_for_the_pooling_is_a_clear_error():
    with pytest.raises(ValueError, match="3 features are too few"):
        model.EmotionNet(3)
