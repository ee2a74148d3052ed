# Copyright (c) mmzs3 contributors. All rights reserved.
from .channels_last_hook import ChannelsLastHook
from .non_finite_loss_hook import NonFiniteLossHook
from .vocabulary_hook import VocabularyHook

__all__ = ['ChannelsLastHook', 'NonFiniteLossHook', 'VocabularyHook']
