# Copyright (c) mmzs3 contributors. All rights reserved.
import json
import os.path as osp
import socket

import pytest
import torch
from open_clip.transformer import QuickGELU

from mmzs3.models.classifiers import CLIPSegmentClassifier
from mmzs3.models.text_encoders import OpenCLIPTextEncoder
from mmzs3.models.utils import (build_open_clip, keep_part,
                                load_open_clip_weights, open_clip_utils,
                                pretrained_quick_gelu,
                                register_open_clip_config, resolve_pretrained)

TINY_JSON = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'openclip_tiny.json')
NAME = 'mmzs3-tiny-test'


def tiny_cfg(**text) -> dict:
    with open(TINY_JSON) as f:
        cfg = json.load(f)
    cfg['text_cfg'].update(text)
    return cfg


def test_keep_part_splits_state_dict():
    full = build_open_clip(NAME, tiny_cfg()).state_dict()
    text = keep_part(build_open_clip(NAME), 'text').state_dict()
    visual = keep_part(build_open_clip(NAME), 'visual').state_dict()
    assert set(text) | set(visual) == set(full)
    assert not set(text) & set(visual)
    assert 'logit_scale' in visual and 'token_embedding.weight' in text
    assert all(k.startswith('visual.') or k == 'logit_scale' for k in visual)


def test_register_conflict_and_unknown_name():
    register_open_clip_config(NAME, tiny_cfg())  # same dict: fine
    with pytest.raises(ValueError, match=NAME):
        register_open_clip_config(NAME, tiny_cfg(layers=2))
    with pytest.raises(ValueError, match='no architecture'):
        build_open_clip('mmzs3-no-such-arch')


def test_quick_gelu_for_openai_tag():
    assert pretrained_quick_gelu('ViT-B-16', 'openai')
    assert not pretrained_quick_gelu('ViT-B-16', 'laion2b_s34b_b88k')
    assert not pretrained_quick_gelu('ViT-B-16', '/some/file.pt')
    model = build_open_clip(NAME, tiny_cfg(), quick_gelu=True)
    assert any(isinstance(m, QuickGELU) for m in model.modules())


def test_missing_file_is_clear(tmp_path):
    path = str(tmp_path / 'nope.pt')
    with pytest.raises(FileNotFoundError, match='nope.pt'):
        resolve_pretrained(path, NAME)
    encoder = OpenCLIPTextEncoder(NAME, pretrained=path, model_cfg=tiny_cfg())
    with pytest.raises(FileNotFoundError, match='nope.pt'):
        encoder.init_weights()


def test_uncached_tag_offline(monkeypatch):
    monkeypatch.setattr(open_clip_utils, '_cached_tag_file', lambda c: None)
    monkeypatch.setenv('HF_HUB_OFFLINE', '1')
    with pytest.raises(FileNotFoundError, match='offline'):
        resolve_pretrained('laion2b_s34b_b88k', 'ViT-B-16')
    monkeypatch.delenv('HF_HUB_OFFLINE')

    def no_dns(*args, **kwargs):
        raise socket.gaierror('no network')

    monkeypatch.setattr(socket, 'getaddrinfo', no_dns)
    with pytest.raises(FileNotFoundError, match="'openai'"):
        resolve_pretrained('openai', 'ViT-B-16')


def test_one_checkpoint_feeds_both_towers(tmp_path):
    torch.manual_seed(1)
    source = build_open_clip(NAME, tiny_cfg())
    with torch.no_grad():
        source.logit_scale.fill_(4.0)
    plain = str(tmp_path / 'clip.pt')
    torch.save(source.state_dict(), plain)
    # open_clip training checkpoints wrap a DDP state dict
    train_ckpt = str(tmp_path / 'epoch_1.pt')
    torch.save({'epoch': 1, 'state_dict': {
        'module.' + k: v for k, v in source.state_dict().items()}},
        train_ckpt)
    expected = source.state_dict()
    for path in (plain, train_ckpt):
        torch.manual_seed(2)
        text = OpenCLIPTextEncoder(NAME, pretrained=path, model_cfg=tiny_cfg())
        image = CLIPSegmentClassifier(NAME, pretrained=path)
        text.init_weights()
        image.init_weights()
        for module in (text.model, image.model):
            for key, value in module.state_dict().items():
                torch.testing.assert_close(value, expected[key])
        assert image.model.logit_scale.item() == 4.0


def test_openai_extra_keys_are_ignored(tmp_path):
    source = build_open_clip(NAME, tiny_cfg())
    state = dict(source.state_dict())
    state.update(input_resolution=torch.tensor(32),
                 context_length=torch.tensor(16),
                 vocab_size=torch.tensor(49408))
    state = {k: v.half() for k, v in state.items()}
    path = str(tmp_path / 'openai_like.pt')
    torch.save(state, path)
    target = keep_part(build_open_clip(NAME), 'visual')
    load_open_clip_weights(target, path, NAME, 'visual')
    torch.testing.assert_close(target.visual.proj,
                               source.visual.proj.half().float())


def test_wrong_architecture_is_clear(tmp_path):
    other = build_open_clip('mmzs3-tiny-wide', tiny_cfg(width=64))
    path = str(tmp_path / 'wide.pt')
    torch.save(other.state_dict(), path)
    target = keep_part(build_open_clip(NAME, tiny_cfg()), 'text')
    with pytest.raises(ValueError) as err:
        load_open_clip_weights(target, path, NAME, 'text')
    message = str(err.value)
    assert 'wide.pt' in message and 'shape mismatches' in message
    assert 'positional_embedding: checkpoint (16, 64) vs model (16, 32)' \
        in message
    # a text-only file cannot feed the image tower
    text_only = str(tmp_path / 'text_only.pt')
    torch.save(keep_part(build_open_clip(NAME), 'text').state_dict(),
               text_only)
    with pytest.raises(ValueError, match='missing keys.*visual'):
        load_open_clip_weights(
            keep_part(build_open_clip(NAME), 'visual'), text_only, NAME,
            'visual')


def test_build_part_allocates_only_that_tower(monkeypatch):
    from open_clip import model as open_clip_model
    devices = []
    for name in ('_build_vision_tower', '_build_text_tower'):
        original = getattr(open_clip_model, name)

        def recording(*args, _build=original, _name=name, **kwargs):
            devices.append((_name, torch.empty(0).device.type))
            return _build(*args, **kwargs)

        monkeypatch.setattr(open_clip_model, name, recording)
    full = build_open_clip(NAME, tiny_cfg())
    text = build_open_clip(NAME, part='text')
    visual = build_open_clip(NAME, part='visual')
    assert devices == [('_build_vision_tower', 'cpu'),
                       ('_build_text_tower', 'cpu'),
                       ('_build_vision_tower', 'meta'),
                       ('_build_text_tower', 'cpu'),
                       ('_build_vision_tower', 'cpu'),
                       ('_build_text_tower', 'meta')]
    # the same keys as keep_part on a full model, none left on meta
    assert set(text.state_dict()) == set(keep_part(full, 'text').state_dict())
    assert text.visual is None and visual.transformer is None
    for model in (text, visual):
        assert not any(t.is_meta for t in model.state_dict().values())
    assert 'logit_scale' in visual.state_dict()
