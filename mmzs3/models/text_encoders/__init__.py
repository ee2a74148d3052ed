# Copyright (c) mmzs3 contributors. All rights reserved.
from .openclip_text_encoder import OpenCLIPTextEncoder
from .templates import TEMPLATE_SETS, get_templates
from .vocabulary_encoder import VocabularyEncoder

__all__ = [
    'OpenCLIPTextEncoder', 'TEMPLATE_SETS', 'get_templates',
    'VocabularyEncoder'
]
