# Copyright (c) mmzs3 contributors. All rights reserved.
# Test-time variant of zegformer_tiny_synthetic.py: fusion_mode='img'
# (docs/official_implementation.md; 'seg' = segment embeddings only, 'img' =
# CLIP image branch only, 'fused' = both, geometric mean with lambda = 2/3).
_base_ = './zegformer_tiny_synthetic.py'
model = dict(fusion_mode='img')
