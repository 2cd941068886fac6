import dataclasses

import pytest
import torch

from bcser_utils import config
from bcser_utils.learn import model

CFG = config.get_config().model
T, F = 201, 64


def test_output_shape_and_attention_over_time():
    net = model.EmotionNet(F).eval()
    logits = net(torch.randn(5, T, F))
    assert logits.shape == (5, 8)
    weights = net.last_attention
    assert weights.shape == (5, model.conv_output_size(T, CFG))
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
    assert counts["total"] < 500_000  # small enough for two CPU cores (docs/design.md, Targets)
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


def test_shape_trace_follows_every_layer_in_order():
    net = model.EmotionNet(F).train()
    before = {k: v.clone() for k, v in net.state_dict().items()}
    trace = model.shape_trace(net, torch.zeros(1, T, F))
    by_layer = trace.set_index("layer")
    c1, c2 = CFG.conv_channels
    assert CFG.block == "strided-conv-bn-relu"  # the default: each convolution halves (rounding up)
    t1, f1, t2, f2 = (T + 1) // 2, F // 2, (T + 3) // 4, F // 4
    assert by_layer.loc["conv", "input"] == (1, 1, T, F)  # the unsqueeze before the convolutions
    assert by_layer.loc["conv.0.0", "output"] == (1, c1, t1, f1)
    assert by_layer.loc["conv.0", "output"] == (1, c1, t1, f1)
    assert by_layer.loc["project", "input"] == (1, t2, c2 * f2)  # permute + flatten
    assert by_layer.loc["encoder.0.qkv", "output"] == (1, t2, 3 * CFG.d_model)
    assert by_layer.loc["encoder.1.linear1", "output"] == (1, t2, 2 * CFG.d_model)
    assert by_layer.loc["pool", "output"] == ((1, CFG.d_model), (1, t2))
    assert by_layer.loc["classify", "output"] == (1, CFG.n_classes)
    top = trace[trace.depth == 1]
    assert list(top.layer) == ["conv", "project", "position", "encoder", "pool", "classify"]
    assert dict(zip(top.layer, top.parameters, strict=True)) == {
        k: v for k, v in model.parameter_counts(net).items() if k != "total"}
    assert list(model.shape_trace(net, torch.zeros(2, T, F), max_depth=1).layer) == \
        list(top.layer)
    assert net.training  # mode restored, weights untouched, no hook left behind
    for key, value in net.state_dict().items():
        torch.testing.assert_close(value, before[key], rtol=0, atol=0)
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in net.modules())


def test_flops_by_block_matches_a_count_by_hand():
    net = model.EmotionNet(F)
    blocks = model.flops_by_block(net, T, F)
    c, d = (1, *CFG.conv_channels), CFG.d_model
    sizes = [(T, F)]  # each stride-2 convolution halves time and frequency, rounding up
    for _ in CFG.conv_channels:
        sizes.append(((sizes[-1][0] + 1) // 2, (sizes[-1][1] + 1) // 2))
    t2 = sizes[-1][0]
    conv = sum(2 * 9 * c[i] * c[i + 1] * sizes[i + 1][0] * sizes[i + 1][1]  # per output step
               for i in range(len(c) - 1))
    layer = 2 * t2 * d * (3 * d + d + 2 * d + 2 * d) + 2 * 2 * t2 * t2 * d  # linears + QKᵀ and AV
    expected = {"conv": conv, "project": 2 * t2 * c[-1] * (F // 2 ** (len(c) - 1)) * d,
                "position": 0, "encoder": CFG.n_layers * layer,
                "pool": 2 * t2 * d * d + 2 * t2 * d, "classify": 2 * d * CFG.n_classes}
    assert blocks == expected | {"total": sum(expected.values())}
    assert blocks["total"] >= model.flops_per_clip(net, T, F)
    assert net.training


def test_our_encoder_layer_computes_what_torchs_does():
    torch.manual_seed(0)
    d, heads = 16, 4
    ours = model.EncoderLayer(d, heads, 2 * d, dropout=0.1).eval()
    theirs = torch.nn.TransformerEncoderLayer(d, heads, 2 * d, 0.1, batch_first=True,
                                              norm_first=True).eval()
    with torch.no_grad():
        theirs.self_attn.in_proj_weight.copy_(ours.qkv.weight)
        theirs.self_attn.in_proj_bias.copy_(ours.qkv.bias)
        theirs.self_attn.out_proj.load_state_dict(ours.out.state_dict())
        for name in ("norm1", "norm2", "linear1", "linear2"):
            getattr(theirs, name).load_state_dict(getattr(ours, name).state_dict())
        x = torch.randn(3, 7, d)
        torch.testing.assert_close(ours(x), theirs(x), rtol=1e-5, atol=1e-5)
    assert ours.last_weights.shape == (3, heads, 7, 7)
    torch.testing.assert_close(ours.last_weights.sum(-1), torch.ones(3, heads, 7))


def test_dropout_drops_a_fraction_p_keeps_the_mean_and_is_seeded():
    drop = model.Dropout(0.1).train()
    x = torch.ones(200_000, 5)
    torch.manual_seed(3)
    y = drop(x)
    dropped = (y == 0).float().mean().item()
    assert dropped == pytest.approx(0.1, abs=0.003)  # 1e6 values: σ ≈ 0.0003
    assert y.mean().item() == pytest.approx(1.0, abs=0.005)  # kept values are scaled up
    torch.testing.assert_close(y.unique(), torch.tensor([0.0, 1 / (1 - 6554 / 65536)]))
    torch.manual_seed(3)
    torch.testing.assert_close(drop(x), y, rtol=0, atol=0)  # same seed, same mask
    columns = (y == 0).float().mean(0)  # every position is dropped alike: no bias by position
    assert (columns - 0.1).abs().max() < 0.005
    x.requires_grad_(True)
    drop(x).sum().backward()
    assert ((x.grad == 0) | (x.grad == y.max())).all()  # the gradient goes through the mask
    assert torch.equal(drop.eval()(x), x)  # evaluation: identity
    assert torch.equal(model.Dropout(0.0).train()(x), x)
    with pytest.raises(ValueError, match="outside"):
        model.Dropout(1.0)


def test_every_block_halves_time_and_frequency_and_a_bad_one_is_refused():
    for block in model.BLOCKS:
        net = model.EmotionNet(F, dataclasses.replace(CFG, block=block)).eval()
        assert net(torch.randn(2, T, F)).shape == (2, 8)
        assert net.last_attention.shape == (2, T // 4 + (block == "strided-conv-bn-relu"))
        assert model.conv_output_size(T, net_cfg := dataclasses.replace(CFG, block=block)) == \
            net.last_attention.shape[1]
        odd = model.EmotionNet(67, net_cfg)  # an odd width, e.g. log-mel + prosody
        assert odd.project.in_features == CFG.conv_channels[-1] * model.conv_output_size(67,
                                                                                        net_cfg)
        assert odd(torch.randn(1, T, 67)).shape == (1, 8)
    with pytest.raises(ValueError, match="model.block 'pool'"):
        model.conv_block(1, 4, "pool")
