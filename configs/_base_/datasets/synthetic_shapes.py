# Copyright (c) mmzs3 contributors. All rights reserved.
# The synthetic zero-shot benchmark (docs/synthetic_benchmark.md): 128 px
# scenes of coloured shapes, 16 colour x shape classes, the 4 diagonal
# combinations unseen. Training sees seen-class pixels only (unseen pixels
# become 255 through the ZeroShotSegDataset wrapper); validation scores all
# 16 classes with HIoUMetric. Background is 255 (ignored), as in VOC.
# Data: python tools/dataset_converters/synthetic_shapes.py
dataset_type = 'SyntheticShapesDataset'
data_root = 'data/synthetic_shapes'
# Mirrors SYNTHETIC_SEEN_CLASSES / SYNTHETIC_UNSEEN_CLASSES of
# mmzs3/datasets/synthetic_shapes_dataset.py (a test checks they agree).
synthetic_seen_classes = [
    'red square', 'red triangle', 'red star', 'green circle',
    'green triangle', 'green star', 'blue circle', 'blue square',
    'blue star', 'yellow circle', 'yellow square', 'yellow triangle'
]
synthetic_unseen_classes = [
    'red circle', 'green square', 'blue triangle', 'yellow star'
]
crop_size = (128, 128)
# No photometric distortion: colour is half of every class name.
train_pipeline = [
    # A corrupt file or a label of another size stops training with an
    # error naming the file; on_bad='skip' logs and skips it instead.
    dict(
        type='SkipBadSamples',
        on_bad='raise',
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadAnnotations')
        ]),
    dict(
        type='RandomResize',
        scale=crop_size,
        ratio_range=(1.0, 1.5),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackSegInputs')
]
# Test at the centre of the training scales (RandomResize above: 1 to 1.5
# times the scene, so 1.25, 160 px), as the paper does (COCO-Stuff: short
# sides 320 to 960 in training, 640 at test; docs/official_implementation.md).
# Predictions are resized back to the 128 px labels. Chosen on the tuning
# seed (docs/synthetic_benchmark.md).
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(160, 160), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=8,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        seen_classes=synthetic_seen_classes,
        unseen_classes=synthetic_unseen_classes,
        phase='train',
        setting='inductive',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(
                img_path='img_dir/train', seg_map_path='ann_dir/train'),
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        seen_classes=synthetic_seen_classes,
        unseen_classes=synthetic_unseen_classes,
        phase='test',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(
                img_path='img_dir/val', seg_map_path='ann_dir/val'),
            pipeline=test_pipeline)))
test_dataloader = val_dataloader
val_evaluator = dict(type='HIoUMetric', ignore_index=255)
test_evaluator = val_evaluator
