# Copyright (c) mmzs3 contributors. All rights reserved.
"""Bad CLIP weights fail fast and clearly; bad checkpoints are refused.

A missing or unusable CLIP weight path fails without contacting the hub
(every network call fails the test), and the one host-name probe gives up
while the lookup still hangs (docs/reliability.md). No case is timed.
"""
import json
import os.path as osp
import socket
import threading

import pytest
import torch
from mmengine.runner.checkpoint import load_checkpoint

from mmzs3.models.text_encoders import OpenCLIPTextEncoder
from mmzs3.utils import NonFiniteCheckpointError
from ...conftest import REPO_ROOT

TINY_JSON = osp.join(REPO_ROOT, 'tests', 'data', 'openclip_tiny.json')


def _encoder(name: str, pretrained: str, width: int = 32):
    with open(TINY_JSON) as f:
        model_cfg = json.load(f)
    model_cfg['text_cfg']['width'] = width
    return OpenCLIPTextEncoder(model_name=name, model_cfg=model_cfg,
                               pretrained=pretrained, cache_dir=False)


@pytest.fixture
def no_network(monkeypatch):
    """Fail the test on any attempt to reach the network."""
    calls = []

    def refuse(*args, **kwargs):
        calls.append(args)
        raise OSError('network is unreachable (test)')

    monkeypatch.setattr(socket, 'create_connection', refuse)
    monkeypatch.setattr(socket.socket, 'connect', refuse)
    monkeypatch.setattr(
        'huggingface_hub.hf_hub_download',
        lambda *a, **k: calls.append(a) or pytest.fail('hub download'))
    return calls


def _failed_init_weights(encoder):
    with pytest.raises(Exception) as info:
        encoder.init_weights()
    return info


def test_missing_weight_file_offline(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    missing = str(tmp_path / 'nope' / 'clip.pt')
    info = _failed_init_weights(_encoder('rel-tiny-a', missing))
    assert info.type is FileNotFoundError
    assert f'pretrained weights {missing!r}: no such file' in str(info.value)
    assert not no_network


def test_uncached_tag_offline(monkeypatch, no_network):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    encoder = OpenCLIPTextEncoder('ViT-B-32', pretrained='laion2b_s34b_b79k',
                                  cache_dir=False)
    info = _failed_init_weights(encoder)
    assert info.type is FileNotFoundError
    assert 'not in the local cache' in str(info.value)
    assert 'offline' in str(info.value)
    assert not no_network


def test_hanging_dns_is_bounded(monkeypatch, no_network):
    """No HF_HUB_OFFLINE, and name resolution hangs: the probe gives up
    (machine offline) while the lookup is still unanswered."""
    monkeypatch.delenv('HF_HUB_OFFLINE', raising=False)
    monkeypatch.setattr(
        'mmzs3.models.utils.open_clip_utils._OFFLINE_PROBE_S', 0.05)
    answer = threading.Event()
    monkeypatch.setattr(socket, 'getaddrinfo',
                        lambda *a, **k: answer.wait(60))
    encoder = OpenCLIPTextEncoder('ViT-B-32', pretrained='laion2b_s34b_b79k',
                                  cache_dir=False)
    try:
        info = _failed_init_weights(encoder)
        assert not answer.is_set()
    finally:
        answer.set()
    assert info.type is FileNotFoundError and 'offline' in str(info.value)
    assert not no_network


def test_other_architecture_weights(tmp_path, monkeypatch, no_network):
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    other = _encoder('rel-tiny-wide', None, width=64)
    path = str(tmp_path / 'wide.pt')
    torch.save({k: v for k, v in other.model.state_dict().items()}, path)
    info = _failed_init_weights(_encoder('rel-tiny-b', path))
    assert info.type is ValueError
    message = str(info.value)
    assert f"{path} does not fit the 'text' part" in message
    assert 'shape mismatches' in message
    assert not no_network


def test_checkpoint_with_nan_refused_by_load_checkpoint(tmp_path, safe_io):
    """The path of ``load_from``, ``init_cfg=Pretrained`` and tools/test.py
    with safe I/O on (see tests/test_utils/test_safe_checkpoint.py for
    the loader)."""
    model = torch.nn.Linear(2, 2)
    state = model.state_dict()
    state['bias'] = torch.tensor([0.0, float('inf')])
    path = str(tmp_path / 'inf.pth')
    torch.save(dict(state_dict=state), path)
    before = model.weight.detach().clone()
    with pytest.raises(NonFiniteCheckpointError, match='inf.pth.*bias'):
        load_checkpoint(model, path, map_location='cpu')
    assert torch.equal(model.weight, before)

