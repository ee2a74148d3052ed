# Copyright (c) mmzs3 contributors. All rights reserved.
import pytest
from open_clip.zero_shot_metadata import OPENAI_IMAGENET_TEMPLATES

from mmzs3.models.text_encoders import TEMPLATE_SETS, get_templates


@pytest.mark.parametrize('name,count,first,last', [
    ('single', 1, 'A photo of a {} in the scene',
     'A photo of a {} in the scene'),
    ('imagenet_select', 8, 'itap of a {}.', 'A photo of a {} in the scene'),
    ('imagenet', 80, 'a bad photo of a {}.', 'a tattoo of the {}.'),
    ('clip_select', 32, 'a bad photo of the {}.',
     'This is one masked {} in the scene'),
])
def test_template_sets(name, count, first, last):
    templates = get_templates(name)
    assert isinstance(templates, tuple)
    assert len(templates) == count
    assert len(set(templates)) == count
    assert templates[0] == first and templates[-1] == last
    assert all(t.count('{}') == 1 for t in templates)


def test_imagenet_set_is_openai_notebook_list():
    openai = tuple(f('{}') for f in OPENAI_IMAGENET_TEMPLATES)
    assert get_templates('imagenet') == openai


def test_select_sets_spot_checks():
    select = get_templates('imagenet_select')
    assert select[2] == 'a origami {}.'
    assert select[4] == 'a {} in a video game.'
    clip = get_templates('clip_select')
    assert clip[8] == 'This is a masked photo of a {}'
    assert clip[21] == 'a photo of a masked {} in the scene'
    assert set(TEMPLATE_SETS) == {
        'single', 'imagenet_select', 'imagenet', 'clip_select'
    }


def test_custom_list_passes_through():
    assert get_templates(['a {}', 'the {} here']) == ('a {}', 'the {} here')


@pytest.mark.parametrize('bad', [[], ['no slot'], ['two {} {}'],
                                 ['a {}', 'brace {x}'], 'unknown_set'])
def test_bad_templates_raise(bad):
    with pytest.raises(ValueError):
        get_templates(bad)
