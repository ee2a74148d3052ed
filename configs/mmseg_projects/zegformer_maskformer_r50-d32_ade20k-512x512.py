# Copyright (c) mmzs3 contributors. All rights reserved.
# mmseg's MaskFormer R50 ADE20K config made open-vocabulary
# (docs/mmseg_projects.md): the segmentor becomes ZegFormer, the head
# ZegFormerHead, and classes are CLIP text embeddings of the dataset's class
# names. The head keeps every value of mmseg's MaskFormerHead config; its
# num_classes and loss_cls.class_weight are ignored with one warning (the
# vocabulary decides them). Weights are local files, never downloaded:
# change the three paths below or override them with --cfg-options.
_base_ = ['mmseg::maskformer/maskformer_r50-d32_8xb2-160k_ade20k-512x512.py']
custom_imports = dict(imports=['mmzs3'], allow_failed_imports=False)
resnet_weights = 'data/pretrained/resnet50-0676ba61.pth'  # torchvision
clip_model_name = 'ViT-B-16-quickgelu'  # OpenAI's ViT-B/16 uses QuickGELU
clip_weights = 'data/pretrained/ViT-B-16.pt'  # OpenAI's ViT-B/16 file
model = dict(
    type='ZegFormer',
    backbone=dict(init_cfg=dict(checkpoint=resnet_weights)),
    decode_head=dict(
        type='ZegFormerHead',
        # mmdet's FocalLoss needs mmcv's CUDA kernel on a GPU
        loss_mask=dict(type='mmzs3.PureFocalLoss')),
    text_encoder=dict(
        type='OpenCLIPTextEncoder',
        model_name=clip_model_name,
        pretrained=clip_weights),
    # The CLIP image branch re-classifies every segment at test time.
    clip_classifier=dict(
        type='CLIPSegmentClassifier',
        model_name=clip_model_name,
        pretrained=clip_weights))
# The vocabularies are the datasets' class names.
custom_hooks = [dict(type='VocabularyHook')]
