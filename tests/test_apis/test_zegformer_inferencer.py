# Copyright (c) mmzs3 contributors. All rights reserved.
"""ZegFormerInferencer on a tiny random ZegFormer (tiny random CLIP)."""
import os
import os.path as osp
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmzs3.apis import (ZegFormerInferencer, clear_init_cfg,
                        inference_pipeline, parse_vocabulary)
from ..conftest import REPO_ROOT as REPO
from ..conftest import write_seg_dataset

sys.path.insert(0, osp.join(REPO, 'tests', 'test_models', 'test_segmentors'))
from tiny_zegformer import (ALL, SEEN, build_tiny_model,  # noqa: E402
                            tiny_model_cfg)


def write_config(root, data_root):
    """A full test config around the tiny model, for tools/test.py too."""
    model = tiny_model_cfg(with_clip=True)
    model.calibration_gamma = 0.1
    cfg = Config(
        dict(
            default_scope='mmseg',
            custom_imports=dict(
                imports=['mmzs3', 'mmzs3.visualization'],
                allow_failed_imports=False),
            model=model,
            test_dataloader=dict(
                batch_size=1,
                num_workers=0,
                sampler=dict(type='DefaultSampler', shuffle=False),
                dataset=dict(
                    type='BaseSegDataset',
                    data_root=data_root,
                    data_prefix=dict(
                        img_path='img_dir', seg_map_path='ann_dir'),
                    img_suffix='.png',
                    seg_map_suffix='.png',
                    metainfo=dict(classes=list(ALL)),
                    pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='LoadAnnotations'),
                        dict(type='PackSegInputs')
                    ])),
            test_evaluator=dict(type='IoUMetric'),
            test_cfg=dict(type='TestLoop'),
            default_hooks=dict(
                visualization=dict(type='SegVisualizationHook', interval=1)),
            visualizer=dict(
                type='OpenVocabSegVisualizer', name='visualizer',
                vis_backends=[dict(type='LocalVisBackend')]),
            env_cfg=dict(dist_cfg=dict(backend='gloo')),
            log_level='WARNING'))
    path = osp.join(root, 'tiny_zegformer.py')
    cfg.dump(path)
    return path


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    root = str(tmp_path_factory.mktemp('inferencer'))
    data_root = write_seg_dataset(osp.join(root, 'data'), num_images=2,
                                  size=64, num_classes=len(ALL))
    config = write_config(root, data_root)
    model = build_tiny_model(with_clip=True)
    checkpoint = osp.join(root, 'tiny.pth')
    torch.save(
        dict(
            state_dict=model.state_dict(),
            meta=dict(dataset_meta=dict(classes=list(ALL),
                                        seen_classes=list(SEEN)))),
        checkpoint)
    return dict(root=root, data=data_root, config=config,
                checkpoint=checkpoint,
                image=osp.join(data_root, 'img_dir', '000.png'))


@pytest.fixture(scope='module')
def inferencer(files):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
        yield ZegFormerInferencer(
            files['config'], files['checkpoint'], device='cpu')


@pytest.fixture
def encoded(inferencer, monkeypatch):
    """Names that reach the text tower (memo misses), in order."""
    encoder = inferencer.model.text_encoder
    calls = []
    original = encoder._encode_uncached

    def spy(names, templates):
        calls.extend(names)
        return original(names, templates)

    monkeypatch.setattr(encoder, '_encode_uncached', spy)
    return calls


def test_defaults_come_from_the_checkpoint(inferencer):
    assert inferencer.classes == ALL
    assert inferencer.model.seen_classes == SEEN
    assert inferencer.model.fusion_mode == 'fused'
    assert len(inferencer.model.dataset_meta['palette']) == len(ALL)


def test_single_class(inferencer, files):
    result = inferencer(files['image'], classes=['cat'])
    assert result['predictions'].shape == (64, 64)
    assert (result['predictions'] == 0).all()
    np.testing.assert_allclose(result['shares'], [1.0])
    assert result['scores'].shape == (1, ) and np.isfinite(result['scores'])
    assert result['classes'] == ('cat', )


