# Copyright (c) mmzs3 contributors. All rights reserved.
"""A NaN/Inf loss or gradient skips the step, is logged, and can stop."""
import os
import os.path as osp

import pytest
import torch
from mmengine.logging import MMLogger
from mmengine.structures import BaseDataElement

from mmzs3.engine import (NonFiniteLossError, NonFiniteLossHook,
                          SkipNonFiniteOptimWrapper)
from mmzs3.utils import safe_torch_load
from ..conftest import write_seg_dataset
from ..train_helpers import run_train, write_config

MODEL_MODULE = 'tests.test_engine.poisoned_model'


def _wrapper(max_skipped_steps: int = 10) -> SkipNonFiniteOptimWrapper:
    torch.manual_seed(0)
    model = torch.nn.Linear(2, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    wrapper = SkipNonFiniteOptimWrapper(
        max_skipped_steps=max_skipped_steps, optimizer=optimizer)
    wrapper.model = model
    return wrapper


def _state(wrapper):
    params = [p.detach().clone() for p in wrapper.model.parameters()]
    return params, str(wrapper.optimizer.state_dict()['state'])


def test_nan_loss_leaves_parameters_and_momentum_alone(capsys):
    # A fresh current logger writes to the stdout captured now; one made
    # by an earlier test's runner holds another stream.
    MMLogger.get_instance('test_nan_loss_leaves_parameters_alone')
    wrapper = _wrapper()
    model = wrapper.model
    wrapper.update_params(model(torch.ones(1, 2)).sum())  # momentum exists
    before = _state(wrapper)
    wrapper.sample_names = ['a/x.png', 'a/y.png']
    wrapper.update_params(model(torch.ones(1, 2)).sum() * float('nan'))
    after = _state(wrapper)
    assert all(torch.equal(a, b) for a, b in zip(before[0], after[0]))
    assert before[1] == after[1]
    assert all(p.grad is None or not p.grad.any()
               for p in model.parameters())
    assert wrapper.num_skipped_steps == 1
    log = capsys.readouterr().out
    assert 'non-finite training step skipped (loss is nan)' in log
    assert 'samples: a/x.png, a/y.png' in log
    wrapper.update_params(model(torch.ones(1, 2)).sum())  # finite: steps
    assert not torch.equal(model.weight, after[0][0])


def test_inf_gradient_with_finite_loss_is_skipped():
    wrapper = _wrapper()
    model = wrapper.model
    before = _state(wrapper)
    handle = model.weight.register_hook(lambda g: g * float('inf'))
    wrapper.update_params(model(torch.ones(1, 2)).sum())
    handle.remove()
    assert torch.equal(model.weight, before[0][0])
    assert torch.equal(model.bias, before[0][1])
    assert wrapper.num_skipped_steps == 1


def test_stops_after_max_skipped_steps():
    wrapper = _wrapper(max_skipped_steps=2)
    loss = torch.tensor(float('inf'), requires_grad=True)
    wrapper.update_params(loss)
    wrapper.update_params(loss)
    with pytest.raises(NonFiniteLossError, match='max_skipped_steps=2'):
        wrapper.update_params(loss)


def test_hook_hands_sample_names_to_wrapper():
    wrapper = _wrapper()
    runner = type('R', (), {'optim_wrapper': wrapper})()
    samples = [BaseDataElement(metainfo=dict(img_path=f'd/{i}.png'))
               for i in range(2)]
    NonFiniteLossHook().before_train_iter(runner, 0,
                                          dict(data_samples=samples))
    assert wrapper.sample_names == ['d/0.png', 'd/1.png']


def _poisoned_config(folder: str, max_skipped_steps: int,
                     **model_args) -> str:
    extra = (
        f'model = dict(type="TestPoisonedLossEncoderDecoder", '
        f'**{model_args!r})\n'
        'optim_wrapper = dict(type="SkipNonFiniteOptimWrapper", '
        f'max_skipped_steps={max_skipped_steps})\n'
        'custom_hooks = [dict(type="NonFiniteLossHook")]\n')
    return write_config(folder, extra, imports=('mmzs3', MODEL_MODULE))


@pytest.mark.timeout(300)
def test_training_skips_batches_with_a_poisoned_sample(tmp_path):
    data_root = write_seg_dataset(str(tmp_path / 'data'))
    for sub in ('img_dir', 'ann_dir'):
        os.rename(osp.join(data_root, sub, '002.png'),
                  osp.join(data_root, sub, 'poison.png'))
    config = _poisoned_config(str(tmp_path), max_skipped_steps=100)
    result = run_train(config, str(tmp_path / 'work'), data_root)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log[-3000:]
    skips = [x for x in log.splitlines() if 'step skipped' in x]
    assert skips and all('poison.png' in x for x in skips)
    weights = safe_torch_load(str(tmp_path / 'work' / 'iter_6.pth'))
    assert weights['state_dict']  # finite, or the loader would refuse


@pytest.mark.timeout(300)
def test_training_stops_and_keeps_last_good_checkpoint(tmp_path):
    data_root = write_seg_dataset(str(tmp_path / 'data'))
    config = _poisoned_config(
        str(tmp_path), max_skipped_steps=1, poison_from_iter=2)
    work_dir = tmp_path / 'work'
    result = run_train(config, str(work_dir), data_root)
    log = result.stdout + result.stderr
    assert result.returncode != 0
    assert 'NonFiniteLossError' in log and 'max_skipped_steps=1' in log
    assert sorted(f for f in os.listdir(work_dir)
                  if f.endswith('.pth')) == ['iter_2.pth']
    with open(work_dir / 'last_checkpoint') as f:
        assert f.read().endswith('iter_2.pth')
    assert safe_torch_load(str(work_dir / 'iter_2.pth'))['meta']['iter'] == 2
