# Copyright (c) mmzs3 contributors. All rights reserved.
"""Convert official (detectron2) ZegFormer checkpoints to mmzs3 checkpoints.

The official checkpoints are ``{'model': state_dict, ...}`` pickles; the
result is ``{'state_dict': ..., 'meta': ...}`` for ``ZegFormer`` models
built from ``configs/_base_/models/zegformer_r50.py`` (R50) or with
``depth=101`` (R101). Every key is mapped through an explicit table built
from the architecture, so that an unknown or a missing key is an error
naming it, and the mapping can be inverted (``--reverse``).

The CLIP ViT-B/16 towers (text encoder and segment re-classifier) are not in
training checkpoints; pass OpenAI's weights with ``--clip`` (``.pt``, JIT
archive or state dict) to store them in the converted checkpoint.

Official checkpoints do not name their classes either. ``--dataset`` (the
training set: ``coco-stuff``, ``voc`` or ``ade847``) or ``--split-file``
stores the vocabulary and its seen / unseen names as
``meta['dataset_meta']`` (the form mmengine's checkpoints use), and γ, the
calibration of the official evaluation, as ``meta['calibration_gamma']``
(``meta['gamma']`` in older conversions); the inferencer reads both.

Example::

    python tools/model_converters/zegformer2mmzs3.py \\
        zegformer_R101_bs32_60k_vit16_coco-stuff.pth \\
        checkpoints/zegformer_r101_coco-stuff.pth --clip ViT-B-16.pt \\
        --dataset coco-stuff
"""
import argparse
import csv
import os.path as osp
import re
from collections import OrderedDict
from typing import Dict, List, Optional, Tuple

import torch

from mmzs3.datasets.splits import ZeroShotSplit, get_split
from mmzs3.models.utils.open_clip_utils import (part_of_key,
                                                read_clip_state_dict)
from mmzs3.utils import read_class_names, safe_torch_load

#: Blocks per ResNet stage (res2..res5) by depth.
STAGE_BLOCKS = {50: (3, 4, 6, 3), 101: (3, 4, 23, 3)}
BN_PARAMS = ('weight', 'bias', 'running_mean', 'running_var')
GN_PARAMS = ('weight', 'bias')
DROPPED = ('criterion.empty_weight', )
CLIP_PREFIX = 'sem_seg_head.predictor.clip_model.'
#: mmzs3 prefixes of the CLIP text tower and of the image tower.
CLIP_TOWERS = {'text': 'text_encoder.model.',
               'visual': 'clip_classifier.model.'}
_BACKBONE = 'backbone.'
_DECODER = 'sem_seg_head.pixel_decoder.'
_PREDICTOR = 'sem_seg_head.predictor.'
_HEAD = 'decode_head.'

KeyPairs = List[Tuple[str, str]]
#: ``--dataset`` value -> the zero-shot split the official model trained on.
DATASET_SPLITS = {
    'coco-stuff': 'coco_stuff_171',
    'voc': 'voc_20',
    'ade847': 'ade20k_full_847'
}
#: γ of the official evaluation configs, by (``--dataset``, ResNet depth);
#: the official R50 VOC evaluation leaves calibration off.
OFFICIAL_GAMMA = {
    ('coco-stuff', 50): 0.1,
    ('coco-stuff', 101): 0.1,
    ('voc', 50): 0.0,
    ('voc', 101): 0.1,
    ('ade847', 50): 0.0,
    ('ade847', 101): 0.0,
}


def _norm_pairs(src: str, dst: str, params: Tuple[str, ...]) -> KeyPairs:
    return [(f'{src}.{p}', f'{dst}.{p}') for p in params]


