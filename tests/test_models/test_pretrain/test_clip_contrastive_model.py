# Copyright (c) mmzs3 contributors. All rights reserved.
import csv
import os.path as osp

import open_clip
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

from mmzs3.models.pretrain import CLIPContrastiveModel, open_clip_state_dict
from mmzs3.models.utils import (build_open_clip, load_open_clip_weights,
                                register_open_clip_config)
from ...synthetic_benchmark import REPO_ROOT, load_tool

CONFIG = osp.join(REPO_ROOT, 'configs/clip_pretrain/tiny_clip_synthetic.py')
TINY_ARCH = dict(
    embed_dim=16,
    vision_cfg=dict(image_size=32, layers=1, width=32, patch_size=8,
                    head_width=16),
    text_cfg=dict(context_length=16, vocab_size=49408, width=32, heads=2,
                  layers=1))


def shrunk_config(data_root: str, work_dir: str) -> Config:
    """The shipped pretraining config, shrunk to 5 steps of a tiny CLIP."""
    cfg = Config.fromfile(CONFIG)
    cfg.work_dir = work_dir
    cfg.model.model_name = 'mmzs3-test-tiny-clip'
    cfg.model.model_cfg = TINY_ARCH
    loader = cfg.train_dataloader
    loader.update(batch_size=16, num_workers=0, persistent_workers=False)
    loader.dataset.data_root = data_root
    # Same 16 unaugmented images at every step: the loss must go down.
    loader.dataset.pipeline = [dict(type='LoadImageFromFile')]
    cfg.train_cfg.max_iters = 5
    cfg.param_scheduler = []
    cfg.default_hooks.checkpoint.interval = 5
    cfg.default_hooks.logger.interval = 1
    return cfg


def test_contrastive_loss_is_open_clip_loss():
    torch.manual_seed(0)
    model = CLIPContrastiveModel(
        model_name='mmzs3-test-tiny-clip', model_cfg=TINY_ARCH)
    assert isinstance(model.loss_fn, open_clip.ClipLoss)
    images = torch.randn(2, 3, 32, 32)
    captions = ['a photo of a red star.', 'a photo of a blue circle.']
    losses = model(images, captions, mode='loss')
    image = model.clip.encode_image(images, normalize=True)
    text = model.encode_captions(captions)
    logits = model.clip.logit_scale.exp() * image @ text.t()
    target = torch.arange(2)
    expected = (torch.nn.functional.cross_entropy(logits, target) +
                torch.nn.functional.cross_entropy(logits.t(), target)) / 2
    torch.testing.assert_close(losses['loss'], expected)
    with pytest.raises(ValueError, match='invalid mode'):
        model(images, captions, mode='loss_and_predict')


def test_pretrain_export_and_load(tmp_path, tiny_benchmark):
    cfg = shrunk_config(
        osp.join(tiny_benchmark, 'captions'), str(tmp_path / 'work'))
    runner = Runner.from_cfg(cfg)
    runner.train()
    losses = runner.message_hub.get_scalar('train/loss').data[0]
    assert len(losses) == 5
    assert losses[-1] < losses[0] - 0.05

    config_path = str(tmp_path / 'cfg.py')
    cfg.dump(config_path)
    export = load_tool('tools/misc/export_open_clip.py')
    out_dir = str(tmp_path / 'open_clip')
    weights = export.main(
        [config_path, str(tmp_path / 'work/iter_5.pth'), out_dir])

    trained = runner.model.clip.state_dict()
    register_open_clip_config('mmzs3-test-tiny-clip', TINY_ARCH)
    by_name = open_clip.create_model(
        'mmzs3-test-tiny-clip', pretrained=weights)
    by_dir = open_clip.create_model(f'local-dir:{out_dir}')
    # The path of the text encoder and the CLIP re-classifier.
    by_mmzs3 = build_open_clip('mmzs3-test-tiny-clip', TINY_ARCH)
    load_open_clip_weights(by_mmzs3, weights, 'mmzs3-test-tiny-clip')
    for loaded in (by_name.state_dict(), by_dir.state_dict(),
                   by_mmzs3.state_dict()):
        assert list(loaded) == list(trained)
        for key, value in trained.items():
            assert torch.equal(loaded[key], value), key

    evaluate = load_tool('tools/misc/clip_zero_shot_eval.py')
    val_csv = osp.join(tiny_benchmark, 'captions/val.csv')
    acc = evaluate.main([out_dir, val_csv])
    # One crop per class: 12 seen, 4 unseen.
    assert acc['all'] == pytest.approx(
        (12 * acc['seen'] + 4 * acc['unseen']) / 16)
    with open(val_csv) as f:
        masked = sum(row['style'] == 'masked' for row in csv.DictReader(f))
    assert 0 < masked < 16
    assert acc['all'] == pytest.approx(
        ((16 - masked) * acc['plain'] + masked * acc['masked']) / 16)
    assert 0 <= acc['all'] <= 100


def test_export_refuses_a_checkpoint_without_clip_weights():
    checkpoint = dict(state_dict={'backbone.conv.weight': torch.zeros(1)})
    with pytest.raises(KeyError, match='clip.'):
        open_clip_state_dict(checkpoint)
    state = open_clip_state_dict(
        dict(state_dict={'clip.logit_scale': torch.ones(1),
                         'data_preprocessor.mean': torch.zeros(3)}))
    assert list(state) == ['logit_scale']
