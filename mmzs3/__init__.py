# Copyright (c) mmzs3 contributors. All rights reserved.
"""mmzs3: zero-shot semantic segmentation (ZegFormer) on the OpenMMLab stack.

Importing the package checks the stack's versions, routes mmengine's
checkpoint loading through the allowlisting unpickler, and registers every
mmzs3 component into mmseg's registries, so that
``custom_imports = dict(imports=['mmzs3'])`` is all a config needs.
"""
from .version import __version__, version_info
from .version_check import check_stack

check_stack()

from .utils import install_class_list_reader  # noqa: E402
from .utils import install_safe_checkpoint_io  # noqa: E402

install_safe_checkpoint_io()
install_class_list_reader()

from . import datasets, engine, evaluation, models  # noqa: E402,F401,I001

__all__ = ['__version__', 'version_info']
