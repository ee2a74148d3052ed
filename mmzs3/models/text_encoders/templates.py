# Copyright (c) mmzs3 contributors. All rights reserved.
"""Prompt template sets of ZegFormer, selectable by name.

The sets and which official config uses which are listed in
docs/official_implementation.md.
"""
from typing import Dict, Sequence, Tuple, Union

from mmseg.utils import get_predefined_templates

#: ZegFormer's single template (the default of the official code).
SINGLE_TEMPLATES = ('A photo of a {} in the scene', )

#: ``IMAGENET_TEMPLATES_SELECT`` (8), used by the segment classifier.
IMAGENET_SELECT_TEMPLATES = (
    'itap of a {}.',
    'a bad photo of the {}.',
    'a origami {}.',
    'a photo of the large {}.',
    'a {} in a video game.',
    'art of the {}.',
    'a photo of the small {}.',
    'A photo of a {} in the scene',
)

#: The 80 templates of OpenAI's ImageNet prompt-engineering notebook;
#: mmseg ships exactly this list, in the notebook's order.
IMAGENET_TEMPLATES = tuple(get_predefined_templates('imagenet'))

#: ``IMAGENET_TEMPLATES_SELECT_CLIP`` (32), used for the CLIP image branch.
CLIP_SELECT_TEMPLATES = (
    'a bad photo of the {}.',
    'a photo of the large {}.',
    'a photo of the small {}.',
    'a cropped photo of a {}.',
    'This is a photo of a {}',
    'This is a photo of a small {}',
    'This is a photo of a medium {}',
    'This is a photo of a large {}',
    'This is a masked photo of a {}',
    'This is a masked photo of a small {}',
    'This is a masked photo of a medium {}',
    'This is a masked photo of a large {}',
    'This is a cropped photo of a {}',
    'This is a cropped photo of a small {}',
    'This is a cropped photo of a medium {}',
    'This is a cropped photo of a large {}',
    'A photo of a {} in the scene',
    'a bad photo of the {} in the scene',
    'a photo of the large {} in the scene',
    'a photo of the small {} in the scene',
    'a cropped photo of a {} in the scene',
    'a photo of a masked {} in the scene',
    'There is a {} in the scene',
    'There is the {} in the scene',
    'This is a {} in the scene',
    'This is the {} in the scene',
    'This is one {} in the scene',
    'There is a masked {} in the scene',
    'There is the masked {} in the scene',
    'This is a masked {} in the scene',
    'This is the masked {} in the scene',
    'This is one masked {} in the scene',
)

TEMPLATE_SETS: Dict[str, Tuple[str, ...]] = {
    'single': SINGLE_TEMPLATES,
    'imagenet_select': IMAGENET_SELECT_TEMPLATES,
    'imagenet': IMAGENET_TEMPLATES,
    'clip_select': CLIP_SELECT_TEMPLATES,
}


def get_templates(
        templates: Union[str, Sequence[str]]) -> Tuple[str, ...]:
    """Return a template set by name, or validate a custom list.

    Args:
        templates (str | Sequence[str]): One of ``'single'``,
            ``'imagenet_select'``, ``'imagenet'``, ``'clip_select'``, or a
            list of templates, each holding exactly one ``{}``.

    Returns:
        tuple[str]: The templates.

    Raises:
        ValueError: If the name is unknown, the list is empty, or a template
            does not hold exactly one ``{}``.
    """
    if isinstance(templates, str):
        if templates not in TEMPLATE_SETS:
            raise ValueError(f'unknown template set {templates!r}; choose '
                             f'one of {sorted(TEMPLATE_SETS)} or a list')
        return TEMPLATE_SETS[templates]
    templates = tuple(templates)
    if not templates:
        raise ValueError('the template list is empty')
    bad = [
        t for t in templates
        if not isinstance(t, str) or t.count('{}') != 1 or
        t.replace('{}', '').count('{') + t.replace('{}', '').count('}')
    ]
    if bad:
        raise ValueError(
            f'templates must hold exactly one "{{}}" each; bad: {bad}')
    return templates
