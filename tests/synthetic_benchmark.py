# Copyright (c) mmzs3 contributors. All rights reserved.
"""Fixtures of the synthetic benchmark tests: the generator, tiny data.

``tests/conftest.py`` makes the fixtures available to every test."""
import importlib.util
import os.path as osp
import sys
from types import ModuleType

import pytest

REPO_ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))

#: Arguments of a tiny benchmark (16 scenes so every class appears).
TINY_ARGS = dict(
    seed=0,
    num_train=16,
    num_val=2,
    size=32,
    max_objects=3,
    unseen_in_train='keep',
    overlap='avoid',
    captions_per_class=1,
    val_captions_per_class=1,
    crop_size=32,
    masked_fraction=0.5,
    max_mask_stride=12)


def load_tool(relative_path: str) -> ModuleType:
    """Import a script under ``tools/`` as a module, registered in
    ``sys.modules`` (as ``mmzs3_tools_<name>``) so that worker processes
    can unpickle its functions."""
    path = osp.join(REPO_ROOT, relative_path)
    name = 'mmzs3_tools_' + osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='session')
def generator() -> ModuleType:
    """``tools/dataset_converters/synthetic_shapes.py``."""
    return load_tool('tools/dataset_converters/synthetic_shapes.py')


@pytest.fixture
def tiny_benchmark(tmp_path, generator) -> str:
    """A tiny synthetic benchmark written to ``tmp_path``."""
    out = str(tmp_path / 'synthetic')
    generator.generate(out, **TINY_ARGS)
    return out