def test_300_classes(inferencer, files):
    names = [f'thing number {i}' for i in range(300)]
    result = inferencer(files['image'], classes=names)
    labels = result['predictions']
    assert labels.min() >= 0 and labels.max() < 300
    shares = np.bincount(labels.ravel(), minlength=300) / labels.size
    np.testing.assert_allclose(result['shares'], shares)
    present = shares > 0
    assert np.isfinite(result['scores'][present]).all()
    assert np.isnan(result['scores'][~present]).all()
    assert len(inferencer.model.dataset_meta['palette']) == 300


def test_synonyms_and_non_ascii_names(inferencer, files, encoded,
                                      monkeypatch):
    sentences = []
    encoder = inferencer.model.text_encoder
    original = encoder._encode_sentences

    def spy(batch, device):
        sentences.extend(batch)
        return original(batch, device)

    monkeypatch.setattr(encoder, '_encode_sentences', spy)
    names = ['person, people', 'árbol', '猫', 'Straße']
    result = inferencer(files['image'], classes=names)
    assert result['classes'] == tuple(names)
    assert result['scores'].shape == (4, )
    assert set(encoded) == set(names)  # 'person, people' is one class
    templates = inferencer.model.text_encoder.templates
    assert templates[0].format('people') in sentences
    assert templates[0].format('person') in sentences
    assert templates[0].format('person, people') not in sentences


def test_changing_vocabulary_encodes_only_new_names(inferencer, files,
                                                    encoded):
    model = inferencer.model
    inferencer(files['image'], classes=['zebra', 'river'])
    # segment templates and CLIP-branch templates: each name twice
    assert sorted(encoded) == ['river', 'river', 'zebra', 'zebra']
    encoded.clear()
    inferencer(files['image'], classes=['river', 'zebra', 'bridge'])
    assert encoded == ['bridge', 'bridge']
    encoded.clear()
    inferencer(files['image'], classes=['bridge', 'zebra'])
    assert encoded == []
    assert inferencer.model is model


def test_vocabulary_file_and_bad_vocabularies(inferencer, files, tmp_path):
    path = tmp_path / 'names.txt'
    path.write_bytes('\ufeffcat\r\n dog \r\ngreen grass\r\n\r\n'.encode())
    result = inferencer(files['image'], classes=str(path))
    assert result['classes'] == ('cat', 'dog', 'green grass')
    with pytest.raises(ValueError, match=r"classes\[2\]: 'cat' repeats"):
        parse_vocabulary(['cat', 'dog', 'cat'])
    with pytest.raises(ValueError, match=r"classes\[2\]: ' cat' has white"):
        parse_vocabulary(['cat', 'dog', ' cat'])
    with pytest.raises(ValueError, match=r"classes\[1\]: '  ' is an empty"):
        parse_vocabulary(['cat', '  '])
    with pytest.raises(ValueError, match='is empty'):
        parse_vocabulary([])
    with pytest.raises(ValueError, match='not a file'):
        parse_vocabulary('cat,dog')
    with pytest.raises(ValueError, match='not in the test vocabulary'):
        inferencer.set_vocabulary(['cat'], seen_classes=['dog'])


def test_array_and_folder_inputs_write_overlays(inferencer, files,
                                                tmp_path):
    image = np.asarray(Image.open(files['image']))[:, :, ::-1].copy()
    single = inferencer(image, classes=list(ALL), return_vis=True)
    by_path = inferencer(files['image'], return_vis=True)
    np.testing.assert_array_equal(single['predictions'],
                                  by_path['predictions'])
    np.testing.assert_array_equal(single['visualization'],
                                  by_path['visualization'])
    assert inferencer.show_progress is False
    out = tmp_path / 'out'
    results = inferencer(
        osp.join(files['data'], 'img_dir'), out_dir=str(out))
    assert inferencer.show_progress is True
    assert len(results['predictions']) == 2
    assert len(results['scores']) == 2
    assert sorted(os.listdir(out / 'vis')) == ['000.png', '001.png']
    overlay = np.asarray(Image.open(out / 'vis' / '000.png'))
    assert overlay.shape[0] >= 64 and overlay.shape[1] > 64  # legend


