# Copyright (c) mmzs3 contributors. All rights reserved.
# ZegFormer with a Swin-B backbone (ImageNet-22k, 384x384 pre-training) on
# COCO-Stuff 156/15. Not an official ZegFormer setting (the official code ships
# Swin but no Swin config, docs/official_implementation.md); the backbone and
# its optimiser multipliers are mmseg's Mask2Former Swin-B ones. Weights:
# mmseg's converted file, see docs/train_test.md.
_base_ = './zegformer_r50_coco.py'
pretrained = ('data/pretrained/'
              'swin_base_patch4_window12_384_22k_20220317-e5c09f74.pth')
depths = [2, 2, 18, 2]
model = dict(
    backbone=dict(
        _delete_=True,
        type='SwinTransformer',
        pretrain_img_size=384,
        embed_dims=128,
        depths=depths,
        num_heads=[4, 8, 16, 32],
        window_size=12,
        mlp_ratio=4,
        qkv_bias=True,
        qk_scale=None,
        drop_rate=0.,
        attn_drop_rate=0.,
        drop_path_rate=0.3,
        patch_norm=True,
        out_indices=(0, 1, 2, 3),
        with_cp=False,
        frozen_stages=-1,
        init_cfg=dict(type='Pretrained', checkpoint=pretrained)),
    decode_head=dict(in_channels=[128, 256, 512, 1024]))
# Custom keys override norm_decay_mult, so the backbone's norms and
# position tables get lr x0.1 and no decay explicitly (as mmseg does).
backbone_no_decay = dict(lr_mult=0.1, decay_mult=0.0)
custom_keys = {
    'backbone.patch_embed.norm': backbone_no_decay,
    'backbone.norm': backbone_no_decay,
    'absolute_pos_embed': backbone_no_decay,
    'relative_position_bias_table': backbone_no_decay,
}
custom_keys.update({
    f'backbone.stages.{stage}.blocks.{block}.norm': backbone_no_decay
    for stage, num_blocks in enumerate(depths)
    for block in range(num_blocks)
})
custom_keys.update({
    f'backbone.stages.{stage}.downsample.norm': backbone_no_decay
    for stage in range(len(depths) - 1)
})
optim_wrapper = dict(paramwise_cfg=dict(custom_keys=custom_keys))
