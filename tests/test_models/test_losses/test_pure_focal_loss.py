# Copyright (c) mmzs3 contributors. All rights reserved.
import math
import warnings

import mmdet.models.losses.focal_loss as mmdet_focal
import pytest
import torch
from mmdet.registry import MODELS as MMDET_MODELS
from mmengine.registry import init_default_scope

from mmzs3.models.losses import PureFocalLoss
from mmzs3.models.losses.pure_focal_loss import index_to_one_hot
from mmzs3.registry import MODELS


def test_pure_focal_loss_matches_mmdet_and_never_uses_mmcv(monkeypatch):
    calls = []
    original = mmdet_focal.py_sigmoid_focal_loss

    def spy(pred, target, *args, **kwargs):
        calls.append(target.dim())
        return original(pred, target, *args, **kwargs)

    monkeypatch.setattr(mmdet_focal, 'py_sigmoid_focal_loss', spy)
    monkeypatch.setattr(mmdet_focal, 'sigmoid_focal_loss', None)
    loss = PureFocalLoss(loss_weight=20.0)
    pred = torch.tensor([[0.0], [2.0], [-1.0]])
    target = torch.tensor([0, 1, 1])  # index 0 = foreground (C = 1)
    # sigmoid focal loss, alpha 0.25, gamma 2, summed / avg_factor
    p = torch.sigmoid(pred[:, 0])
    expected = (0.25 * (1 - p[0])**2 * -torch.log(p[0]) +
                0.75 * p[1]**2 * -torch.log(1 - p[1]) +
                0.75 * p[2]**2 * -torch.log(1 - p[2])) / 3 * 20
    torch.testing.assert_close(loss(pred, target, avg_factor=3), expected)
    assert calls == [2]  # one-hot targets: mmdet's pure-PyTorch path
    # hand number: logit 0 on foreground, 20 * 0.25 * 0.5^2 * ln 2
    single = loss(torch.zeros(1, 1), torch.tensor([0]))
    assert single.item() == pytest.approx(20 * 0.25 * 0.25 * math.log(2))


def test_index_to_one_hot_drops_the_background_index():
    # C = 3: indices 0..2 are classes, 3 is background (an all-zero row)
    one_hot = index_to_one_hot(torch.tensor([2, 0, 3, 1]), 3)
    assert one_hot.tolist() == [[0, 0, 1], [1, 0, 0], [0, 0, 0], [0, 1, 0]]


def test_registered_in_the_mmzs3_scope_and_reached_from_mmdet():
    init_default_scope('mmseg')
    with warnings.catch_warnings():
        warnings.simplefilter('error')  # the new name does not warn
        loss = MMDET_MODELS.build(
            dict(type='mmzs3.PureFocalLoss', loss_weight=20.0))
    assert type(loss) is PureFocalLoss and loss.loss_weight == 20.0


def test_old_mmseg_name_still_builds_with_a_future_warning():
    init_default_scope('mmseg')
    for registry in (MODELS, MMDET_MODELS):  # a head's losses: mmdet's
        with pytest.warns(FutureWarning, match='mmzs3.PureFocalLoss'):
            loss = registry.build(
                dict(type='mmseg.PureFocalLoss', gamma=1.5))
        assert type(loss) is PureFocalLoss and loss.gamma == 1.5
