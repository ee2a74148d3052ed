# Copyright (c) mmzs3 contributors. All rights reserved.
"""Frozen CLIP towers leave the optimizer without a warning per parameter."""
import glob
import os.path as osp
import re

import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from mmzs3.engine.optimizers import (SkipFrozenOptimWrapperConstructor,
                                     frozen_parts, is_frozen)
from ..test_models.test_segmentors.test_zegformer_runner import _runner_cfg

PER_PARAMETER = 'is skipped since its requires_grad=False'


def _net() -> nn.Module:
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2),
                        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))
    net[2].requires_grad_(False)
    net[0].bias.requires_grad_(False)  # frozen inside a trained module
    return net


def test_is_frozen():
    net = _net()
    assert is_frozen(net[2]) and is_frozen(net[2][0])
    assert not is_frozen(net) and not is_frozen(net[0])
    assert not is_frozen(nn.ReLU())  # no parameters: nothing to leave out


def test_frozen_parts_names_the_largest_frozen_pieces():
    assert frozen_parts(_net()) == ['0.bias', '2']


def test_same_groups_as_mmengine_without_the_frozen_ones():
    init_default_scope('mmseg')
    net = _net()
    cfg = dict(optimizer=dict(type='SGD', lr=0.1, weight_decay=1e-4),
               paramwise_cfg=dict(norm_decay_mult=0.0))
    groups = SkipFrozenOptimWrapperConstructor(cfg)(net).optimizer.param_groups
    # Linear weight, BN weight and bias (no decay); the frozen Linear bias
    # and the frozen Sequential's four parameters are not there
    assert [id(g['params'][0]) for g in groups] == [
        id(net[0].weight), id(net[1].weight), id(net[1].bias)
    ]
    assert [g['weight_decay'] for g in groups] == [1e-4, 0.0, 0.0]


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
    assert any(n.startswith('text_encoder.') for n in frozen)
    trained = {id(p) for g in runner.optim_wrapper.param_groups
               for p in g['params']}
    assert trained == {id(p) for p in runner.model.parameters()
                       if p.requires_grad}
    log_file, = glob.glob(osp.join(work_dir, '*', '*.log'))
    with open(log_file) as f:
        log = f.read()
    # mmengine warns once per frozen parameter of every module holding it
    assert (log.count(PER_PARAMETER) >= len(frozen)) == per_parameter_lines
    summary = re.findall(r'left (\d+) frozen parameters out of the '
                         r'optimizer: (.*)', log)
    if per_parameter_lines:
        assert summary == []
    else:
        assert PER_PARAMETER not in log
        (count, names), = summary
        assert int(count) >= len(frozen)
        assert 'text_encoder' in names or names.endswith(' more')
