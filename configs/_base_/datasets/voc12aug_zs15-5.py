# PASCAL VOC 2012 + SBD aug, zero-shot 15 seen / 5 unseen
# (docs/official_implementation.md). Background is ignored (PascalVOC20Dataset,
# reduce_zero_label=True). Labels and aug.txt:
# tools/dataset_converters/voc_aug_zs.py.
dataset_type = 'PascalVOC20Dataset'
data_root = 'data/VOCdevkit/VOC2012'
crop_size = (512, 512)
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
        type='RandomChoiceResize',
        scales=[int(512 * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=2048),
    dict(type='RandomCrop', crop_size=crop_size, cat_max_ratio=1.0),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    # a crop smaller than crop_size is padded to it with pixel value 128 and
    # ignored labels, as in the official training
    # (docs/official_implementation.md)
    dict(type='Pad', size=crop_size, pad_val=dict(img=128, seg=255)),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
data_prefix = dict(img_path='JPEGImages', seg_map_path='SegmentationClassAug')
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        class_split='voc_20',
        phase='train',
        setting='inductive',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file='ImageSets/Segmentation/aug.txt',
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        class_split='voc_20',
        phase='test',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=data_prefix,
            ann_file='ImageSets/Segmentation/val.txt',
            pipeline=test_pipeline)))
test_dataloader = val_dataloader
val_evaluator = dict(type='HIoUMetric', ignore_index=255)
test_evaluator = val_evaluator
