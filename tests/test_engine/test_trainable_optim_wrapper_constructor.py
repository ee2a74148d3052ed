# Copyright (c) mmzs3 contributors. All rights reserved.
"""Frozen parameters leave the optimizer with one log line, not one each."""
import glob
import os.path as osp
import re

from mmengine.optim import DefaultOptimWrapperConstructor
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from torch import nn

from mmzs3.engine.optimizers import (TrainableOptimWrapperConstructor,
                                     frozen_parts, frozen_summary, is_frozen)
from ..test_models.test_segmentors.test_zegformer_runner import _runner_cfg

#: mmengine's warning for each frozen parameter, which must not be logged.
PER_PARAMETER = 'is skipped since its requires_grad=False'
SUMMARY = re.compile(r'left (\d+) frozen parameters out of the optimizer: '
                     r'(.*)')
OPTIMIZER = dict(type='SGD', lr=0.1, weight_decay=1e-4)


def _net() -> nn.Module:
    """Linear, BN, and a frozen pair of Linears; one frozen bias beside a
    trained weight."""
    net = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2),
                        nn.Sequential(nn.Linear(2, 2), nn.Linear(2, 2)))
    net[2].requires_grad_(False)
    net[0].bias.requires_grad_(False)
    return net


def _ids(groups) -> list:
    return [[id(p) for p in group['params']] for group in groups]


def test_is_frozen():
    net = _net()
    assert is_frozen(net[2]) and is_frozen(net[2][0])
    assert not is_frozen(net) and not is_frozen(net[0])
    assert not is_frozen(nn.ReLU())  # no parameters: nothing is frozen


def test_frozen_parts_and_summary_name_the_largest_frozen_pieces():
    assert frozen_parts(_net()) == ['0.bias', '2']
    assert frozen_summary(_net()) == (
        'left 5 frozen parameters out of the optimizer: 0.bias, 2')
    assert frozen_summary(nn.Linear(2, 2)) == ''


def test_paramwise_groups_are_mmengines():
    init_default_scope('mmseg')
    net = _net()
    cfg = dict(optimizer=OPTIMIZER)
    paramwise_cfg = dict(norm_decay_mult=0.0)
    ours = TrainableOptimWrapperConstructor(cfg, paramwise_cfg)(net).optimizer
    theirs = DefaultOptimWrapperConstructor(cfg, paramwise_cfg)(net).optimizer
    # Linear weight, then BN weight and bias without decay
    assert _ids(ours.param_groups) == [[id(net[0].weight)],
                                       [id(net[1].weight)],
                                       [id(net[1].bias)]]
    assert _ids(ours.param_groups) == _ids(theirs.param_groups)
    assert [g['weight_decay'] for g in ours.param_groups] == [1e-4, 0.0, 0.0]
    # the same state dict layout: each resumes the other's state
    ours.load_state_dict(theirs.state_dict())
    theirs.load_state_dict(ours.state_dict())


def test_without_paramwise_cfg_only_trainable_parameters():
    init_default_scope('mmseg')
    net = _net()
    optimizer = TrainableOptimWrapperConstructor(
        dict(optimizer=OPTIMIZER))(net).optimizer
    # mmengine's default would hand all 9 parameters to the optimizer
    assert _ids(optimizer.param_groups) == [[
        id(net[0].weight), id(net[1].weight), id(net[1].bias)
    ]]
    assert optimizer.param_groups[0]['weight_decay'] == 1e-4


def _train(dataset: str, work_dir: str, max_iters: int, **overrides):
    """Train the tiny ZegFormer with the constructor; return the runner
    and the text of the run's log file."""
    cfg = _runner_cfg(
        dataset, work_dir, log_level='INFO',
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters,
                       val_interval=100),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False),
            logger=None),
        optim_wrapper=dict(
            constructor='TrainableOptimWrapperConstructor',
            optimizer=dict(type='AdamW', lr=1e-4, weight_decay=1e-4),
            paramwise_cfg=dict(norm_decay_mult=0.0)),
        **overrides)
    runner = Runner.from_cfg(cfg)
    runner.train()
    log_file = max(glob.glob(osp.join(work_dir, '*', '*.log')))
    with open(log_file) as f:
        return runner, f.read()


def test_one_training_step_logs_one_line_and_resumes(tiny_seg_dataset,
                                                      tmp_path, safe_io):
    work_dir = str(tmp_path / 'work')
    runner, log = _train(tiny_seg_dataset, work_dir, 1)
    frozen = [n for n, p in runner.model.named_parameters()
              if not p.requires_grad]
    assert any(n.startswith('text_encoder.') for n in frozen)
    assert 'decode_head.cls_embed.logit_scale' in frozen
    # the optimizer's groups (the wrapper's ``param_groups`` add mmengine's
    # base-lr record, a zero tensor, when there are several)
    trained = {id(p) for g in runner.optim_wrapper.optimizer.param_groups
               for p in g['params']}
    assert trained == {id(p) for p in runner.model.parameters()
                       if p.requires_grad}
    assert PER_PARAMETER not in log
    (count, names), = SUMMARY.findall(log)
    assert int(count) == len(frozen)
    assert names.endswith(' and 14 more')  # 8 of 22 parts named
    assert 'text_encoder' in frozen_parts(runner.model)
    # resume: the saved optimizer state loads into a new run's optimizer
    resumed, log = _train(tiny_seg_dataset, work_dir, 2, resume=True)
    assert resumed.iter == 2
    assert 'resumed' in log.lower() and PER_PARAMETER not in log
