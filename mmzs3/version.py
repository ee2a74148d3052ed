__version__ = '0.1.0'


def parse_version_info(version_str: str) -> tuple:
    """Parse a version string such as '0.1.0rc1' into a tuple of ints/strs."""
    parts = []
    for x in version_str.split('.'):
        if x.isdigit():
            parts.append(int(x))
        elif 'rc' in x:
            head, tail = x.split('rc')
            parts.extend([int(head), f'rc{tail}'])
    return tuple(parts)


version_info = parse_version_info(__version__)
