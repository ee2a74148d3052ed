# Copyright (c) mmzs3 contributors. All rights reserved.
from typing import Optional

from mmengine.model import BaseModule

from .open_clip_utils import (build_open_clip, load_open_clip_weights,
                              pretrained_quick_gelu)


class FrozenOpenCLIPTower(BaseModule):
    """Base of the modules that hold one frozen open_clip tower.

    Only the tower named by ``part`` is built (``self.model``: an open_clip
    CLIP model reduced to that part, so state-dict keys keep open_clip's
    names under ``model.``); it has no gradients, stays in eval mode, and
    :meth:`init_weights` loads ``pretrained`` into it.

    Args:
        part (str): ``'text'`` (the text tower) or ``'visual'`` (the image
            tower with ``logit_scale``).
        model_name (str): open_clip architecture.
        pretrained (str, optional): Local weights file or open_clip tag,
            loaded in :meth:`init_weights`. Defaults to None (random).
        model_cfg (dict, optional): Architecture dict registered under
            ``model_name``. Defaults to None.
        init_cfg (dict | list[dict], optional): Initialization config.
            Defaults to None.
    """

    def __init__(self,
                 part: str,
                 model_name: str,
                 pretrained: Optional[str] = None,
                 model_cfg: Optional[dict] = None,
                 init_cfg=None) -> None:
        super().__init__(init_cfg=init_cfg)
        self.part = part
        self.model_name = model_name
        self.pretrained = pretrained
        self.model = build_open_clip(
            model_name, model_cfg,
            pretrained_quick_gelu(model_name, pretrained), part)
        self.model.requires_grad_(False)
        self.model.eval()

    def train(self, mode: bool = True) -> 'FrozenOpenCLIPTower':
        """Set the mode of the module; the frozen tower stays in eval."""
        super().train(mode)
        self.model.eval()
        return self

    def init_weights(self) -> None:
        """Load ``pretrained`` into the tower (if set)."""
        super().init_weights()
        if self.pretrained:
            load_open_clip_weights(self.model, self.pretrained,
                                   self.model_name, self.part)
