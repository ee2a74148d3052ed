# The tiny open_clip architecture of the synthetic benchmark (8.3 M
# parameters, 6.3 M of them the token embedding), in open_clip's JSON
# layout. The image tower is open_clip's ModifiedResNet (the tower of
# OpenAI's RN50 CLIP) at width 16, one bottleneck per stage: on the caption
# set's 4,800 crops a convolutional tower learns shapes within the
# pretraining's 250 iterations, where a 3-layer ViT (patch 8) stayed at half
# the zero-shot accuracy (docs/synthetic_benchmark.md). The pretraining
# config, the text encoder and the CLIP segment re-classifier take it as
# ``model_cfg`` with ``model_name=clip_model_name``; checkpoints exported by
# tools/misc/export_open_clip.py load into it like a real open_clip file.
clip_model_name = 'mmzs3-tiny-clip'
clip_model_cfg = dict(
    embed_dim=64,
    vision_cfg=dict(image_size=64, layers=[1, 1, 1, 1], width=16),
    text_cfg=dict(
        context_length=16, vocab_size=49408, width=128, heads=8, layers=3))
# OpenAI CLIP's normalisation, 0-255 RGB.
clip_mean = [122.7709383, 116.7460125, 104.09373615]
clip_std = [68.5005327, 66.6321579, 70.3231630]
