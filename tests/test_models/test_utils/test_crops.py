# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
import torch
import torch.nn.functional as F

from mmzs3.models.utils import (CLIP_MEAN, CLIP_STD, extract_segment_crops,
                                fill_outside_mask, masks_to_boxes, renormalize,
                                unique_masks)

H, W = 6, 8


def mask_with(points):
    mask = torch.zeros(H, W, dtype=torch.bool)
    for y, x in points:
        mask[y, x] = True
    return mask


def rect(y1, y2, x1, x2):
    mask = torch.zeros(H, W, dtype=torch.bool)
    mask[y1:y2 + 1, x1:x2 + 1] = True
    return mask


def test_masks_to_boxes_edge_rules_and_fallback():
    masks = torch.stack([
        rect(1, 3, 2, 5),  # tight box, inclusive last index
        mask_with([(0, 7), (5, 0)]),  # two corners -> full extent
        torch.zeros(H, W, dtype=torch.bool),  # empty
        rect(2, 2, 1, 4),  # single row
        rect(1, 4, 3, 3),  # single column
        mask_with([(3, 3)]),  # single pixel
        mask_with([(1, 6), (4, 2), (2, 3)]),  # scattered
    ])
    whole = [0., 0., float(W), float(H)]
    expected = torch.tensor([
        [2., 1., 5., 3.],
        [0., 0., 7., 5.],
        whole,
        whole,
        whole,
        whole,
        [2., 1., 6., 4.],
    ])
    torch.testing.assert_close(masks_to_boxes(masks), expected)


def test_fill_outside_mask_exact():
    images = torch.arange(1., 1 + 2 * 3 * 2 * 2).view(2, 3, 2, 2)
    masks = torch.tensor([[[[1, 0], [0, 1]], [[0, 0], [0, 0]]],
                          [[[1, 1], [1, 1]], [[0, 1], [0, 0]]]]).bool()
    out = fill_outside_mask(images, masks)
    assert out.shape == (2, 2, 3, 2, 2)
    torch.testing.assert_close(out[0, 0, 1],
                               torch.tensor([[5., 0.], [0., 8.]]))
    assert out[0, 1].abs().sum() == 0
    torch.testing.assert_close(out[1, 0], images[1])
    torch.testing.assert_close(out[1, 1, 2],
                               torch.tensor([[0., 22.], [0., 0.]]))


def ramp_image():
    """Value = column index in every channel, shape (3, H, W)."""
    return torch.arange(W, dtype=torch.float32).expand(3, H, W).clone()


def test_crop_of_constant_and_ramp():
    const = torch.full((3, H, W), 2.5)
    masks = torch.stack([rect(1, 3, 2, 5), torch.zeros(H, W).bool()])
    out = extract_segment_crops(const, masks, 'crop', 3)
    torch.testing.assert_close(out, torch.full((2, 3, 3, 3), 2.5))
    # box x 2..5 with aligned=True: bin width 1, one sample at x = 2, 3, 4
    out = extract_segment_crops(ramp_image(), masks[:1], 'crop', 3)
    torch.testing.assert_close(out[0, 1], torch.tensor([[2., 3., 4.]] * 3))


def test_cropmask_fills_outside_with_zero():
    out = extract_segment_crops(ramp_image(), rect(1, 3, 2, 5)[None],
                                'cropmask', 3)
    # box y 1..3: bin height 2/3, samples at y = 0.833, 1.5, 2.167; the
    # first mixes masked-out row 0 (weight 1/6) with row 1 (weight 5/6).
    row = torch.tensor([2., 3., 4.])
    expected = torch.stack([row * 5 / 6, row, row])
    torch.testing.assert_close(out[0, 0], expected)
    assert out.shape == (1, 3, 3, 3)


def test_degenerate_box_is_whole_image_resize():
    torch.manual_seed(0)
    image = torch.randn(3, H, W)
    masks = torch.stack([torch.zeros(H, W).bool(), rect(2, 2, 0, 7)])
    out = extract_segment_crops(image, masks, 'crop', 16)
    resized = F.interpolate(
        image[None], size=(16, 16), mode='bilinear', align_corners=False)
    torch.testing.assert_close(out, resized.expand(2, -1, -1, -1))


def test_mask_style():
    image = torch.full((3, H, W), 3.0)
    out = extract_segment_crops(image, rect(0, 5, 0, 3)[None], 'mask', 8)
    mask = F.interpolate(
        rect(0, 5, 0, 3)[None, None].float(), size=(8, 8), mode='bilinear')
    torch.testing.assert_close(out, 3.0 * mask.expand(1, 3, 8, 8))
    assert out[0, 0, 0, 0] == 3.0 and out[0, 0, 0, 7] == 0.0


def test_unique_masks_maps_copies_to_one_entry():
    a, b = mask_with([(1, 2), (3, 4)]), mask_with([(0, 0)])
    empty = torch.zeros(H, W, dtype=torch.bool)
    masks = torch.stack([a, b, a, empty, empty, b])
    distinct, inverse = unique_masks(masks)
    assert distinct.dtype == torch.bool and distinct.shape == (3, H, W)
    assert torch.equal(distinct[inverse], masks)
    assert inverse.tolist() == [0, 1, 0, 2, 2, 1]  # first appearance order
    # an odd pixel count (not a whole number of 64-bit words)
    distinct, inverse = unique_masks(masks[:, :, :7].contiguous())
    assert inverse.tolist() == [0, 1, 0, 2, 2, 1]
    assert torch.equal(distinct[inverse], masks[:, :, :7])


def test_bad_style():
    with pytest.raises(ValueError, match='crop style'):
        extract_segment_crops(ramp_image(), rect(1, 3, 2, 5)[None], 'box', 4)


def test_renormalize_exact():
    seg_mean, seg_std = (123.675, 116.28, 103.53), (58.395, 57.12, 57.375)
    raw = torch.tensor([100., 50., 200.]).view(1, 3, 1, 1)
    seg = (raw - torch.tensor(seg_mean).view(1, 3, 1, 1)) / torch.tensor(
        seg_std).view(1, 3, 1, 1)
    out = renormalize(seg, seg_mean, seg_std, CLIP_MEAN, CLIP_STD)
    expected = [(100 - 122.7709383) / 68.5005327,
                (50 - 116.7460125) / 66.6321579,
                (200 - 104.09373615) / 70.3231630]
    torch.testing.assert_close(out.flatten(), torch.tensor(expected))
