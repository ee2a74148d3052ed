# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
import torch

from mmzs3.models.utils import (calibrate_seen, fuse_class_probs,
                                semantic_inference)

# K = 3 classes, 0 and 1 seen, 2 unseen; one query.
SEEN = torch.tensor([True, True, False])
# softmax(seg_logits) = (0.4, 0.2, 0.1, no-object 0.3); the +1.7 shift
# checks that only the softmax matters.
SEG = torch.tensor([0.4, 0.2, 0.1, 0.3]).log().view(1, 1, 4) + 1.7
# with the no-object logit log(0.3) + 1.7 appended, softmax gives
# p' = (0.1, 0.3, 0.3): the CLIP logits must be shifted the same way.
CLIP = torch.tensor([0.1, 0.3, 0.3]).log().view(1, 1, 3) + 1.7


def probs(mode, lam=2 / 3):
    return fuse_class_probs(SEG, CLIP, SEEN, mode=mode, lam=lam)[0, 0]


def test_fused_default_lambda():
    mean_seen = (0.1 + 0.3) / 2
    expected = torch.tensor([
        0.4**(2 / 3) * mean_seen**(1 / 3),
        0.2**(2 / 3) * mean_seen**(1 / 3),
        0.1**(1 / 3) * 0.3**(2 / 3),
    ])
    torch.testing.assert_close(probs('fused'), expected)


def test_fused_other_lambda():
    expected = torch.tensor([
        0.4**0.25 * 0.2**0.75,
        0.2**0.25 * 0.2**0.75,
        0.1**0.75 * 0.3**0.25,
    ])
    torch.testing.assert_close(probs('fused', lam=0.25), expected)


def test_other_modes():
    torch.testing.assert_close(probs('seg'), torch.tensor([0.4, 0.2, 0.1]))
    torch.testing.assert_close(probs('img'), torch.tensor([0.1, 0.3, 0.3]))
    expected = torch.tensor([0.4, 0.2, 0.1])**(1 / 3) * torch.tensor(
        [0.1, 0.3, 0.3])**(2 / 3)
    torch.testing.assert_close(probs('fuse_all'), expected)
    seg_only = fuse_class_probs(SEG, None, SEEN, mode='seg')
    torch.testing.assert_close(seg_only, probs('seg').view(1, 1, 3))


def test_no_object_logit_enters_clip_softmax():
    seg = SEG.clone()
    seg[..., -1] = torch.tensor(0.7).log() + 1.7  # no-object 0.7 of 1.4
    img = fuse_class_probs(seg, CLIP, SEEN, mode='img')[0, 0]
    torch.testing.assert_close(img, torch.tensor([0.1, 0.3, 0.3]) / 1.4)


def test_batched_shapes_and_errors():
    seg = torch.randn(2, 5, 4)
    clip = torch.randn(2, 5, 3)
    out = fuse_class_probs(seg, clip, SEEN)
    assert out.shape == (2, 5, 3)
    with pytest.raises(ValueError, match='clip_logits'):
        fuse_class_probs(seg, None, SEEN, mode='fused')
    with pytest.raises(ValueError, match='fusion mode'):
        fuse_class_probs(seg, clip, SEEN, mode='avg')


def test_semantic_inference_exact():
    cls_probs = torch.tensor([[[0.2, 0.8], [0.6, 0.4]]])  # (1, Q=2, K=2)
    logit_075 = torch.tensor(3.).log()  # sigmoid = 0.75
    masks = torch.tensor([[[[0., logit_075]], [[logit_075, 0.]]]])
    out = semantic_inference(cls_probs, masks)  # (1, 2, 1, 2)
    expected = torch.tensor([[[[0.2 * .5 + 0.6 * .75,
                                0.2 * .75 + 0.6 * .5]],
                              [[0.8 * .5 + 0.4 * .75,
                                0.8 * .75 + 0.4 * .5]]]])
    torch.testing.assert_close(out, expected)


def test_calibrate_seen_exact():
    maps = torch.arange(6.).view(1, 3, 1, 2)
    out = calibrate_seen(maps, SEEN, 0.1)
    expected = torch.tensor([[[[-0.1, 0.9]], [[1.9, 2.9]], [[4., 5.]]]])
    torch.testing.assert_close(out, expected)
    torch.testing.assert_close(maps, torch.arange(6.).view(1, 3, 1, 2))
