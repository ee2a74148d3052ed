# Copyright (c) mmzs3 contributors. All rights reserved.
import json
import os.path as osp

import pytest
import torch
import torch.nn.functional as F
from torchvision.ops import roi_align

from mmzs3.registry import MODELS

TINY_JSON = osp.join(
    osp.dirname(__file__), '..', '..', 'data', 'openclip_tiny.json')


def build(**kwargs):
    with open(TINY_JSON) as f:
        cfg = json.load(f)
    torch.manual_seed(0)
    return MODELS.build(
        dict(
            type='CLIPSegmentClassifier',
            model_name='mmzs3-tiny-test',
            model_cfg=cfg,
            **kwargs))


def text_embeddings(k=3, d=16):
    torch.manual_seed(3)
    return F.normalize(torch.randn(k, d), dim=-1)


def test_attributes_frozen_eval():
    classifier = build()
    classifier.train()
    assert not classifier.model.training
    assert not any(p.requires_grad for p in classifier.parameters())
    assert classifier.image_size == (32, 32)
    assert not any(
        k.startswith('token_embedding') for k in classifier.state_dict())
    with pytest.raises(ValueError, match='crop_style'):
        build(crop_style='box')


def test_logits_match_hand_built_crop():
    classifier = build(chunk_size=2)
    torch.manual_seed(1)
    image = torch.randn(1, 3, 64, 64)
    masks = torch.full((1, 3, 64, 64), -10.)
    masks[0, 0, 16:32, 8:40] = 10.  # box x 8..39, y 16..31
    masks[0, 1] = 10.  # whole image
    # query 2 stays empty
    text = text_embeddings()
    logits = classifier(image, masks, text)
    assert logits.shape == (1, 3, 3)

    binary = torch.zeros(64, 64)
    binary[16:32, 8:40] = 1
    box = torch.tensor([[8., 16., 39., 31.]])
    crop = roi_align((image[0] * binary)[None], [box], 32, 1.0, -1, True)
    with torch.no_grad():
        feat = F.normalize(classifier.model.encode_image(crop), dim=-1)
    scale = classifier.model.logit_scale.exp()
    torch.testing.assert_close(logits[0, 0], scale * feat[0] @ text.t())
    assert torch.allclose(scale, torch.tensor(1 / 0.07))

    # an empty mask fills everything with the mean colour (0)
    with torch.no_grad():
        feat = F.normalize(
            classifier.model.encode_image(torch.zeros(1, 3, 32, 32)), dim=-1)
    torch.testing.assert_close(logits[0, 2], scale * feat[0] @ text.t())


def test_low_resolution_masks_and_chunks():
    torch.manual_seed(2)
    images = torch.randn(2, 3, 64, 64)
    masks = torch.randn(2, 5, 16, 16) * 4
    text = text_embeddings()
    one = build(chunk_size=1)(images, masks, text)
    many = build(chunk_size=32)(images, masks, text)
    assert one.shape == (2, 5, 3)
    torch.testing.assert_close(one, many, atol=1e-5, rtol=1e-5)


@pytest.mark.parametrize('style', ['mask', 'crop'])
def test_other_styles_differ_from_cropmask(style):
    torch.manual_seed(4)
    images = torch.randn(1, 3, 64, 64)
    masks = torch.full((1, 1, 64, 64), -10.)
    masks[0, 0, 10:30, 20:50] = 10.
    text = text_embeddings()
    out = build(crop_style=style)(images, masks, text)
    ref = build()(images, masks, text)
    assert out.shape == (1, 1, 3)
    assert not torch.allclose(out, ref)


def bf16_inputs():
    torch.manual_seed(6)
    image = torch.randn(3, 64, 48)
    masks = torch.randn(6, 16, 12) * 4
    return image, masks


def test_cpu_bf16_force_is_close_to_float32_but_not_equal():
    image, masks = bf16_inputs()
    outs = {}
    for setting in ('off', 'force'):
        classifier = build(cpu_bf16=setting)
        outs[setting] = classifier.encode_segments(image, masks)
    assert outs['off'].dtype == outs['force'].dtype == torch.float32
    # bf16 keeps 8 significant bits: each rounded operand is off by at
    # most 2**-9 (0.2 %), and the tiny tower's products chain a few such
    # roundings; 5 % (relative L2 per feature) bounds that with margin and
    # still fails on a wrong dtype or an overflow.
    error = (outs['force'] - outs['off']).norm(dim=-1) / outs['off'].norm(
        dim=-1)
    assert error.max() < 0.05
    # not identical: the tower really ran in bf16 (emulated on CPUs
    # without native bf16)
    assert error.min() > 1e-4


def test_cpu_bf16_auto_follows_the_cpu(monkeypatch):
    from mmzs3.models.classifiers import clip_segment_classifier as module
    logged = []
    monkeypatch.setattr(module, 'print_log',
                        lambda *args, **kwargs: logged.append(args[0]))
    image, masks = bf16_inputs()
    reference = {
        setting: build(cpu_bf16=setting).encode_segments(image, masks)
        for setting in ('off', 'force')
    }
    for native, expected in ((False, 'off'), (True, 'force')):
        monkeypatch.setattr(module, 'cpu_has_native_bf16', lambda: native)
        logged.clear()
        classifier = build(cpu_bf16='auto')
        for _ in range(2):
            out = classifier.encode_segments(image, masks)
            assert torch.equal(out, reference[expected])
        # the fallback is logged once per classifier, native bf16 never
        assert len(logged) == (0 if native else 1)
        assert all('no native bf16' in line for line in logged)
    with pytest.raises(ValueError, match='cpu_bf16'):
        build(cpu_bf16=True)
