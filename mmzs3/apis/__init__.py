# Copyright (c) mmzs3 contributors. All rights reserved.
from .model_index import (get_model_entry, list_models, load_model_index,
                          resolve_model)
from .zegformer_inferencer import (ZegFormerInferencer, class_statistics,
                                   clear_init_cfg, inference_pipeline,
                                   parse_vocabulary)

__all__ = [
    'ZegFormerInferencer', 'class_statistics', 'clear_init_cfg',
    'inference_pipeline', 'parse_vocabulary', 'get_model_entry',
    'list_models', 'load_model_index', 'resolve_model'
]