def backbone_pairs(depth: int) -> KeyPairs:
    """(official, mmzs3) names of a detectron2 ResNet's weights.

    detectron2's FrozenBatchNorm2d keeps ``weight``, ``bias``,
    ``running_mean`` and ``running_var``, as mmseg's BN with frozen
    statistics does (``norm_cfg=dict(type='BN', requires_grad=False)``).
    """
    pairs = [(f'{_BACKBONE}stem.conv1.weight', f'{_BACKBONE}conv1.weight')]
    pairs += _norm_pairs(f'{_BACKBONE}stem.conv1.norm', f'{_BACKBONE}bn1',
                         BN_PARAMS)
    for stage, blocks in enumerate(STAGE_BLOCKS[depth], 2):
        for block in range(blocks):
            src = f'{_BACKBONE}res{stage}.{block}'
            dst = f'{_BACKBONE}layer{stage - 1}.{block}'
            for conv in (1, 2, 3):
                pairs.append((f'{src}.conv{conv}.weight',
                              f'{dst}.conv{conv}.weight'))
                pairs += _norm_pairs(f'{src}.conv{conv}.norm',
                                     f'{dst}.bn{conv}', BN_PARAMS)
            if block == 0:
                pairs.append((f'{src}.shortcut.weight',
                              f'{dst}.downsample.0.weight'))
                pairs += _norm_pairs(f'{src}.shortcut.norm',
                                     f'{dst}.downsample.1', BN_PARAMS)
    return pairs


def pixel_decoder_pairs() -> KeyPairs:
    """Names of detectron2's ``BasePixelDecoder`` vs mmdet's
    ``PixelDecoder`` (``adapter_i``/``layer_i`` are the lateral/output convs
    of level ``i``; ``layer_4`` convolves the last feature)."""
    dst_root = f'{_HEAD}pixel_decoder.'
    convs = [(f'adapter_{i}', f'lateral_convs.{i - 1}') for i in (1, 2, 3)]
    convs += [(f'layer_{i}', f'output_convs.{i - 1}') for i in (1, 2, 3)]
    convs.append(('layer_4', 'last_feat_conv'))
    pairs = []
    for src, dst in convs:
        pairs.append((f'{_DECODER}{src}.weight',
                      f'{dst_root}{dst}.conv.weight'))
        pairs += _norm_pairs(f'{_DECODER}{src}.norm', f'{dst_root}{dst}.gn',
                             GN_PARAMS)
    pairs += _norm_pairs(f'{_DECODER}mask_features',
                         f'{dst_root}mask_feature', GN_PARAMS)
    return pairs


def decoder_layer_pairs(layer: int) -> KeyPairs:
    """A DETR decoder layer: ``nn.MultiheadAttention`` (packed q/k/v) sits
    at ``attn`` inside mmcv's ``MultiheadAttention`` wrapper, so the packed
    ``in_proj_weight`` is kept as is."""
    src = f'{_PREDICTOR}transformer.decoder.layers.{layer}'
    dst = f'{_HEAD}transformer_decoder.layers.{layer}'
    attn_params = ('in_proj_weight', 'in_proj_bias', 'out_proj.weight',
                   'out_proj.bias')
    pairs = []
    for src_attn, dst_attn in (('self_attn', 'self_attn.attn'),
                               ('multihead_attn', 'cross_attn.attn')):
        pairs += _norm_pairs(f'{src}.{src_attn}', f'{dst}.{dst_attn}',
                             attn_params)
    pairs += _norm_pairs(f'{src}.linear1', f'{dst}.ffn.layers.0.0',
                         GN_PARAMS)
    pairs += _norm_pairs(f'{src}.linear2', f'{dst}.ffn.layers.1', GN_PARAMS)
    for norm in (1, 2, 3):  # post-norm: after self-attn, cross-attn, FFN
        pairs += _norm_pairs(f'{src}.norm{norm}', f'{dst}.norms.{norm - 1}',
                             GN_PARAMS)
    return pairs


