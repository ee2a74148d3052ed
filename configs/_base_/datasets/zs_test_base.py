# The common part of the cross-dataset test bases (*_test.py): one image per
# batch, whole image at a single scale (short side 512, long side at most
# 2048, as the official evaluation of VOC and ADE20K-Full; see
# docs/official_implementation.md) and the hIoU metric. Test only: a child
# sets the dataset (type, root, folders, class_split); one with 16-bit labels
# also replaces the annotation loader and the ignore index.
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadAnnotations'),
    dict(type='PackSegInputs')
]
test_dataloader = dict(
    batch_size=1,
    num_workers=4,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        phase='test',
        dataset=dict(pipeline=test_pipeline)))
test_evaluator = dict(type='HIoUMetric', ignore_index=255)
