# The synthetic benchmark's image-caption set (docs/synthetic_benchmark.md):
# single-object 64 px crops of all 16 classes, unseen ones included, each
# with a caption naming its class. Image-level data for the tiny CLIP and
# the backbone pretraining; no pixel labels.
# Data: python tools/dataset_converters/synthetic_shapes.py
data_root = 'data/synthetic_shapes/captions'
crop_size = (64, 64)
# Small scale and position jitter, so that the image towers also accept
# the loosely framed crops of predicted segments.
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(
        type='RandomResize',
        scale=crop_size,
        ratio_range=(1.0, 1.25),
        keep_ratio=True),
    dict(type='RandomCrop', crop_size=crop_size),
    dict(type='RandomFlip', prob=0.5),
]
train_dataloader = dict(
    batch_size=128,
    num_workers=1,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ImageCaptionDataset',
        data_root=data_root,
        ann_file='train.csv',
        pipeline=train_pipeline))
