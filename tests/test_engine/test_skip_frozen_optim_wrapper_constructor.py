# Copyright (c) mmzs3 contributors. All rights reserved.
"""Frozen CLIP towers leave the optimizer without a warning per parameter."""
import glob
import os.path as osp

import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from mmzs3.engine.optimizers import (SkipFrozenOptimWrapperConstructor,
                                     is_frozen)
from ..test_models.test_segmentors.test_zegformer_runner import _runner_cfg

PER_PARAMETER = 'is skipped since its requires_grad=False'


def _net() -> nn.Module:
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2),
                        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))
    net[2].requires_grad_(False)
    return net


def test_is_frozen():
    net = _net()
    assert is_frozen(net[2]) and is_frozen(net[2][0])
    assert not is_frozen(net) and not is_frozen(net[0])
    assert not is_frozen(nn.ReLU())  # no parameters: nothing to leave out


def test_same_groups_as_mmengine_without_the_frozen_ones():
    init_default_scope('mmseg')
    net = _net()
    cfg = dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
               paramwise_cfg=dict(norm_decay_mult=0.0))
    groups = SkipFrozenOptimWrapperConstructor(cfg)(net).optimizer.param_groups
    # Linear weight and bias, BN weight and bias (no decay); the frozen
    # Sequential's four parameters are not there
    assert [g['params'][0] for g in groups] == [
        net[0].weight, net[0].bias, net[1].weight, net[1].bias
    ]
    assert [g['weight_decay'] for g in groups] == [1e-4, 1e-4, 0.0, 0.0]


@pytest.mark.parametrize('constructor,per_parameter_lines', [
    ('DefaultOptimWrapperConstructor', True),  # mmengine's: the noise
    ('SkipFrozenOptimWrapperConstructor', False),
])
def test_training_log(tiny_seg_dataset, tmp_path, constructor,
                      per_parameter_lines):
    work_dir = str(tmp_path / 'work')
    cfg = _runner_cfg(
        tiny_seg_dataset, work_dir, log_level='INFO',
        optim_wrapper=dict(
            constructor=constructor,
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
            paramwise_cfg=dict(norm_decay_mult=0.0)))
    runner = Runner.from_cfg(cfg)
    runner.train()
    frozen = [n for n, p in runner.model.named_parameters()
              if not p.requires_grad]
    assert frozen and all(n.startswith('text_encoder.') for n in frozen)
    trained = {id(p) for g in runner.optim_wrapper.param_groups
               for p in g['params']}
    assert trained == {id(p) for p in runner.model.parameters()
                       if p.requires_grad}
    log_file, = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    assert (log.count(PER_PARAMETER) == len(frozen)) == per_parameter_lines
    if not per_parameter_lines:
        assert PER_PARAMETER not in log
        assert (f'left {len(frozen)} frozen parameters out of the '
                'optimizer: text_encoder') in log
