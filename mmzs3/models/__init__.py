# Copyright (c) mmzs3 contributors. All rights reserved.
from .classifiers import *  # noqa: F401,F403
from .decode_heads import *  # noqa: F401,F403
from .losses import *  # noqa: F401,F403
from .pretrain import *  # noqa: F401,F403
from .segmentors import *  # noqa: F401,F403
from .text_encoders import *  # noqa: F401,F403
from .utils import *  # noqa: F401,F403