def predictor_pairs(num_layers: int) -> KeyPairs:
    """The transformer predictor and the text classifier (``bg_feature``,
    ``projection_layer``, ``logit_scale``) of ``SegmentTextClassifier``."""
    pairs = [
        (f'{_PREDICTOR}bg_feature', f'{_HEAD}cls_embed.bg_embed'),
        (f'{_PREDICTOR}logit_scale', f'{_HEAD}cls_embed.logit_scale'),
        (f'{_PREDICTOR}query_embed.weight', f'{_HEAD}query_embed.weight'),
    ]
    pairs += _norm_pairs(f'{_PREDICTOR}projection_layer',
                         f'{_HEAD}cls_embed.projection', GN_PARAMS)
    pairs += _norm_pairs(f'{_PREDICTOR}input_proj',
                         f'{_HEAD}decoder_input_proj', GN_PARAMS)
    for layer in range(num_layers):
        pairs += decoder_layer_pairs(layer)
    pairs += _norm_pairs(f'{_PREDICTOR}transformer.decoder.norm',
                         f'{_HEAD}transformer_decoder.post_norm', GN_PARAMS)
    for i in range(3):  # mmdet's MLP is a Sequential with ReLUs between
        pairs += _norm_pairs(f'{_PREDICTOR}mask_embed.layers.{i}',
                             f'{_HEAD}mask_embed.{2 * i}', GN_PARAMS)
    return pairs


def key_pairs(depth: int, num_layers: int = 6) -> KeyPairs:
    """Every (official, mmzs3) key pair of a ZegFormer model without CLIP.

    Args:
        depth (int): ResNet depth, 50 or 101.
        num_layers (int): Transformer decoder layers. Defaults to 6.

    Returns:
        list[tuple[str, str]]: The pairs, in model order.
    """
    return (backbone_pairs(depth) + pixel_decoder_pairs() +
            predictor_pairs(num_layers))


#: Patterns giving the res4 block and decoder layer indices of each layout.
OFFICIAL_COUNTERS = (r'backbone\.res4\.(\d+)\.',
                     r'sem_seg_head\.predictor\.transformer\.decoder\.'
                     r'layers\.(\d+)\.')
MMZS3_COUNTERS = (r'backbone\.layer3\.(\d+)\.',
                  r'decode_head\.transformer_decoder\.layers\.(\d+)\.')


def infer_architecture(keys: List[str],
                       counters: Tuple[str, str] = OFFICIAL_COUNTERS
                       ) -> Tuple[int, int]:
    """ResNet depth and decoder layer count of a state dict's keys.

    Args:
        keys (list[str]): State-dict keys.
        counters (tuple[str, str]): Regular expressions capturing the res4
            block index and the decoder layer index. Defaults to the
            official layout's.

    Returns:
        tuple[int, int]: The depth (50 or 101) and the number of layers.
    """
    res4, layers = (
        len({m.group(1) for m in map(re.compile(p).match, keys) if m})
        for p in counters)
    depths = [d for d, blocks in STAGE_BLOCKS.items() if res4 == blocks[2]]
    if not depths:
        raise ValueError(
            f'not a ZegFormer R50/R101 checkpoint: {res4} res4 blocks '
            '(expected 6 for R50 or 23 for R101)')
    return depths[0], layers


def _check_keys(have: List[str], expected: List[str], what: str) -> None:
    """Raise a KeyError naming unmapped and missing keys."""
    unmapped = sorted(set(have) - set(expected))
    missing = sorted(set(expected) - set(have))
    if not unmapped and not missing:
        return
    lines = [f'{what} does not match the ZegFormer layout']
    if unmapped:
        lines.append(f'unmapped keys ({len(unmapped)}): {unmapped}')
    if missing:
        lines.append(f'missing keys ({len(missing)}): {missing}')
    raise KeyError('; '.join(lines))


