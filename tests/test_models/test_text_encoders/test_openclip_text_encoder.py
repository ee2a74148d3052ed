# Copyright (c) mmzs3 contributors. All rights reserved.
import json
import math
import os.path as osp

import pytest
import torch
import torch.nn.functional as F

from mmzs3.models.text_encoders import OpenCLIPTextEncoder
from mmzs3.registry import MODELS

TINY_JSON = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'openclip_tiny.json')


def tiny_cfg() -> dict:
    with open(TINY_JSON) as f:
        return json.load(f)


def make_encoder(**kwargs) -> OpenCLIPTextEncoder:
    torch.manual_seed(0)
    kwargs.setdefault('templates', ['a {}', 'the {} here'])
    return OpenCLIPTextEncoder(
        model_name='mmzs3-tiny-test', model_cfg=tiny_cfg(), **kwargs)


def fake_tower(encoder, monkeypatch, vectors):
    """Make sentence i of ``vectors`` (dict sentence -> vector) encode to
    that vector; returns the list of encoded sentence batches."""
    names = list(vectors)
    table = torch.tensor([vectors[n] for n in names], dtype=torch.float32)
    seen = []

    def tokenizer(sentences):
        seen.append(list(sentences))
        return torch.tensor([[names.index(s)] for s in sentences])

    encoder._tokenizer = tokenizer
    monkeypatch.setattr(encoder.model, 'encode_text',
                        lambda tokens: table[tokens[:, 0]])
    return seen


def test_ensembling_with_synonyms(monkeypatch):
    encoder = make_encoder(templates=['a {}', 'b {}'])
    fake_tower(
        encoder, monkeypatch, {
            'a x': [3., 4.],
            'b x': [1., 0.],
            'a y': [0., 2.],
            'b y': [0., 1.],
            'a z': [5., 0.],
            'b z': [2., 0.],
        })
    out = encoder.encode(['x', 'y, z'])
    # x: mean((.6, .8), (1, 0)) = (.8, .4) -> (2, 1) / sqrt(5)
    # y, z: mean((0, 1), (0, 1), (1, 0), (1, 0)) -> (1, 1) / sqrt(2)
    expected = torch.tensor([[2 / math.sqrt(5), 1 / math.sqrt(5)],
                             [1 / math.sqrt(2), 1 / math.sqrt(2)]])
    torch.testing.assert_close(out, expected)
    assert out.dtype == torch.float32


def test_synonyms_on_real_tower():
    encoder = make_encoder()
    out = encoder.encode(['cat, kitty'])
    sentences = ['a cat', 'the cat here', 'a kitty', 'the kitty here']
    with torch.no_grad():
        feats = encoder.model.encode_text(encoder.tokenizer(sentences))
    expected = F.normalize(F.normalize(feats, dim=-1).mean(0), dim=-1)
    torch.testing.assert_close(out[0], expected)
    assert out.shape == (1, 16)
    torch.testing.assert_close(out.norm(dim=-1), torch.ones(1))


def test_memo_encodes_only_new_names(monkeypatch):
    encoder = make_encoder()
    calls = []
    original = encoder._encode_uncached

    def counting(names, templates):
        calls.append(list(names))
        return original(names, templates)

    monkeypatch.setattr(encoder, '_encode_uncached', counting)
    first = encoder.encode(['cat', 'dog']).clone()
    second = encoder.encode(['cat', 'dog', 'bird'])
    assert calls == [['cat', 'dog'], ['bird']]
    torch.testing.assert_close(second[:2], first)
    encoder.encode(['bird', 'cat'])
    assert len(calls) == 2
    # other templates are another memo entry
    encoder.encode(['cat'], 'single')
    assert calls[-1] == ['cat']


def test_weight_change_recomputes(monkeypatch):
    encoder = make_encoder()
    before = encoder.encode(['cat', 'dog']).clone()
    state = {k: v + 0.05 for k, v in encoder.state_dict().items()}
    encoder.load_state_dict(state)
    after = encoder.encode(['cat', 'dog'])
    assert not torch.allclose(before, after)
    calls = []
    monkeypatch.setattr(encoder, '_encode_uncached',
                        lambda n, t: calls.append(list(n)) or torch.ones(
                            len(n), 16))
    encoder.init_weights()
    encoder.encode(['cat', 'dog'])
    assert calls == [['cat', 'dog']]


def test_chunking_gives_same_result():
    names = ['cat', 'dog, puppy', 'traffic light']
    big = make_encoder(chunk_size=256).encode(names)
    small = make_encoder(chunk_size=1).encode(names)
    torch.testing.assert_close(small, big, atol=1e-6, rtol=1e-5)


def test_tower_frozen_and_eval():
    encoder = MODELS.build(
        dict(
            type='OpenCLIPTextEncoder',
            model_name='mmzs3-tiny-test',
            model_cfg=tiny_cfg(),
            templates='single'))
    encoder.train()
    assert encoder.training and not encoder.model.training
    assert not any(p.requires_grad for p in encoder.parameters())
    assert not any(k.startswith('model.visual') for k in encoder.state_dict())
    assert encoder.embed_dim == 16
    assert encoder.templates == ('A photo of a {} in the scene', )
    assert encoder.encode([]).shape == (0, 16)


@pytest.mark.parametrize('cfg, width', [
    (dict(model_name='ViT-B-16'), 512),
    (dict(model_name='ViT-L-14'), 768),
    (dict(), 512),  # the default architecture, ViT-B-16
    (dict(model_name='mmzs3-never-registered', model_cfg=tiny_cfg()), 16),
])
def test_embed_dim_of_reads_the_architecture_without_building(cfg, width):
    assert OpenCLIPTextEncoder.embed_dim_of(cfg) == width


def test_embed_dim_of_an_unknown_architecture_is_a_clear_error():
    with pytest.raises(ValueError, match="'no-such-clip'.*model_cfg"):
        OpenCLIPTextEncoder.embed_dim_of(dict(model_name='no-such-clip'))