def test_outputs_match_tools_test(inferencer, files):
    out = osp.join(files['root'], 'test_out')
    show = osp.join(files['root'], 'show')
    env = dict(os.environ, MMZS3_TEXT_EMBEDDING_CACHE='off')
    subprocess.run([
        sys.executable,
        osp.join(REPO, 'tools', 'test.py'), files['config'],
        files['checkpoint'], '--out', out, '--show-dir', show,
        '--work-dir', osp.join(files['root'], 'work')
    ], check=True, cwd=REPO, env=env)
    inferencer.set_vocabulary(ALL, seen_classes=SEEN)
    images = osp.join(files['data'], 'img_dir')
    results = inferencer(images)
    for name, labels in zip(sorted(os.listdir(images)),
                            results['predictions']):
        expected = np.asarray(Image.open(osp.join(out, name)))
        np.testing.assert_array_equal(labels, expected)
    painted = sorted(
        osp.join(d, f) for d, _, fs in os.walk(show) for f in fs
        if f.endswith('.png'))
    assert len(painted) == 2
    # ground truth | prediction, each with its legend panel
    assert np.asarray(Image.open(painted[0])).shape[1] > 2 * 64 + 40


def test_init_cfg_is_cleared_but_clip_towers_keep_pretrained():
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/_base_/models/zegformer_r50.py'))
    cleared = clear_init_cfg(cfg.model)
    assert cleared.backbone.init_cfg is None
    for tower in ('text_encoder', 'clip_classifier'):
        assert cleared[tower].pretrained
        assert cleared[tower].pretrained == cfg.model[tower].pretrained

    def inits(node):
        if isinstance(node, dict):
            for key, value in node.items():
                if key == 'init_cfg':
                    yield value
                yield from inits(value)
        elif isinstance(node, (list, tuple)):
            for value in node:
                yield from inits(value)

    assert set(map(str, inits(cleared))) == {'None'}
    assert 'Pretrained' in str(list(inits(cfg.model)))


def test_missing_clip_weights_are_reported(files, tmp_path):
    model = build_tiny_model(with_clip=True)
    state = {
        k: v
        for k, v in model.state_dict().items()
        if not k.startswith('text_encoder.')
    }
    checkpoint = tmp_path / 'no_clip.pth'
    torch.save(dict(state_dict=state), checkpoint)
    with pytest.raises(KeyError, match='no text_encoder weights'):
        ZegFormerInferencer(files['config'], str(checkpoint), device='cpu')


def test_pipeline_from_wrapped_dataset_drops_annotations():
    cfg = Config(
        dict(
            test_dataloader=dict(
                dataset=dict(
                    type='ZeroShotSegDataset',
                    dataset=dict(pipeline=[
                        dict(type='LoadImageFromFile'),
                        dict(type='Resize', scale=(64, 32)),
                        dict(type='LoadWideSegAnnotations'),
                        dict(type='PackSegInputs')
                    ])))))
    types = [t['type'] for t in inference_pipeline(cfg)]
    assert types == ['InferencerLoader', 'Resize', 'PackSegInputs']
    assert [t['type'] for t in inference_pipeline(Config())] == [
        'InferencerLoader', 'PackSegInputs'
    ]


def test_fusion_mode_and_templates_override_the_config(files):
    inferencer = ZegFormerInferencer(
        files['config'],
        files['checkpoint'],
        classes=['cat', 'dog'],
        seen_classes=[],
        templates=['a photo of a {}.', 'art of the {}.'],
        fusion_mode='seg',
        device='cpu')
    model = inferencer.model
    assert model.fusion_mode == 'seg'
    assert model.text_encoder.templates == ('a photo of a {}.',
                                            'art of the {}.')
    assert not model.seen_mask().any()
    assert inferencer.classes == ('cat', 'dog')
    assert model.clip_classifier.cpu_bf16 == 'off'