def convert_clip(clip: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """OpenAI/open_clip CLIP keys to the mmzs3 text / image towers.

    ``attn_mask`` (a causal mask that TorchScript archives of open_clip
    models carry) is dropped: open_clip rebuilds it and does not save it.
    """
    return OrderedDict((CLIP_TOWERS[part_of_key(k)] + k, v)
                       for k, v in clip.items() if k != 'attn_mask')


def convert_zegformer(
        official: Dict[str, torch.Tensor],
        clip: Optional[Dict[str, torch.Tensor]] = None
) -> Dict[str, torch.Tensor]:
    """Official ZegFormer state dict to an mmzs3 ``ZegFormer`` state dict.

    Args:
        official (dict[str, Tensor]): The detectron2 ``model`` state dict.
        clip (dict[str, Tensor], optional): CLIP weights (open_clip names);
            they replace ``clip_model.*`` entries of the checkpoint.
            Defaults to None.

    Returns:
        dict[str, Tensor]: The mmzs3 state dict (BN layers get
        ``num_batches_tracked = 0``).

    Raises:
        KeyError: Naming every unmapped and every missing key.
    """
    official = {k: v for k, v in official.items() if k not in DROPPED}
    ckpt_clip = {
        k[len(CLIP_PREFIX):]: official.pop(k)
        for k in list(official) if k.startswith(CLIP_PREFIX)
    }
    pairs = key_pairs(*infer_architecture(list(official)))
    _check_keys(list(official), [src for src, _ in pairs], 'checkpoint')
    state_dict = OrderedDict((dst, official[src]) for src, dst in pairs)
    for dst in list(state_dict):
        if dst.endswith('.running_var'):
            state_dict[dst[:-len('running_var')] + 'num_batches_tracked'] = \
                torch.tensor(0, dtype=torch.long)
    state_dict.update(convert_clip(clip if clip is not None else ckpt_clip))
    return state_dict


def revert_zegformer(
        state_dict: Dict[str, torch.Tensor]) -> Dict[str, torch.Tensor]:
    """mmzs3 ``ZegFormer`` state dict back to the official layout.

    Args:
        state_dict (dict[str, Tensor]): An mmzs3 state dict.

    Returns:
        dict[str, Tensor]: The detectron2 ``model`` state dict (CLIP towers
        under ``sem_seg_head.predictor.clip_model``).

    Raises:
        KeyError: Naming every unmapped and every missing key.
    """
    state_dict = {
        k: v
        for k, v in state_dict.items()
        if not k.endswith('.num_batches_tracked')
    }
    official = OrderedDict()
    for key in list(state_dict):
        for prefix in CLIP_TOWERS.values():
            if key.startswith(prefix):
                official[CLIP_PREFIX + key[len(prefix):]] = state_dict.pop(key)
    depth, layers = infer_architecture(list(state_dict), MMZS3_COUNTERS)
    pairs = key_pairs(depth, layers)
    _check_keys(list(state_dict), [dst for _, dst in pairs], 'state dict')
    for src, dst in pairs:
        official[src] = state_dict[dst]
    return official


def read_split_file(path: str) -> ZeroShotSplit:
    """A vocabulary and its seen / unseen names from a file.

    A ``.tsv`` file has a header row with ``name`` and ``split`` columns
    (``seen`` or ``unseen``), one class per row in label order, like the
    split tables of ``mmzs3/datasets/splits``. Any other file is a
    class-list file (one name per line): every class is seen.

    Args:
        path (str): The file.

    Returns:
        ZeroShotSplit: The split, named after the file.

    Raises:
        ValueError: Naming the file, and the row or column at fault.
    """
    name = osp.basename(path)
    if not path.endswith('.tsv'):
        classes = tuple(read_class_names(path))
        return ZeroShotSplit(name, classes, classes, ())
    with open(path, encoding='utf-8-sig', newline='') as f:
        rows = list(csv.DictReader(f, delimiter='\t'))
    if not rows or not {'name', 'split'} <= set(rows[0]):
        raise ValueError(f'{path}: a split file needs a header row with '
                         "'name' and 'split' columns and one row per class")
    for line, row in enumerate(rows, 2):
        if row['split'] not in ('seen', 'unseen') or not row['name']:
            raise ValueError(f'{path}, line {line}: expected a name and '
                             f"'seen' or 'unseen', got {row['name']!r}, "
                             f"{row['split']!r}")
    classes = tuple(row['name'] for row in rows)
    if len(set(classes)) != len(classes):
        raise ValueError(f'{path}: duplicate class names')
    return ZeroShotSplit(
        name, classes,
        tuple(row['name'] for row in rows if row['split'] == 'seen'),
        tuple(row['name'] for row in rows if row['split'] == 'unseen'))


def vocabulary_meta(args: argparse.Namespace, depth: int) -> dict:
    """``dataset_meta`` and ``calibration_gamma`` entries of the converted
    ``meta``."""
    if args.dataset:
        split = get_split(DATASET_SPLITS[args.dataset])
        gamma = OFFICIAL_GAMMA[(args.dataset, depth)]
    else:
        split, gamma = read_split_file(args.split_file), None
    if args.gamma is not None:
        gamma = args.gamma
    meta = dict(dataset_meta=split.dataset_meta())
    if gamma is not None:
        meta['calibration_gamma'] = gamma
    return meta


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description='Convert an official ZegFormer (detectron2) checkpoint '
        'to an mmzs3 checkpoint, or back with --reverse.')
    parser.add_argument('src', help='source checkpoint')
    parser.add_argument('dst', help='output checkpoint')
    parser.add_argument(
        '--clip',
        help='OpenAI CLIP ViT-B/16 weights (.pt, JIT or not, or an '
        'open_clip state dict) for the text encoder and the CLIP '
        're-classifier')
    vocabulary = parser.add_mutually_exclusive_group()
    vocabulary.add_argument(
        '--dataset',
        choices=sorted(DATASET_SPLITS),
        help='the training set; stores its classes, seen / unseen names '
        'and the official gamma in the checkpoint')
    vocabulary.add_argument(
        '--split-file',
        help='the vocabulary instead: a .tsv with name and split (seen / '
        'unseen) columns, or a class-list file (every class seen)')
    parser.add_argument(
        '--gamma',
        type=float,
        help='calibration gamma to store (default: the official one of '
        '--dataset; none with --split-file)')
    parser.add_argument(
        '--reverse',
        action='store_true',
        help='convert an mmzs3 checkpoint to the official layout')
    args = parser.parse_args()
    if not args.reverse and not (args.dataset or args.split_file):
        parser.error('pass the training set with --dataset '
                     f'({"/".join(sorted(DATASET_SPLITS))}) or --split-file, '
                     'so that the checkpoint knows its classes and which of '
                     'them are seen')
    return args


