# Copyright (c) mmzs3 contributors. All rights reserved.
"""ZegFormer in mmengine's Runner, vocabularies from the datasets."""
import os.path as osp

from mmengine.config import Config
from mmengine.runner import Runner

from .tiny_zegformer import tiny_model_cfg

TRAIN_NAMES = ('cat', 'dog', 'sky', 'road')
VAL_NAMES = ('cat', 'tree', 'dog', 'sky', 'road')


def _loader(root, classes, **meta):
    pipeline = [
        dict(type='LoadImageFromFile'),
        dict(type='LoadAnnotations'),
        dict(type='PackSegInputs')
    ]
    dataset = dict(
        type='BaseSegDataset',
        data_root=root,
        data_prefix=dict(img_path='img_dir', seg_map_path='ann_dir'),
        img_suffix='.png',
        seg_map_suffix='.png',
        metainfo=dict(classes=classes, **meta),
        pipeline=pipeline)
    return dict(batch_size=2, num_workers=0, dataset=dataset,
                sampler=dict(type='DefaultSampler', shuffle=False))


def _runner_cfg(root, work_dir, **overrides) -> Config:
    model = tiny_model_cfg(with_clip=False)
    model.train_vocabulary = None
    model.test_vocabulary = None
    cfg = dict(
        default_scope='mmseg',
        model=model,
        work_dir=work_dir,
        train_dataloader=_loader(root, TRAIN_NAMES),
        val_dataloader=dict(
            _loader(root, VAL_NAMES, unseen_classes=('tree', )),
            batch_size=1),
        val_evaluator=dict(type='IoUMetric', iou_metrics=['mIoU']),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2,
                       val_interval=2),
        val_cfg=dict(type='ValLoop'),
        optim_wrapper=dict(optimizer=dict(type='AdamW', lr=1e-4)),
        default_hooks=dict(checkpoint=None, logger=None),
        custom_hooks=[dict(type='VocabularyHook')],
        log_level='WARNING')
    cfg.update(overrides)
    return Config(cfg)


def test_train_and_validate_with_vocabulary_hook(tiny_seg_dataset,
                                                  tmp_path):
    runner = Runner.from_cfg(
        _runner_cfg(tiny_seg_dataset, str(tmp_path / 'work')))
    runner.train()
    segmentor = runner.model
    assert segmentor.train_vocabulary == TRAIN_NAMES
    assert segmentor.test_vocabulary == VAL_NAMES
    segmentor.eval()
    assert segmentor.seen_mask().tolist() == [True, False, True, True, True]
    assert segmentor.num_classes == segmentor.out_channels == len(VAL_NAMES)


def test_checkpoint_hook_saves_the_best_hiou(tiny_seg_dataset, tmp_path):
    work_dir = str(tmp_path / 'work')
    runner = Runner.from_cfg(_runner_cfg(
        tiny_seg_dataset, work_dir,
        val_evaluator=dict(type='HIoUMetric'),
        default_hooks=dict(
            logger=None,
            checkpoint=dict(type='CheckpointHook', interval=2, by_epoch=False,
                            save_best='hIoU', rule='greater'))))
    runner.train()
    hub = runner.message_hub
    assert hub.get_info('best_score') == hub.get_scalar('val/hIoU').current()
    assert osp.isfile(osp.join(work_dir, 'best_hIoU_iter_2.pth'))
