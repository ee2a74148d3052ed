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

The one exception is ``MMZS3_MODELS``, a child of mmseg's ``MODELS`` with
the scope ``mmzs3``, for mmzs3 classes that mmdet's code builds in mmdet's
registry (a head's losses): there a class is named with a scope prefix, and
``'mmzs3.PureFocalLoss'`` says whose class it is where
``'mmseg.PureFocalLoss'`` would file it under mmseg.

Code inside mmzs3 imports registries from here, so that the decision lives in
one place.
"""
from mmengine.registry import Registry
from mmseg.registry import (DATA_SAMPLERS, DATASETS, EVALUATOR, HOOKS,
                            INFERENCERS, LOG_PROCESSORS, LOOPS, METRICS,
                            MODEL_WRAPPERS, MODELS, OPTIM_WRAPPER_CONSTRUCTORS,
                            OPTIM_WRAPPERS, OPTIMIZERS, PARAM_SCHEDULERS,
                            RUNNER_CONSTRUCTORS, RUNNERS, TASK_UTILS,
                            TRANSFORMS, VISBACKENDS, VISUALIZERS,
                            WEIGHT_INITIALIZERS)

#: mmzs3's own scope, for classes named ``'mmzs3.<Name>'`` in configs.
MMZS3_MODELS = Registry(
    'model', parent=MODELS, scope='mmzs3', locations=['mmzs3.models'])

__all__ = [
    'RUNNERS', 'RUNNER_CONSTRUCTORS', 'HOOKS', 'DATASETS', 'DATA_SAMPLERS',
    'TRANSFORMS', 'MODELS', 'WEIGHT_INITIALIZERS', 'OPTIMIZERS',
    'OPTIM_WRAPPER_CONSTRUCTORS', 'OPTIM_WRAPPERS', 'PARAM_SCHEDULERS',
    'METRICS', 'EVALUATOR', 'TASK_UTILS', 'VISUALIZERS', 'VISBACKENDS',
    'LOG_PROCESSORS', 'LOOPS', 'MODEL_WRAPPERS', 'INFERENCERS', 'MMZS3_MODELS'
]
