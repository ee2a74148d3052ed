# Copyright (c) mmzs3 contributors. All rights reserved.
"""Segment crops for the CLIP image branch of ZegFormer.

The official styles and constants are listed in
docs/official_implementation.md.
"""
from typing import Dict, List, Sequence, Tuple, Union

import torch
import torch.nn.functional as F
from torch import Tensor
from torchvision.ops import roi_align

#: OpenAI CLIP's pixel mean and std on the 0-255 RGB scale.
CLIP_MEAN = (122.7709383, 116.7460125, 104.09373615)
CLIP_STD = (68.5005327, 66.6321579, 70.3231630)

CROP_STYLES = ('cropmask', 'mask', 'crop')

SizeType = Union[int, Tuple[int, int]]


def renormalize(images: Tensor, src_mean: Sequence[float],
                src_std: Sequence[float], dst_mean: Sequence[float],
                dst_std: Sequence[float]) -> Tensor:
    """Change the normalisation of images, e.g. segmentation -> CLIP.

    Args:
        images (Tensor): Images normalised with ``src_mean``/``src_std``,
            shape (B, 3, H, W).
        src_mean (Sequence[float]): Mean the images were normalised with.
        src_std (Sequence[float]): Std the images were normalised with.
        dst_mean (Sequence[float]): Target mean.
        dst_std (Sequence[float]): Target std.

    Returns:
        Tensor: ``(images * src_std + src_mean - dst_mean) / dst_std``,
        shape (B, 3, H, W). Padding that was 0 in the source space is not 0
        in the target space; re-zero it if needed.
    """

    def column(values: Sequence[float]) -> Tensor:
        return images.new_tensor(values).view(1, -1, 1, 1)

    raw = images * column(src_std) + column(src_mean)
    return (raw - column(dst_mean)) / column(dst_std)


def masks_to_boxes(binary_masks: Tensor) -> Tensor:
    """Tight boxes of binary masks with ZegFormer's edge rules.

    ``x1`` is the first column holding a mask pixel and ``x2`` the last one
    (inclusive index, no +1); the same for rows. If the box area
    ``(y2 - y1) * (x2 - x1)`` is 0 (empty mask, single row or single column)
    the box is the whole image ``[0, 0, W, H]``: in the continuous
    coordinates of ``roi_align(aligned=True)``, where pixel ``i`` spans
    ``[i, i + 1)``, that box covers exactly the (padded) image.

    Args:
        binary_masks (Tensor): Boolean masks, shape (N, H, W).

    Returns:
        Tensor: Float boxes ``(x1, y1, x2, y2)``, shape (N, 4).
    """
    n, h, w = binary_masks.shape
    cols = binary_masks.any(dim=1)  # shape (N, W)
    rows = binary_masks.any(dim=2)  # shape (N, H)
    # argmax returns the first maximal index: the first True.
    x1 = cols.float().argmax(dim=1)
    x2 = w - 1 - cols.flip(1).float().argmax(dim=1)
    y1 = rows.float().argmax(dim=1)
    y2 = h - 1 - rows.flip(1).float().argmax(dim=1)
    boxes = torch.stack([x1, y1, x2, y2], dim=1).float()
    degenerate = ~cols.any(dim=1) | ((y2 - y1) * (x2 - x1) == 0)
    whole = boxes.new_tensor([0., 0., float(w), float(h)])
    return torch.where(degenerate[:, None], whole, boxes)


def fill_outside_mask(clip_images: Tensor, binary_masks: Tensor) -> Tensor:
    """Set pixels outside each mask to 0, i.e. to the CLIP mean colour.

    Args:
        clip_images (Tensor): CLIP-normalised images, shape (B, 3, H, W).
        binary_masks (Tensor): Boolean masks, shape (B, Q, H, W).

    Returns:
        Tensor: One masked image per query, shape (B, Q, 3, H, W).
    """
    return clip_images[:, None] * binary_masks[:, :, None].to(
        clip_images.dtype)


