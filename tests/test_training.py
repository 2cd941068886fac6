import math

import numpy as np
import pytest
import torch

from bcser_utils import config
from bcser_utils.learn import training
from bcser_utils.learn.model import EmotionNet

CFG = config.get_config("quick")


def test_class_weights_for_the_ravdess_counts():
    labels = np.repeat(np.arange(8), [96, 192, 192, 192, 192, 192, 192, 192])  # 1,440 files
    weights = training.class_weights(labels)
    torch.testing.assert_close(weights, torch.tensor([1.875] + [0.9375] * 7))
    assert weights.dtype == torch.float32


def test_smoothed_weighted_loss_matches_a_hand_computation():
    logits = torch.tensor([[2.0, 0.5, -1.0], [0.1, 0.2, 0.3]])
    target = torch.tensor([0, 2])
    weights = torch.tensor([2.0, 1.0, 0.5])
    eps, k = 0.1, 3
    log_p = torch.log_softmax(logits, 1)
    per_sample = []
    for i, t in enumerate(target):
        smoothed = torch.full((k,), eps / k)
        smoothed[t] += 1 - eps
        per_sample.append(-(weights * smoothed * log_p[i]).sum())  # PyTorch weights each term
    expected = sum(per_sample) / weights[target].sum()
    got = training.make_loss(weights, eps)(logits, target)
    torch.testing.assert_close(got, expected)


def test_the_smoothing_floor_is_the_entropy_of_the_smoothed_target():
    floor = training.smoothing_floor(8, 0.1)
    assert floor == pytest.approx(0.4670, abs=1e-4)
    # The minimum is reached by predicting the smoothed target itself; certainty costs more.
    certain = torch.full((1, 8), -20.0)
    certain[0, 3] = 20.0
    smoothed = torch.full((1, 8), 0.1 / 8)
    smoothed[0, 3] += 0.9
    at_target = training.make_loss(None, 0.1)(smoothed.log(), torch.tensor([3]))
    assert at_target.item() == pytest.approx(floor, abs=1e-5)
    assert training.make_loss(None, 0.1)(certain, torch.tensor([3])).item() > 2 * floor


def test_the_smoothing_floor_without_smoothing_is_zero():
    assert training.smoothing_floor(8, 0.0) == 0.0
    assert training.smoothing_floor(8, 1.0) == pytest.approx(math.log(8))  # uniform target


def test_early_stopping_on_a_scripted_loss_sequence():
    stopper = training.EarlyStopping(patience=5)
    losses = [1.0, 0.8, 0.7, 0.75, 0.72, 0.71, 0.9, 0.7, 0.74, 0.8]
    stopped_at = None
    for epoch, loss in enumerate(losses, start=1):
        stopper.step(epoch, loss)
        if stopper.should_stop:
            stopped_at = epoch
            break
    assert (stopper.best_epoch, stopper.best_loss, stopped_at) == (3, 0.7, 8)


class Toy:
    """A tiny learnable dataset: the class is where a bump sits in time."""

    def __init__(self, n, seed, fail_at=None):
        g = torch.Generator().manual_seed(seed)
        self.labels = np.arange(n) % 8
        self.x = torch.randn(n, 32, 16, generator=g) * 0.3
        for i, label in enumerate(self.labels):
            self.x[i, 4 * label: 4 * label + 4] += 2.0
        self.fail_at = fail_at

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, i):
        if self.fail_at is not None and self.fail_at[0] == 0:
            raise KeyboardInterrupt
        if self.fail_at is not None:
            self.fail_at[0] -= 1
        return self.x[i], int(self.labels[i])


def small_cfg(**changes):
    # one pass per epoch (quick mode makes 3): the tests count items epoch by epoch
    return config.dataclasses.replace(CFG.training, batch_size=16, epoch_repeats=1, **changes)


def make_model():
    torch.manual_seed(0)
    return EmotionNet(16)


