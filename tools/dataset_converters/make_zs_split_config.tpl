# ZegFormer ({model_name}) on your dataset, zero-shot: written by
# tools/dataset_converters/make_zs_split.py (docs/custom_dataset.md).
{comments}# The split, one class a line: split.tsv beside this file.
#
# Model: to train the full-size ZegFormer (ResNet-50 + CLIP ViT-B/16)
# instead of {model_name}, run make_zs_split.py again with
# --model configs/_base_/models/zegformer_r50.py --crop-size 512 and without
# --clip-weights; zegformer_r50.py reads data/pretrained/ViT-B-16.pt and
# data/pretrained/resnet50-0676ba61.pth (docs/train_test.md).
_base_ = [
    {model!r},
    {runtime!r},
    {schedule!r},
]
# {label_note}; ignore_index marks pixels of no class,
# which are neither trained on nor scored ({bits}-bit labels).
classes = {classes}
seen_classes = {seen}
unseen_classes = {unseen}
data_root = {data_root!r}
ignore_index = {ignore_index}
crop_size = ({crop}, {crop})
max_iters = {max_iters}
{weights}model = dict(
    data_preprocessor=dict(seg_pad_val=ignore_index),
    decode_head=dict(ignore_index=ignore_index),
{towers})
load_annotations = {load}
train_pipeline = [
    # A corrupt file or a label of another size stops training with an
    # error naming the file; on_bad='skip' logs and skips it instead.
    dict(
        type='SkipBadSamples',
        on_bad='raise',
        ignore_index=ignore_index,
        transforms=[dict(type='LoadImageFromFile'), load_annotations]),
    dict(
        type='RandomChoiceResize',
        scales=[int(crop_size[0] * x * 0.1) for x in range(5, 21)],
        resize_type='ResizeShortestEdge',
        max_size=4 * crop_size[0]),
    dict(
        type='RandomCrop',
        crop_size=crop_size,
        cat_max_ratio=1.0,
        ignore_index=ignore_index),
    dict(type='PhotoMetricDistortion'),
    dict(type='RandomFlip', prob=0.5),
    dict(type='Pad', size=crop_size, pad_val=dict(img=128, seg=ignore_index)),
    dict(type='PackSegInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', scale=(4 * crop_size[0], crop_size[0]),
         keep_ratio=True),
    load_annotations,
    dict(type='PackSegInputs')
]

inner_dataset = dict(
    type='BaseSegDataset',
    data_root=data_root,
    metainfo=dict(classes=classes),
    img_suffix={img_suffix!r},
    seg_map_suffix={seg_map_suffix!r},
    reduce_zero_label={reduce_zero_label!r},
    ignore_index=ignore_index)
# Training sees seen-class pixels and names only: unseen pixels become
# ignore_index on the fly (ZeroShotSegDataset, docs/zero_shot_protocol.md).
train_dataloader = dict(
    batch_size={batch_size},
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(
        type='ZeroShotSegDataset',
        seen_classes=seen_classes,
        unseen_classes=unseen_classes,
        phase='train',
        setting='inductive',
        dataset=dict(
            inner_dataset,
            data_prefix=dict(
                img_path='img_dir/train', seg_map_path='ann_dir/train'),
            pipeline=train_pipeline)))
# Validation scores every class: seen, unseen and harmonic mean IoU.
val_dataloader = dict(
    batch_size=1,
    num_workers=2,
    persistent_workers=True,
    sampler=dict(type='DefaultSampler', shuffle=False),
    dataset=dict(
        type='ZeroShotSegDataset',
        seen_classes=seen_classes,
        unseen_classes=unseen_classes,
        phase='test',
        dataset=dict(
            inner_dataset,
            data_prefix=dict(
                img_path='img_dir/val', seg_map_path='ann_dir/val'),
            pipeline=test_pipeline)))
test_dataloader = val_dataloader
val_evaluator = dict(type='HIoUMetric', ignore_index=ignore_index)
test_evaluator = val_evaluator
# ZegFormer's schedule (schedule_60k.py), {max_iters} iterations long; the
# checkpoint with the best hIoU is kept.
param_scheduler = [
    dict(
        type='PolyLR',
        eta_min=0,
        power=0.9,
        begin=0,
        end=max_iters,
        by_epoch=False)
]
train_cfg = dict(max_iters=max_iters, val_interval=max_iters)
default_hooks = dict(checkpoint=dict(interval=max_iters))
custom_hooks = [dict(type='VocabularyHook')]
randomness = dict(seed=0)
