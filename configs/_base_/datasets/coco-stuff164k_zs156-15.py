# COCO-Stuff 164k, zero-shot 156 seen / 15 unseen
# (docs/official_implementation.md). Labels:
# tools/dataset_converters/coco_stuff164k_zs.py (171-way order).
dataset_type = 'COCOStuffZS171Dataset'
data_root = 'data/coco_stuff164k/'
crop_size = (640, 640)
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
        scales=[int(640 * x * 0.1) for x in range(5, 16)],
        resize_type='ResizeShortestEdge',
        max_size=2560),
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
    dict(type='Resize', scale=(2560, 640), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
inner_train = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(
        img_path='images/train2017',
        seg_map_path='annotations_zs171/train2017'),
    pipeline=train_pipeline)
inner_test = dict(
    type=dataset_type,
    data_root=data_root,
    data_prefix=dict(
        img_path='images/val2017',
        seg_map_path='annotations_zs171/val2017'),
    pipeline=test_pipeline)
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        class_split='coco_stuff_171',
        phase='train',
        setting='inductive',
        dataset=inner_train))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        class_split='coco_stuff_171',
        phase='test',
        dataset=inner_test))
test_dataloader = val_dataloader
val_evaluator = dict(type='HIoUMetric', ignore_index=255)
test_evaluator = val_evaluator
