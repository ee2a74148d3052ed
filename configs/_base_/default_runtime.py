# mmzs3 registers into mmseg's registries, so mmseg stays the default scope
# and importing mmzs3 is all a config needs (docs/registry.md).
default_scope = 'mmseg'
custom_imports = dict(imports=['mmzs3'], allow_failed_imports=False)
env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'),
)
vis_backends = [dict(type='LocalVisBackend')]
visualizer = dict(
    type='SegLocalVisualizer', vis_backends=vis_backends, name='visualizer')
log_processor = dict(by_epoch=False)
log_level = 'INFO'
load_from = None
resume = False
