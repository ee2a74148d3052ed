# Copyright (c) mmzs3 contributors. All rights reserved.
# mmseg's SegFormer MiT-B0 ADE20K config with ZegFormer's head
# (docs/mmseg_projects.md): the segmentor becomes ZegFormer and SegFormer's
# all-MLP head is replaced (_delete_) by ZegFormerHead, whose defaults are
# ZegFormer's R50 head; only the backbone's channels are stated. Classes are
# CLIP text embeddings of the dataset's class names. Weights are local
# files, never downloaded: change the paths below or override them with
# --cfg-options.
_base_ = ['mmseg::segformer/segformer_mit-b0_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['mmzs3'], allow_failed_imports=False)
mit_weights = 'data/pretrained/mit_b0_20220624-7e0fe6dd.pth'  # mmseg's MiT
clip_model_name = 'ViT-B-16-quickgelu'  # OpenAI's ViT-B/16 uses QuickGELU
clip_weights = 'data/pretrained/ViT-B-16.pt'  # OpenAI's ViT-B/16 file
model = dict(
    type='ZegFormer',
    backbone=dict(init_cfg=dict(checkpoint=mit_weights)),
    decode_head=dict(
        _delete_=True,
        type='ZegFormerHead',
        in_channels=[32, 64, 160, 256]),  # MiT-B0's four stages
    text_encoder=dict(
        type='OpenCLIPTextEncoder',
        model_name=clip_model_name,
        pretrained=clip_weights))
# The vocabularies are the datasets' class names.
custom_hooks = [dict(type='VocabularyHook')]
