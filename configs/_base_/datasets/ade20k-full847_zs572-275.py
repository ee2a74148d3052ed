# ADE20K-Full 847, frequency split 572 seen / 275 unseen
# (docs/official_implementation.md). 16-bit labels (ignore 65535):
# tools/dataset_converters/ade20k_full_847.py. The model's data preprocessor
# must pad labels with seg_pad_val=65535. Validation is the test base's
# loader and metric (the validation split, all 847 classes scored).
_base_ = './ade20k-full847_test.py'
dataset_type = 'ADE20KFull847Dataset'
data_root = 'data/ade20k_full/'
crop_size = (512, 512)
ignore_index = 65535
train_pipeline = [
    # A corrupt file or a label of another size stops training with an
    # error naming the file; on_bad='skip' logs and skips it instead.
    dict(
        type='SkipBadSamples',
        on_bad='raise',
        ignore_index=ignore_index,
        transforms=[
            dict(type='LoadImageFromFile'),
            dict(type='LoadWideSegAnnotations', ignore_index=ignore_index)
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
        ignore_index=ignore_index),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    # a crop smaller than crop_size is padded to it with pixel value 128 and
    # ignored labels, as in the official training
    # (docs/official_implementation.md)
    dict(type='Pad', size=crop_size, pad_val=dict(img=128, seg=ignore_index)),
    dict(type='PackSegInputs')
]
train_dataloader = dict(
    batch_size=4,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        class_split='ade20k_full_847',
        phase='train',
        setting='inductive',
        dataset=dict(
            type=dataset_type,
            data_root=data_root,
            data_prefix=dict(
                img_path='images/training',
                seg_map_path='annotations/training'),
            pipeline=train_pipeline)))
val_dataloader = {{_base_.test_dataloader}}
val_evaluator = {{_base_.test_evaluator}}
