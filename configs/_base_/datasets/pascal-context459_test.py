# PASCAL Context-459 (16-bit labels 0..458, ignore 65535), test only,
# prepared with tools/dataset_converters/pascal_context_459.py
# (docs/dataset_prepare.md). Cross-dataset vocabulary: all classes seen.
# class_names: 'plain' (the release's labels.txt) or 'synonyms' (the synonym
# lists of FC-CLIP / ODISE).
_base_ = './zs_test_base.py'
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(2048, 512), keep_ratio=True),
    dict(type='LoadWideSegAnnotations', ignore_index=65535),
    dict(type='PackSegInputs')
]
test_dataloader = dict(
    dataset=dict(
        dataset=dict(
            type='PascalContext459Dataset',
            data_root='data/VOCdevkit/VOC2010/',
            data_prefix=dict(
                img_path='JPEGImages', seg_map_path='annotations_ctx459'),
            ann_file='ImageSets/SegmentationContext/val.txt',
            class_names='plain',
            pipeline=test_pipeline)))
test_evaluator = dict(ignore_index=65535)
