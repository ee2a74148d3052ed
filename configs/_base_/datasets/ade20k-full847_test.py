# ADE20K-Full 847 with its frequency split (572 / 275), test only.
# Cross-dataset vocabulary: seen / unseen follow the ADE frequency split, not
# the training set. 16-bit labels (ignore 65535).
_base_ = './zs_test_base.py'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadWideSegAnnotations', ignore_index=65535),
    dict(type='PackSegInputs')
]
test_dataloader = dict(
    dataset=dict(
        class_split='ade20k_full_847',
        dataset=dict(
            type='ADE20KFull847Dataset',
            data_root='data/ade20k_full/',
            data_prefix=dict(
                img_path='images/validation',
                seg_map_path='annotations/validation'),
            pipeline=test_pipeline)))
test_evaluator = dict(ignore_index=65535)
