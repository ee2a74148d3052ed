"""Installation script for mmzs3.

``pip install -e .`` installs mmzs3 into an environment that already has
torch and mmcv (for example a user's own GPU environment). torch is never
listed as a requirement, so pip never replaces the user's build of it.
"""
import os.path as osp

from setuptools import find_packages, setup


def readme() -> str:
    with open('README.md', encoding='utf-8') as f:
        return f.read()


def get_version() -> str:
    scope: dict = {}
    with open(osp.join('mmzs3', 'version.py'), encoding='utf-8') as f:
        exec(compile(f.read(), 'mmzs3/version.py', 'exec'), scope)
    return scope['__version__']


def parse_requirements(fname: str) -> list:
    """Read requirement lines, skipping comments and blank lines."""
    path = osp.join(osp.dirname(osp.abspath(__file__)), fname)
    with open(path, encoding='utf-8') as f:
        lines = [line.split('#')[0].strip() for line in f]
    return [line for line in lines if line]


if __name__ == '__main__':
    setup(
        name='mmzs3',
        version=get_version(),
        description='Zero-shot and open-vocabulary semantic segmentation '
        '(ZegFormer) on the OpenMMLab stack',
        long_description=readme(),
        long_description_content_type='text/markdown',
        license='Apache License 2.0',
        packages=find_packages(exclude=('configs', 'tools', 'tests', 'docs')),
        include_package_data=True,
        package_data={'mmzs3': ['datasets/splits/*.tsv']},
        python_requires='>=3.8',
        install_requires=parse_requirements('requirements/runtime.txt'),
        extras_require={
            'tests': parse_requirements('requirements/tests.txt'),
            'mim': parse_requirements('requirements/mminstall.txt'),
            'demo': parse_requirements('requirements/demo.txt'),
        },
        zip_safe=False)