def main() -> None:
    args = parse_args()
    # The allowlisted unpickler: a checkpoint that asks for any other global
    # (code to run) is refused before it is called.
    ckpt = safe_torch_load(args.src, map_location='cpu')
    if args.reverse:
        state_dict = ckpt.get('state_dict', ckpt)
        torch.save({'model': revert_zegformer(state_dict)}, args.dst)
        print(f'wrote {args.dst} (official layout)')
        return
    if not isinstance(ckpt, dict) or 'model' not in ckpt:
        raise KeyError(f'{args.src} is not a detectron2 checkpoint: it has '
                       "no 'model' entry")
    depth, _ = infer_architecture(list(ckpt['model']))
    vocabulary = vocabulary_meta(args, depth)
    clip = read_clip_state_dict(args.clip) if args.clip else None
    state_dict = convert_zegformer(ckpt['model'], clip)
    meta = dict(
        converted_from=osp.basename(args.src),
        converter='zegformer2mmzs3',
        clip=osp.basename(args.clip) if args.clip else None,
        **vocabulary)
    torch.save({'state_dict': state_dict, 'meta': meta}, args.dst)
    dataset_meta = vocabulary['dataset_meta']
    print(f'wrote {args.dst}: {len(state_dict)} tensors, '
          f'{len(dataset_meta["classes"])} classes '
          f'({len(dataset_meta["seen_classes"])} seen), '
          'calibration_gamma '
          f'{vocabulary.get("calibration_gamma", "from the config")}')


if __name__ == '__main__':
    main()