def test_training_learns_and_restores_the_best_weights(tmp_path):
    result = training.fit(make_model(), Toy(128, 0), Toy(64, 1), small_cfg(), max_epochs=6,
                          progress=False, device=torch.device("cpu"))
    h = result.history
    assert h.train_loss[-1] < h.train_loss[0] and max(h.val_accuracy) > 0.5
    assert result.best_epoch == 1 + int(np.argmin(h.val_loss))
    val = Toy(64, 1)
    with torch.no_grad():
        logits = result.model.eval()(val.x)
    loss = training.make_loss(torch.tensor(result.class_weights), 0.1)(
        logits, torch.tensor(val.labels)).item()
    assert loss == pytest.approx(min(h.val_loss), rel=1e-4)  # the best epoch's weights are back


def test_interrupted_and_resumed_training_ends_with_the_same_weights(tmp_path):
    cfg = small_cfg()
    whole = training.fit(make_model(), Toy(96, 0), Toy(32, 1), cfg, max_epochs=4, seed=3,
                         progress=False, device=torch.device("cpu"))
    checkpoint = tmp_path / "run.pt"
    broken = Toy(96, 0, fail_at=[96 * 2 + 40])  # dies during epoch 3
    with pytest.raises(KeyboardInterrupt):
        training.fit(make_model(), broken, Toy(32, 1), cfg, max_epochs=4, seed=3,
                     checkpoint=checkpoint, progress=False, device=torch.device("cpu"))
    assert torch.load(checkpoint, weights_only=True)["epoch"] == 2
    resumed = training.fit(make_model(), Toy(96, 0), Toy(32, 1), cfg, max_epochs=4, seed=3,
                           checkpoint=checkpoint, progress=False, device=torch.device("cpu"))
    for key, value in whole.model.state_dict().items():
        torch.testing.assert_close(resumed.model.state_dict()[key], value, rtol=0, atol=0)
    assert resumed.history.val_loss == whole.history.val_loss


def test_device_is_picked_in_order():
    device = training.pick_device()
    expected = "cuda" if torch.cuda.is_available() else None
    assert device.type == (expected or device.type) and device.type in ("cuda", "mps", "cpu")
    assert math.isfinite(training.smoothing_floor())


def test_class_weight_none_weighs_every_class_alike_and_bad_values_are_refused():
    cfg = config.dataclasses.replace(small_cfg(), class_weight="none")
    result = training.fit(make_model(), Toy(64, 0), Toy(32, 1), cfg, max_epochs=1,
                          progress=False, device=torch.device("cpu"))
    assert result.class_weights == [1.0] * 8
    with pytest.raises(ValueError, match="class_weight"):
        training.fit(make_model(), Toy(64, 0), Toy(32, 1),
                     config.dataclasses.replace(small_cfg(), class_weight="inverse"),
                     max_epochs=1, progress=False)


def test_batches_read_whole_batches_when_the_dataset_can_and_items_otherwise():
    class Batched(Toy):
        def batch(self, indices):
            self.calls += 1
            return self.x[indices], torch.as_tensor(self.labels[indices])

    data = Batched(20, 0)
    data.calls = 0
    sampler = [[3, 1, 4], [15, 9]]
    for (x, y), (x2, y2), indices in zip(training.batches(data, sampler),
                                         training.batches(Toy(20, 0), sampler), sampler,
                                         strict=True):
        torch.testing.assert_close(x, x2, rtol=0, atol=0)
        assert y.tolist() == y2.tolist() == [int(data.labels[i]) for i in indices]
    assert data.calls == 2


def test_the_epoch_loss_does_not_depend_on_the_batch_size():
    torch.manual_seed(0)
    net = EmotionNet(16).eval()
    val = Toy(48, 1)
    weights = torch.linspace(0.5, 2.0, 8)
    loss_fn = training.make_loss(weights, 0.1)
    cpu = torch.device("cpu")
    losses = [training._run_epoch(net, training.batches(val, training.GlobalBatches(48, size)),
                                  loss_fn, weights, cpu)
              for size in (5, 16, 48)]
    with torch.no_grad():
        whole = loss_fn(net(val.x), torch.as_tensor(val.labels)).item()
    for loss, accuracy in losses:
        assert loss == pytest.approx(whole, rel=1e-5)  # Σ w·ℓ / Σ w over all clips
        assert accuracy == losses[0][1]


