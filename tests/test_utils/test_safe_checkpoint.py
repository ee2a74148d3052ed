# Copyright (c) mmzs3 contributors. All rights reserved.
"""The allowlisting loader: every checkpoint mmengine, mmseg and mmdet
write loads as ``torch.load(weights_only=False)`` loads it; pickled code
never runs."""
import os
import os.path as osp
from collections import OrderedDict
from fractions import Fraction

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner import Runner
from mmengine.runner.checkpoint import (CheckpointLoader, _load_checkpoint,
                                        save_checkpoint)

from mmzs3.utils import (NonFiniteCheckpointError, UnsafeCheckpointError,
                         allow_checkpoint_globals, safe_checkpoint,
                         safe_torch_load)
from mmzs3.utils.safe_checkpoint import AtomicLocalBackend
from ..conftest import Exploit, write_seg_dataset
from ..test_models.test_segmentors.test_zegformer_runner import (TRAIN_NAMES,
                                                                 _runner_cfg)

#: Every numpy dtype (``np.typecodes['All']``, with sizes and units where
#: the code needs one), plus byte orders and a structured dtype.
NUMPY_DTYPES = [
    code for code in np.typecodes['All'] if code not in 'SUVMm'
] + ['S3', 'U3', 'V3', 'M8', 'M8[s]', 'm8', 'm8[ms]', '>f4', '<i2', '>c16',
     [('x', '<f4'), ('y', '>i8', (2, ))]]


def _message_hub_state() -> dict:
    hub = MessageHub.get_instance('mmzs3_test_hub')
    for i in range(3):
        hub.update_scalar('train/loss', float(i))
    hub.update_info('iter', 3)
    return hub.state_dict()


def _assert_same(loaded, trusted, where='checkpoint') -> None:
    """Recursive equality of a safe load and a trusted ``torch.load``."""
    assert type(loaded) is type(trusted), where
    if isinstance(trusted, dict):
        assert list(loaded) == list(trusted), where
        for key in trusted:
            _assert_same(loaded[key], trusted[key], f'{where}[{key!r}]')
    elif isinstance(trusted, (list, tuple)):
        assert len(loaded) == len(trusted), where
        for i, (a, b) in enumerate(zip(loaded, trusted)):
            _assert_same(a, b, f'{where}[{i}]')
    elif torch.is_tensor(trusted):
        assert torch.equal(loaded, trusted), where
    elif isinstance(trusted, np.ndarray):
        assert loaded.dtype == trusted.dtype, where
        assert loaded.tobytes() == trusted.tobytes(), where
    elif isinstance(trusted, HistoryBuffer):
        _assert_same(loaded.data, trusted.data, where)
    elif isinstance(trusted, np.generic):
        assert loaded.tobytes() == trusted.tobytes(), where
    else:
        assert loaded == trusted, where


def _round_trip(tmp_path, obj, **save_kwargs):
    path = str(tmp_path / 'ckpt.pth')
    torch.save(obj, path, **save_kwargs)
    loaded = safe_torch_load(path)
    _assert_same(loaded, torch.load(path, weights_only=False))
    return loaded


def test_empty_history_buffer_loads(tmp_path):
    """An empty buffer pickles an empty array: ``builtins.bytes()``."""
    hub = dict(log_scalars={'train/loss': HistoryBuffer()}, runtime_info={})
    loaded = _round_trip(tmp_path, dict(message_hub=hub))
    history, counts = loaded['message_hub']['log_scalars']['train/loss'].data
    assert history.size == 0 and counts.size == 0


@pytest.mark.parametrize('dtype', NUMPY_DTYPES, ids=str)
def test_numpy_arrays_of_every_dtype_load(tmp_path, dtype):
    dtype = np.dtype(dtype)
    values = np.zeros(3, dtype)
    _round_trip(tmp_path, dict(empty=np.empty(0, dtype), full=values,
                               scalar=values[0], dtype=dtype))


def test_mmseg_style_meta_loads(tmp_path):
    meta = dict(
        env_info='sys.platform: linux\nPython: 3.11\nPyTorch: 2.x',
        config="model = dict(type='EncoderDecoder')",
        seed=np.int64(42), deterministic=False, epoch=3, iter=1200,
        mmengine_version='0.10.7', time='20261201_080000',
        experiment_name='zegformer_r50_coco_20261201_080000',
        dataset_meta=dict(classes=('cat', 'dog'), seen_classes=('cat', ),
                          palette=[[0, 0, 0], [255, 0, 0]],
                          label_map={0: 0, 1: 255},
                          reduce_zero_label=False),
        hook_msgs=dict(last_ckpt='/work/iter_1200.pth', best_score=0.5))
    _round_trip(tmp_path, dict(meta=meta, state_dict={}))


def test_project_training_checkpoint_loads(tmp_path):
    """A real checkpoint of the tiny ZegFormer trained by mmengine's Runner:
    model, AdamW state, schedulers, message hub, meta."""
    root = write_seg_dataset(str(tmp_path / 'data'))
    work_dir = str(tmp_path / 'work')
    cfg = _runner_cfg(
        root, work_dir,
        default_hooks=dict(logger=None, checkpoint=dict(
            type='CheckpointHook', interval=2, by_epoch=False)),
        param_scheduler=[dict(type='LinearLR', start_factor=0.5, end=1,
                              by_epoch=False),
                         dict(type='PolyLR', begin=1, end=2, by_epoch=False)])
    Runner.from_cfg(cfg).train()
    path = osp.join(work_dir, 'iter_2.pth')
    loaded = safe_torch_load(path)
    _assert_same(loaded, torch.load(path, weights_only=False))
    assert {'meta', 'state_dict', 'optimizer', 'param_schedulers',
            'message_hub'} <= set(loaded)
    assert list(loaded['meta']['dataset_meta']['classes']) == list(
        TRAIN_NAMES)


