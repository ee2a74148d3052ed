# Copyright (c) mmzs3 contributors. All rights reserved.
"""mmzs3: zero-shot semantic segmentation (ZegFormer) on the OpenMMLab stack.

Importing the package checks the stack's versions and registers every mmzs3
component into mmseg's registries, so that
``custom_imports = dict(imports=['mmzs3'])`` is all a config needs. It
changes nothing in other libraries: safe, atomic checkpoint I/O and the
class-list reader are switched on explicitly
(:func:`mmzs3.utils.enable_safe_io`, or ``'mmzs3.utils.safe_io_patch'`` in a
config's ``custom_imports``; see ``docs/reliability.md``).
"""
from .version import __version__, version_info
from .version_check import check_stack

check_stack()

from . import datasets, engine, evaluation, models  # noqa: E402,F401,I001

__all__ = ['__version__', 'version_info']