def test_old_argument_names_warn_once_and_override_old_config_keys(
        files, tmp_path):
    cfg = Config.fromfile(files['config'])
    cfg.model.test_mode = cfg.model.pop('fusion_mode', None) or 'fused'
    old_config = tmp_path / 'old_keys.py'
    cfg.dump(str(old_config))
    with pytest.warns(FutureWarning) as caught:
        inferencer = ZegFormerInferencer(
            str(old_config), files['checkpoint'], classes=['cat', 'dog'],
            test_mode='img', gamma=0.5, device='cpu')
    messages = [str(w.message) for w in caught]
    for old, new in (('test_mode', 'fusion_mode'),
                     ('gamma', 'calibration_gamma')):
        assert sum(f'ZegFormerInferencer: {old!r}' in m
                   for m in messages) == 1, messages
    # the arguments replace the config's old key, not lose to it
    assert inferencer.model.fusion_mode == 'img'
    assert inferencer.model.calibration_gamma == 0.5


def test_training_checkpoint_gives_the_full_split(files, tmp_path):
    """mmengine's CheckpointHook stores the train dataset's metainfo: for
    a ZeroShotSegDataset, the seen classes only (unseen names are hidden
    in training) and ``class_split``, which gives back the full
    vocabulary."""
    from mmzs3.datasets import ZeroShotSegDataset, get_split
    train = ZeroShotSegDataset(
        dict(type='COCOStuffZS171Dataset', data_root=str(tmp_path),
             pipeline=[]),
        class_split='coco_stuff_171', phase='train', lazy_init=True)
    meta = train.metainfo
    coco = get_split('coco_stuff_171')
    assert tuple(meta['classes']) == coco.seen_classes
    assert meta['unseen_classes'] == ()
    checkpoint = tmp_path / 'iter_10.pth'
    torch.save(dict(state_dict=torch.load(files['checkpoint'])['state_dict'],
                    meta=dict(dataset_meta=meta)), checkpoint)
    inferencer = ZegFormerInferencer(files['config'], str(checkpoint),
                                     device='cpu')
    assert inferencer.classes == coco.classes
    assert inferencer.model.seen_classes == coco.seen_classes
    assert int(inferencer.model.seen_mask().sum()) == 156
    # no gamma stored: the config's
    assert inferencer.model.calibration_gamma == 0.1
    # the user's vocabulary: the stored seen names it contains are seen
    inferencer.set_vocabulary(['giraffe', 'person', 'dragon'])
    assert inferencer.model.seen_mask().tolist() == [False, True, False]


def test_bf16_asks_for_cpu_bf16_where_native(files):
    inferencer = ZegFormerInferencer(
        files['config'], files['checkpoint'], device='cpu', bf16=True)
    assert inferencer.model.clip_classifier.cpu_bf16 == 'auto'


def test_checkpoint_meta_reads_old_and_new_key_names():
    from mmzs3.apis.zegformer_inferencer import checkpoint_meta
    from mmzs3.datasets import get_split

    def gamma(meta):
        return checkpoint_meta(dict(meta=meta))['calibration_gamma']

    assert gamma(dict(calibration_gamma=0.2)) == 0.2
    assert gamma(dict(gamma=0.3)) == 0.3  # older conversions
    assert gamma(dict(calibration_gamma=0.2, gamma=0.3)) == 0.2
    assert gamma({}) is None
    voc = get_split('voc_20')
    for key in ('class_split', 'zs_split'):
        meta = checkpoint_meta(
            dict(meta=dict(dataset_meta={'classes': ['cat'],
                                         key: 'voc_20'})))
        assert meta['classes'] == voc.classes
        assert meta['seen_classes'] == voc.seen_classes
