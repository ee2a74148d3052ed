# Copyright (c) mmzs3 contributors. All rights reserved.
import os
import os.path as osp
from collections import OrderedDict

import numpy as np
import pytest
import torch
from mmengine.logging import HistoryBuffer, MessageHub
from mmengine.runner.checkpoint import (CheckpointLoader, _load_checkpoint,
                                        save_checkpoint)

import mmzs3  # noqa: F401
from mmzs3.utils import (NonFiniteCheckpointError, UnsafeCheckpointError,
                         safe_torch_load)
from mmzs3.utils.safe_checkpoint import AtomicLocalBackend
from ..conftest import Exploit


def _message_hub_state() -> dict:
    hub = MessageHub.get_instance('mmzs3_test_hub')
    for i in range(3):
        hub.update_scalar('train/loss', float(i))
    hub.update_info('iter', 3)
    return hub.state_dict()


def test_mmengine_checkpoint_with_history_buffer_loads(tmp_path):
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


def test_malicious_pickle_is_refused_without_running(tmp_path):
    marker = tmp_path / 'pwned'
    path = str(tmp_path / 'evil.pth')
    torch.save(dict(state_dict={}, payload=Exploit(str(marker))), path)
    with pytest.raises(UnsafeCheckpointError, match='posix.system|os.system'):
        _load_checkpoint(path, map_location='cpu')
    assert not marker.exists()
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


def test_missing_file_is_clear(tmp_path):
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