def test_spec_augment_masks_whole_frames_and_bands_within_their_limits():
    torch.manual_seed(0)
    x = torch.ones(64, 201, 64)
    y = training.spec_augment(x, max_time=20, max_bands=8, n_masks=2)
    assert set(y.unique().tolist()) <= {0.0, 1.0} and torch.equal(x, torch.ones(64, 201, 64))
    for clip in y:
        zero = clip == 0
        frames = zero.all(1)  # a time mask zeroes whole frames
        bands = zero.all(0)
        assert frames.sum() <= 40 and bands.sum() <= 16
        assert torch.equal(zero, frames[:, None] | bands[None, :])  # nothing else is touched
    assert (y == 0).any(2).any(1).float().mean() > 0.8  # most clips lose something
    torch.manual_seed(0)
    assert torch.equal(training.spec_augment(x), y)  # seeded


def test_mixup_blends_pairs_of_clips_with_one_lambda():
    torch.manual_seed(1)
    x = torch.arange(8.0).view(8, 1, 1).expand(8, 3, 2).clone()
    mixed, partner, lam = training.mixup(x, 0.4)
    assert 0 <= lam <= 1 and sorted(partner.tolist()) == list(range(8))
    torch.testing.assert_close(mixed, lam * x + (1 - lam) * x[partner])


def test_recipe_options_train_and_resume_like_the_plain_recipe(tmp_path):
    cfg = small_cfg(weight_decay=1e-3, lr_schedule="plateau", spec_augment=True, mixup_alpha=0.2)
    whole = training.fit(make_model(), Toy(96, 0), Toy(32, 1), cfg, max_epochs=4, seed=3,
                         progress=False, device=torch.device("cpu"))
    assert whole.history.train_loss[-1] < whole.history.train_loss[0]
    checkpoint = tmp_path / "run.pt"
    with pytest.raises(KeyboardInterrupt):
        training.fit(make_model(), Toy(96, 0, fail_at=[96 * 2 + 40]), Toy(32, 1), cfg,
                     max_epochs=4, seed=3, checkpoint=checkpoint, progress=False,
                     device=torch.device("cpu"))
    resumed = training.fit(make_model(), Toy(96, 0), Toy(32, 1), cfg, max_epochs=4, seed=3,
                           checkpoint=checkpoint, progress=False, device=torch.device("cpu"))
    assert resumed.history.val_loss == whole.history.val_loss  # schedule and masks resume too
    with pytest.raises(ValueError, match="lr_schedule 'cosine'"):
        training.fit(make_model(), Toy(32, 0), Toy(16, 1), small_cfg(lr_schedule="cosine"),
                     max_epochs=1, progress=False)


def test_repeats_pass_over_every_item_that_many_times_per_epoch():
    order = torch.Generator().manual_seed(0)
    batches = list(training.GlobalBatches(10, 4, order, repeats=3))
    seen = sorted(i for batch in batches for i in batch)
    assert seen == sorted(list(range(10)) * 3) and len(batches) == 8
    assert len(training.GlobalBatches(10, 4, repeats=3)) == 8
    assert list(training.GlobalBatches(5, 5)) == [[0, 1, 2, 3, 4]]  # no generator: in order


def test_a_refit_without_validation_trains_every_epoch_and_keeps_the_last():
    empty = Toy(8, 1)
    empty.labels, empty.x = empty.labels[:0], empty.x[:0]
    result = training.fit(make_model(), Toy(64, 0), empty, small_cfg(), max_epochs=3,
                          progress=False, device=torch.device("cpu"))
    assert result.best_epoch == result.stopped_epoch == 3 and not result.early_stopped
    assert all(math.isnan(v) for v in result.history.val_loss)
    assert result.history.train_loss[-1] < result.history.train_loss[0]