def test_mmengine_checkpoint_with_history_buffer_loads(tmp_path, safe_io):
    path = str(tmp_path / 'ckpt.pth')
    model = torch.nn.Linear(3, 2)
    save_checkpoint(
        dict(
            meta=dict(iter=3, seed=0),
            state_dict=model.state_dict(),
            message_hub=_message_hub_state()), path)
    loaded = _load_checkpoint(path, map_location='cpu')
    assert torch.equal(loaded['state_dict']['weight'], model.weight)
    buffer = loaded['message_hub']['log_scalars']['train/loss']
    assert isinstance(buffer, HistoryBuffer)
    assert buffer.mean() == pytest.approx(1.0)
    assert loaded['message_hub']['runtime_info']['iter'] == 3


def test_numpy_values_load(tmp_path):
    path = str(tmp_path / 'np.pth')
    torch.save(dict(arr=np.arange(4.0), scalar=np.float64(2.5)), path)
    loaded = safe_torch_load(path)
    np.testing.assert_array_equal(loaded['arr'], np.arange(4.0))
    assert loaded['scalar'] == 2.5


def test_malicious_pickle_is_refused_without_running(tmp_path, safe_io):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=Exploit(str(marker))), path)
    with pytest.raises(UnsafeCheckpointError,
                       match="refusing to load '(posix|os).system'") as info:
        _load_checkpoint(path, map_location='cpu')
    assert not marker.exists()
    # what was refused, and how to load a file the user trusts
    assert path in str(info.value)
    assert 'allow_checkpoint_globals' in str(info.value)
    assert 'weights_only=False' in str(info.value)
    # the same refusal through every entry point mmengine offers
    with pytest.raises(UnsafeCheckpointError):
        CheckpointLoader.load_checkpoint(path)
    assert not marker.exists()


class _GetattrExploit:

    def __init__(self, owner: type, name: str) -> None:
        self.owner, self.name = owner, name

    def __reduce__(self):
        return getattr, (self.owner, self.name)


@pytest.mark.parametrize('owner,name', [(HistoryBuffer, 'register_statistics'),
                                        (OrderedDict, 'fromkeys')])
def test_getattr_is_limited_to_history_buffer(tmp_path, owner, name):
    path = str(tmp_path / 'getattr.pth')
    torch.save(dict(x=_GetattrExploit(owner, name)), path, pickle_protocol=2)
    with pytest.raises(UnsafeCheckpointError, match=f'getattr.*{name}'):
        safe_torch_load(path)


def test_non_finite_weights_are_refused(tmp_path):
    path = str(tmp_path / 'nan.pth')
    weights = dict(good=torch.ones(2), bad=torch.tensor([1.0, float('nan')]),
                   worse=torch.tensor([float('inf')]))
    torch.save(dict(state_dict=weights), path)
    with pytest.raises(NonFiniteCheckpointError, match='bad, worse'):
        safe_torch_load(path)


class _BytesExploit:

    def __reduce__(self):
        return bytes, (10**6, )


def test_bytes_is_limited_to_the_empty_value(tmp_path):
    path = str(tmp_path / 'bytes.pth')
    torch.save(dict(x=_BytesExploit()), path, pickle_protocol=2)
    with pytest.raises(UnsafeCheckpointError, match=r'bytes\(1000000,\)'):
        safe_torch_load(path)


def test_trusted_global_can_be_admitted(tmp_path, monkeypatch):
    monkeypatch.setattr(safe_checkpoint, 'ALLOWED_GLOBALS',
                        safe_checkpoint.ALLOWED_GLOBALS)
    path = str(tmp_path / 'fraction.pth')
    torch.save(dict(ratio=Fraction(1, 3)), path)
    with pytest.raises(UnsafeCheckpointError, match='fractions.Fraction'):
        safe_torch_load(path)
    allow_checkpoint_globals('fractions.Fraction')
    assert safe_torch_load(path)['ratio'] == Fraction(1, 3)


def test_missing_file_is_clear(tmp_path, safe_io):
    path = str(tmp_path / 'nope.pth')
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(path)


def test_atomic_put_keeps_old_file_when_interrupted(tmp_path, monkeypatch):
    path = str(tmp_path / 'ckpt.pth')
    backend = AtomicLocalBackend()
    backend.put(b'complete', path)

    def crash(src, dst):
        raise KeyboardInterrupt('killed while writing')

    monkeypatch.setattr(os, 'replace', crash)
    with pytest.raises(KeyboardInterrupt):
        backend.put(b'torn', path)
    monkeypatch.undo()
    with open(path, 'rb') as f:
        assert f.read() == b'complete'
    assert sorted(os.listdir(tmp_path)) == ['ckpt.pth']
    backend.put_text('text', osp.join(tmp_path, 'last_checkpoint'))
    with open(osp.join(tmp_path, 'last_checkpoint')) as f:
        assert f.read() == 'text'