def extract_segment_crops(clip_image: Tensor, binary_masks: Tensor,
                          style: str, out_size: SizeType) -> Tensor:
    """CLIP inputs for the segments of one image, as ZegFormer makes them.

    Styles: ``'cropmask'`` fills outside the mask with the CLIP mean colour
    and crops the mask's tight box; ``'crop'`` crops the tight box of the
    unmasked image; ``'mask'`` resizes the whole image and each mask to the
    output size and multiplies them. Crops are resized without keeping the
    aspect ratio with ``roi_align(spatial_scale=1, sampling_ratio=-1,
    aligned=True)``.

    Args:
        clip_image (Tensor): CLIP-normalised image, shape (3, H, W).
        binary_masks (Tensor): Boolean masks, shape (Q, H, W).
        style (str): ``'cropmask'``, ``'mask'`` or ``'crop'``.
        out_size (int | tuple[int, int]): Output size S (or (S_h, S_w)).

    Returns:
        Tensor: Crops, shape (Q, 3, S, S).
    """
    if style not in CROP_STYLES:
        raise ValueError(
            f'crop style must be one of {CROP_STYLES}, got {style!r}')
    size = (out_size, out_size) if isinstance(out_size, int) else tuple(
        out_size)
    if style == 'mask':
        image = F.interpolate(
            clip_image[None], size=size, mode='bilinear', align_corners=False)
        masks = F.interpolate(
            binary_masks[:, None].to(clip_image.dtype),
            size=size,
            mode='bilinear',
            align_corners=False)
        return image * masks
    boxes = masks_to_boxes(binary_masks).to(clip_image.dtype)
    if style == 'crop':
        return _roi_align(clip_image[None], [boxes], size)
    masked = fill_outside_mask(clip_image[None], binary_masks[None])[0]
    index = torch.arange(
        len(boxes), device=boxes.device, dtype=boxes.dtype)[:, None]
    # one roi per masked image: roi q reads image q
    return _roi_align(masked, torch.cat([index, boxes], dim=1), size)


def unique_masks(binary_masks: Tensor) -> Tuple[Tensor, Tensor]:
    """Distinct binary masks, found on the masks' device.

    Each mask gets an integer signature, a weighted sum (wrapping modulo
    2**64) of its pixels packed into 64-bit words: equal masks always get
    equal signatures, and masks that share one are compared in full, so
    the grouping is exact. Only the Q signatures cross to the host.
    ``torch.unique(dim=0)`` would do the same, but it sorts whole rows and
    took about 4 ms per mask on a GPU for 640 x 640 masks; hashing every
    mask on the host costs a device-to-host copy per mask.

    Args:
        binary_masks (Tensor): Boolean masks, shape (Q, H, W).

    Returns:
        tuple[Tensor, Tensor]: The distinct masks in order of first
        appearance, shape (N, H, W), and for each input mask the index of
        its copy among them, shape (Q, ).
    """
    words = _packed_words(binary_masks)
    generator = torch.Generator().manual_seed(0)
    weights = torch.randint(-2**62, 2**62, (words.shape[1], ),
                            generator=generator).to(words.device)
    signatures = (words * weights).sum(dim=1).tolist()
    firsts: List[int] = []
    inverse: List[int] = []
    by_signature: Dict[int, List[int]] = {}
    for index, signature in enumerate(signatures):
        same = by_signature.setdefault(signature, [])
        match = next((slot for slot in same if torch.equal(
            binary_masks[firsts[slot]], binary_masks[index])), None)
        if match is None:
            match = len(firsts)
            firsts.append(index)
            same.append(match)
        inverse.append(match)
    return (binary_masks[firsts],
            torch.tensor(inverse, device=binary_masks.device))


def _packed_words(binary_masks: Tensor) -> Tensor:
    """Masks as rows of int64 words (8 pixels each), shape (Q, ceil(HW/8))."""
    flat = binary_masks.flatten(1).view(torch.uint8)
    flat = F.pad(flat, (0, -flat.shape[1] % 8))
    return flat.view(torch.int64)


def _roi_align(images: Tensor, rois, size: Tuple[int, int]) -> Tensor:
    return roi_align(
        images,
        rois,
        output_size=size,
        spatial_scale=1.0,
        sampling_ratio=-1,
        aligned=True)
