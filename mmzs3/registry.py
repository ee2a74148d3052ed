# Copyright (c) mmzs3 contributors. All rights reserved.
"""mmzs3's registries.

mmzs3 registers its components straight into mmsegmentation's registry nodes
instead of creating child nodes with an ``mmzs3`` scope. A plain mmseg config
then reaches every mmzs3 class by its bare name once it carries
``custom_imports = dict(imports=['mmzs3'])``, mmseg's own tools
(``init_model``, ``MMSegInferencer``) keep working with
``default_scope='mmseg'``, and configs inherited with ``mmseg::`` (which
stamp ``_scope_='mmseg'``) resolve our classes too. The price is one shared
namespace: mmengine raises ``KeyError`` on a duplicate name, so a collision
fails loudly at import time, and every mmzs3 class carries a distinct name.
``docs/registry.md`` records the decision.

Code inside mmzs3 imports registries from here, so that the decision lives in
one place.
"""
from mmseg.registry import (DATA_SAMPLERS, DATASETS, EVALUATOR, HOOKS,
                            INFERENCERS, LOG_PROCESSORS, LOOPS, METRICS,
                            MODEL_WRAPPERS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                            OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS,
                            RUNNER_CONSTRUCTORS, RUNNERS, TASK_UTILS,
                            TRANSFORMS, VISBACKENDS, VISUALIZERS,
                            WEIGHT_INITIALIZERS)

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
    'LOG_PROCESSORS', 'LOOPS', 'MODEL_WRAPPERS', 'INFERENCERS'
]
