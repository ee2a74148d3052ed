# PASCAL Context-459 (16-bit labels 0..458, ignore 65535), prepared with
# tools/dataset_converters/pascal_context_459.py (docs/dataset_prepare.md).
# Cross-dataset vocabulary: all classes seen. class_names: 'plain' (the
# release's labels.txt) or 'synonyms' (the synonym lists of FC-CLIP / ODISE).
dataset_type = 'PascalContext459Dataset'
class_names = 'plain'
data_root = 'data/VOCdevkit/VOC2010/'
crop_size = (512, 512)
train_pipeline = [
    # A corrupt file or a label of another size stops training with an
    # error naming the file; on_bad='skip' logs and skips it instead.
    dict(
        type='SkipBadSamples',
        on_bad='raise',
        ignore_index=65535,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadWideSegAnnotations', ignore_index=65535)
        ]),
    dict(
        type='RandomChoiceResize',
        scales=[int(512 * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=2048),
    dict(
        type='RandomCrop',
        crop_size=crop_size,
        cat_max_ratio=1.0,
        ignore_index=65535),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    # a crop smaller than crop_size is padded to it with pixel value 128
    # and ignored labels, as in the official training
    dict(type='Pad', size=crop_size, pad_val=dict(img=128, seg=65535)),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadWideSegAnnotations', ignore_index=65535),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        phase='train',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(
                img_path='JPEGImages',
                seg_map_path='annotations_ctx459'),
            ann_file='ImageSets/SegmentationContext/train.txt',
            class_names=class_names,
            pipeline=train_pipeline)))
val_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        phase='test',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(
                img_path='JPEGImages',
                seg_map_path='annotations_ctx459'),
            ann_file='ImageSets/SegmentationContext/val.txt',
            class_names=class_names,
            pipeline=test_pipeline)))
test_dataloader = val_dataloader
val_evaluator = dict(type='HIoUMetric', ignore_index=65535)
test_evaluator = val_evaluator
