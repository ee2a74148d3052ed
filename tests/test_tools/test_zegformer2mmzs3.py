# Copyright (c) mmzs3 contributors. All rights reserved.
"""The official-checkpoint converter on random detectron2-layout weights
with every key and shape of the reference key lists."""
import argparse
import importlib.util
import os.path as osp
import sys

import numpy as np
import open_clip
import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmzs3.apis import ZegFormerInferencer
from mmzs3.datasets import get_split
from mmzs3.models.utils.open_clip_utils import build_open_clip, keep_part
from mmzs3.registry import MODELS
from ..conftest import Exploit

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
KEYS = osp.join(REPO, 'tests', 'data', 'zegformer_keys')
COCO = get_split('coco_stuff_171')
sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_segmentors'))
from tiny_zegformer import tiny_clip_cfg  # noqa: E402


def load_tool():
    path = osp.join(REPO, 'tools', 'model_converters', 'zegformer2mmzs3.py')
    spec = importlib.util.spec_from_file_location('zegformer2mmzs3', path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


conv = load_tool()


def read_key_list(name):
    """(key, shape) pairs of a reference key list."""
    pairs = []
    with open(osp.join(KEYS, name)) as f:
        for line in f:
            if line.startswith('#') or not line.strip():
                continue
            key, shape = line.rstrip('\n').split('\t')
            dims = shape.strip('[]').replace(' ', '')
            pairs.append((key, [int(d) for d in dims.split(',') if d]))
    return pairs


def random_official(depth):
    gen = torch.Generator().manual_seed(depth)
    return {
        key: torch.randn(shape, generator=gen)
        for key, shape in read_key_list(
            f'zegformer_R{depth}_coco_state_dict_keys.txt')
    }


def full_model(depth):
    """The full-size R50/R101 ZegFormer with tiny (exempt) CLIP towers of
    ViT-B/16's 512-d embeddings (the head's text dimension follows them)."""
    init_default_scope('mmseg')
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/models/zegformer_r50.py')).model
    cfg.backbone.update(depth=depth, init_cfg=None)
    cfg.text_encoder = clip512_cfg('OpenCLIPTextEncoder')
    cfg.clip_classifier = clip512_cfg('CLIPSegmentClassifier')
    return MODELS.build(cfg)


def is_clip(key):
    return key.startswith(tuple(conv.CLIP_TOWERS.values()))


@pytest.mark.parametrize('depth', [50, 101])
def test_every_key_lands_on_the_model(depth):
    official = random_official(depth)
    assert len(official) == {50: 412, 101: 667}[depth]
    converted = conv.convert_zegformer(official)
    model = full_model(depth)
    target = model.state_dict()
    wrong = [(k, tuple(v.shape), tuple(target[k].shape))
             for k, v in converted.items()
             if k not in target or v.shape != target[k].shape]
    assert not wrong
    uncovered = [k for k in target if not is_clip(k) and k not in converted]
    assert uncovered == []
    missing, unexpected = model.load_state_dict(converted, strict=False)
    assert unexpected == [] and all(is_clip(k) for k in missing)
    loaded = model.state_dict()
    for src, dst in [
        ('backbone.res4.5.conv2.norm.running_var',
         'backbone.layer3.5.bn2.running_var'),
        ('sem_seg_head.pixel_decoder.adapter_3.norm.bias',
         'decode_head.pixel_decoder.lateral_convs.2.gn.bias'),
        ('sem_seg_head.pixel_decoder.layer_4.weight',
         'decode_head.pixel_decoder.last_feat_conv.conv.weight'),
        ('sem_seg_head.predictor.transformer.decoder.layers.5.'
         'multihead_attn.in_proj_weight',
         'decode_head.transformer_decoder.layers.5.cross_attn.attn.'
         'in_proj_weight'),
        ('sem_seg_head.predictor.transformer.decoder.layers.2.norm3.weight',
         'decode_head.transformer_decoder.layers.2.norms.2.weight'),
        ('sem_seg_head.predictor.mask_embed.layers.2.bias',
         'decode_head.mask_embed.4.bias'),
        ('sem_seg_head.predictor.bg_feature',
         'decode_head.cls_embed.bg_embed'),
    ]:
        assert torch.equal(loaded[dst], official[src]), dst
    assert 'criterion.empty_weight' in official


def test_round_trips_are_the_identity():
    official = random_official(50)
    del official['criterion.empty_weight']
    back = conv.revert_zegformer(conv.convert_zegformer(official))
    assert sorted(back) == sorted(official)
    assert all(torch.equal(back[k], v) for k, v in official.items())
    model = full_model(50)
    state = model.state_dict()
    again = conv.convert_zegformer(conv.revert_zegformer(state))
    assert sorted(again) == sorted(state)
    assert all(torch.equal(again[k], v) for k, v in state.items())


def test_mismatching_checkpoint_names_the_keys():
    official = random_official(50)
    del official['sem_seg_head.predictor.query_embed.weight']
    official['sem_seg_head.predictor.class_embed.weight'] = torch.zeros(2)
    with pytest.raises(KeyError) as info:
        conv.convert_zegformer(official)
    message = str(info.value)
    assert 'unmapped keys (1)' in message
    assert 'sem_seg_head.predictor.class_embed.weight' in message
    assert 'missing keys (1)' in message
    assert 'sem_seg_head.predictor.query_embed.weight' in message
    official = random_official(50)
    for key in [k for k in official if k.startswith('backbone.res4.5.')]:
        del official[key]
    with pytest.raises(ValueError, match='5 res4 blocks'):
        conv.convert_zegformer(official)


def test_official_clip_keys_map_onto_open_clip_vit_b16():
    with torch.device('meta'):
        clip = build_open_clip('ViT-B-16')
        text = keep_part(build_open_clip('ViT-B-16'), 'text').state_dict()
        visual = keep_part(clip, 'visual').state_dict()
    expected = {'text_encoder.model.' + k: v for k, v in text.items()}
    expected.update(
        {'clip_classifier.model.' + k: v for k, v in visual.items()})
    official = random_official(50)
    clip_keys = read_key_list('zegformer_clip_vitb16_submodule_keys.txt')
    assert len(clip_keys) == 302
    official.update({k: torch.zeros(s) for k, s in clip_keys})
    converted = conv.convert_zegformer(official)
    towers = {k: v for k, v in converted.items() if is_clip(k)}
    assert sorted(towers) == sorted(expected)
    for key, value in towers.items():
        # OpenAI stores logit_scale as a scalar, open_clip as shape ()
        assert value.numel() == expected[key].numel(), key


def tiny_clip_state(seed):
    torch.manual_seed(seed)
    cfg = clip512_cfg('x')
    model = build_open_clip(cfg['model_name'], cfg['model_cfg'])
    return model


def test_cli_stores_user_clip_weights_jit_and_plain(tmp_path, monkeypatch):
    clip = tiny_clip_state(1).eval()
    plain = tmp_path / 'clip_plain.pt'
    torch.save(clip.state_dict(), plain)
    jit = tmp_path / 'clip_jit.pt'
    image, tokens = torch.zeros(1, 3, 32, 32), open_clip.tokenize(
        ['a cat'], context_length=16)
    torch.jit.save(torch.jit.trace(
        clip, (image, tokens), strict=False, check_trace=False), jit)
    src = tmp_path / 'official.pth'
    official = random_official(50)
    torch.save({'model': official, 'iteration': 59999}, src)
    model = full_model(50)
    for weights in (plain, jit):
        dst = tmp_path / f'mmzs3_{weights.stem}.pth'
        monkeypatch.setattr(sys, 'argv', [
            'zegformer2mmzs3.py',
            str(src), str(dst), '--clip',
            str(weights), '--dataset', 'voc'
        ])
        conv.main()
        ckpt = torch.load(dst, weights_only=False)
        assert ckpt['meta']['converted_from'] == 'official.pth'
        assert ckpt['meta']['dataset_meta']['class_split'] == 'voc_20'
        assert ckpt['meta']['calibration_gamma'] == 0.0
        state = ckpt['state_dict']
        assert torch.equal(state['text_encoder.model.text_projection'],
                           clip.text_projection)
        assert torch.equal(state['clip_classifier.model.visual.proj'],
                           clip.visual.proj)
        model.load_state_dict(state, strict=True)
    reverse = tmp_path / 'back.pth'
    monkeypatch.setattr(
        sys, 'argv',
        ['zegformer2mmzs3.py',
         str(dst), str(reverse), '--reverse'])
    conv.main()
    back = torch.load(reverse, weights_only=False)['model']
    assert torch.equal(back['backbone.stem.conv1.weight'],
                       official['backbone.stem.conv1.weight'])
    assert torch.equal(
        back['sem_seg_head.predictor.clip_model.visual.proj'],
        clip.visual.proj)


def test_cli_refuses_pickled_code_and_nan_weights(tmp_path, monkeypatch):
    """The converter loads through the allowlisted unpickler: a file that
    carries code is refused unrun, and NaN weights are refused too."""
    from mmzs3.utils import NonFiniteCheckpointError, UnsafeCheckpointError
    marker = tmp_path / 'ran'
    src = tmp_path / 'evil.pth'
    torch.save({'model': random_official(50), 'x': Exploit(str(marker))},
               src)
    dst = tmp_path / 'out.pth'
    monkeypatch.setattr(sys, 'argv', ['zegformer2mmzs3.py', str(src),
                                      str(dst), '--dataset', 'coco-stuff'])
    with pytest.raises(UnsafeCheckpointError, match=r'evil\.pth.*system'):
        conv.main()
    assert not marker.exists() and not dst.exists()
    official = random_official(50)
    official['sem_seg_head.predictor.query_embed.weight'][0, 0] = float('nan')
    torch.save({'model': official}, src)
    with pytest.raises(NonFiniteCheckpointError, match='query_embed'):
        conv.main()
    assert not dst.exists()


def convert_cli(monkeypatch, *argv):
    monkeypatch.setattr(sys, 'argv', ['zegformer2mmzs3.py', *map(str, argv)])
    conv.main()


def test_cli_needs_the_training_set(tmp_path, monkeypatch, capsys):
    src = tmp_path / 'official.pth'
    torch.save({'model': random_official(50)}, src)
    with pytest.raises(SystemExit):
        convert_cli(monkeypatch, src, tmp_path / 'out.pth')
    assert '--dataset' in capsys.readouterr().err
    assert not (tmp_path / 'out.pth').exists()


def vocabulary(depth=50, dataset=None, split_file=None, gamma=None):
    return conv.vocabulary_meta(
        argparse.Namespace(dataset=dataset, split_file=split_file,
                           gamma=gamma), depth)


def test_stored_vocabulary_and_gamma(tmp_path):
    voc = get_split('voc_20')
    meta = vocabulary(dataset='voc')
    assert meta['dataset_meta'] == dict(
        classes=list(voc.classes), seen_classes=list(voc.seen_classes),
        unseen_classes=['potted plant', 'sheep', 'sofa', 'train',
                        'tvmonitor'], class_split='voc_20')
    # the official evaluations: R50 VOC without calibration, R101 with 0.1
    assert meta['calibration_gamma'] == 0.0
    assert vocabulary(101, dataset='voc')['calibration_gamma'] == 0.1
    assert vocabulary(dataset='coco-stuff')['calibration_gamma'] == 0.1
    meta = vocabulary(dataset='ade847', gamma=0.25)
    assert meta['calibration_gamma'] == 0.25
    assert len(meta['dataset_meta']['seen_classes']) == 572
    # a split TSV (the shipped copy of the COCO-Stuff table), or a class
    # list (all seen): the names, no gamma unless given
    tsv = osp.join(REPO, 'tests', 'data', 'splits',
                   'zegformer_cocostuff171_split.tsv')
    names = tmp_path / 'names.txt'
    names.write_text('cat\ndog\n')
    for split_file, classes, seen in (
            (tsv, COCO.classes, COCO.seen_classes),
            (str(names), ('cat', 'dog'), ('cat', 'dog'))):
        meta = vocabulary(split_file=split_file)
        assert 'calibration_gamma' not in meta
        assert tuple(meta['dataset_meta']['classes']) == classes
        assert tuple(meta['dataset_meta']['seen_classes']) == seen
        assert meta['dataset_meta']['class_split'] is None
    assert vocabulary(split_file=str(names),
                      gamma=0.2)['calibration_gamma'] == 0.2
    bad = tmp_path / 'bad.tsv'
    bad.write_text('name\tsplit\ncat\tseen\ndog\tmaybe\n')
    with pytest.raises(ValueError, match=r'bad\.tsv, line 3.*maybe'):
        vocabulary(split_file=str(bad))
    bad.write_text('class\tseen\ncat\tyes\n')
    with pytest.raises(ValueError, match=r"bad\.tsv.*'name' and 'split'"):
        vocabulary(split_file=str(bad))


def clip512_cfg(type_name):
    """The tiny CLIP towers with ViT-B/16's 512-d embeddings, which the
    full-size head's text classifier expects."""
    cfg = tiny_clip_cfg(type_name)
    cfg['model_cfg'] = dict(cfg['model_cfg'], embed_dim=512)
    return dict(cfg, model_name='mmzs3-a2-tiny-512')


def finite_official(depth):
    """``random_official`` scaled so that a forward pass stays finite:
    N(0, 0.02) values and positive BN variances."""
    return {
        k: v.abs() + 0.5 if k.endswith('running_var') else v * 0.02
        for k, v in random_official(depth).items()
    }


def r50_inferencer(checkpoint, **kwargs):
    """The inferencer on the full-size R50 ZegFormer with tiny CLIP towers,
    the config's gamma 0 and no resize (64x64 images stay 64x64)."""
    init_default_scope('mmseg')
    model = Config.fromfile(
        osp.join(REPO, 'configs/_base_/models/zegformer_r50.py')).model
    model.text_encoder = clip512_cfg('OpenCLIPTextEncoder')
    model.clip_classifier = clip512_cfg('CLIPSegmentClassifier')
    assert (model.calibration_gamma, model.fusion_mode) == (0.0, 'fused')
    cfg = Config(dict(default_scope='mmseg', model=model))
    return ZegFormerInferencer(cfg, str(checkpoint), device='cpu', **kwargs)


@pytest.fixture(scope='module')
def converted(tmp_path_factory):
    """An official-layout R50 checkpoint converted with --dataset
    coco-stuff and tiny CLIP weights, and the same without the dataset."""
    root = tmp_path_factory.mktemp('converted')
    src, clip = root / 'official.pth', root / 'clip.pt'
    torch.save({'model': finite_official(50)}, src)
    cfg = clip512_cfg('x')
    torch.manual_seed(2)
    torch.save(
        build_open_clip(cfg['model_name'], cfg['model_cfg']).state_dict(),
        clip)
    dst = root / 'coco.pth'
    with pytest.MonkeyPatch.context() as mp:
        convert_cli(mp, src, dst, '--clip', clip, '--dataset', 'coco-stuff')
    bare = root / 'bare.pth'
    ckpt = torch.load(dst, weights_only=False)
    del ckpt['meta']['dataset_meta'], ckpt['meta']['calibration_gamma']
    torch.save(ckpt, bare)
    image = np.random.default_rng(0).integers(0, 256, (64, 64, 3),
                                              dtype=np.uint8)
    return dict(coco=dst, bare=bare, image=image)


def seg_logits(inferencer, image):
    out = inferencer(image, return_datasamples=True)
    return out.seg_logits.data


def test_converted_checkpoint_knows_its_seen_classes_and_gamma(
        converted, monkeypatch, recwarn):
    monkeypatch.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
    # only the 171 names, as a new user passes them
    inferencer = r50_inferencer(converted['coco'], classes=COCO.classes)
    model = inferencer.model
    # the checkpoint's, over the config's 0.0
    assert model.calibration_gamma == 0.1
    assert model.seen_classes == COCO.seen_classes
    seen = model.seen_mask()
    assert int(seen.sum()) == 156
    assert [COCO.classes[i] for i in (~seen).nonzero()[:, 0]] == list(
        COCO.unseen_classes)
    calibrated = seg_logits(inferencer, converted['image'])
    model.calibration_gamma = 0.0
    raw = seg_logits(inferencer, converted['image'])
    # gamma 0.1 subtracted from the 156 seen maps, the 15 unseen untouched
    delta = (raw - calibrated).flatten(1)
    torch.testing.assert_close(delta[seen], torch.full_like(delta[seen], 0.1))
    assert torch.equal(delta[~seen], torch.zeros_like(delta[~seen]))
    # nothing given: the checkpoint's vocabulary; a vocabulary without
    # seen names keeps the stored seen names it contains
    plain = r50_inferencer(converted['coco'])
    assert plain.classes == COCO.classes
    assert plain.model.seen_classes == COCO.seen_classes
    plain.set_vocabulary(['cow', 'cat', 'sky-other', 'unicorn'])
    assert plain.model.seen_mask().tolist() == [False, True, True, False]
    assert not [w for w in recwarn if 'seen classes' in str(w.message)]

    # without the meta: all unseen, other fusion, ONE warning
    bare = r50_inferencer(converted['bare'], classes=COCO.classes)
    assert bare.model.calibration_gamma == 0.0
    assert bare.model.seen_classes is None
    with pytest.warns(UserWarning, match='every class is treated as unseen'
                      ) as caught:
        uncalibrated = seg_logits(bare, converted['image'])
        seg_logits(bare, converted['image'])
    assert len([w for w in caught if 'unseen' in str(w.message)]) == 1
    assert 'seen_classes=[...]' in str(caught[0].message)
    assert not bare.model.seen_mask().any()
    assert torch.isfinite(uncalibrated).all()
