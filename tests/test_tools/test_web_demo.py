# Copyright (c) mmzs3 contributors. All rights reserved.
"""tools/demo/web_demo.py: the request handling in-process, and the page
served on 127.0.0.1 and driven in a real headless Chromium (Debian's
chromium and chromedriver, installed by tools/install_browser.sh)."""
import base64
import importlib.util
import io
import math
import os
import os.path as osp
import shutil
import socket
import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest
import torch
from mmengine.config import Config
from PIL import Image

from mmzs3.registry import MODELS
from ..conftest import REPO_ROOT

sys.path.insert(0,
                osp.join(REPO_ROOT, 'tests', 'test_models', 'test_segmentors'))
from tiny_zegformer import build_tiny_model, tiny_model_cfg  # noqa: E402

WEB_DEMO = osp.join(REPO_ROOT, 'tools', 'demo', 'web_demo.py')
EXAMPLE = osp.join(REPO_ROOT, 'tools', 'demo', 'examples', 'shapes_0.jpg')
CHROMIUM = os.environ.get('MMZS3_CHROMIUM', '/usr/bin/chromium')
CHROMEDRIVER = os.environ.get('MMZS3_CHROMEDRIVER', '/usr/bin/chromedriver')
ARTEFACTS = osp.join(REPO_ROOT, 'work_dirs', 'test_artefacts')
#: Templates of the tiny model: imagenet_select (8) for the segment
#: classifier, clip_select (32) for the CLIP branch.
SENTENCES_PER_NAME = {'seg': 8, 'fused': 8 + 32}
OPACITY = 0.6
#: Server start-up and requests on a loaded 2-core machine.
PAGE_TIMEOUT_S = 600


def load_web_demo():
    spec = importlib.util.spec_from_file_location('web_demo', WEB_DEMO)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope='module')
def web_demo():
    return load_web_demo()


@pytest.fixture(scope='module')
def files(tmp_path_factory):
    """The tiny model's config and checkpoint, and a checkpoint of another
    config (12 queries instead of 10: same keys, other shapes)."""
    root = tmp_path_factory.mktemp('web_demo')
    Config(dict(default_scope='mmseg', model=tiny_model_cfg())).dump(
        str(root / 'tiny.py'))
    torch.save(dict(state_dict=build_tiny_model().state_dict()),
               root / 'tiny.pth')
    other = tiny_model_cfg()
    other.decode_head.num_queries = 12
    torch.save(dict(state_dict=MODELS.build(other).state_dict()),
               root / 'other.pth')
    return root


@pytest.fixture(scope='module')
def session(web_demo, files):
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('MMZS3_TEXT_EMBEDDING_CACHE', 'off')
        spec = web_demo.ModelSpec(str(files / 'tiny.py'),
                                  str(files / 'tiny.pth'))
        yield web_demo.DemoSession(web_demo.build_inferencer(spec))


# ------------------------------------------------------- request handling
def test_parse_class_text(web_demo):
    parse = web_demo.parse_class_text
    assert parse('cat, dog,grass ,') == ['cat', 'dog', 'grass']
    assert parse('person,people\n\n  cat \n') == ['person, people', 'cat']
    assert parse('árbol, 猫') == ['árbol', '猫']
    for text in ('', None, ' , ,', '\n \n'):
        with pytest.raises(web_demo.DemoInputError, match='at least one'):
            parse(text)
    with pytest.raises(web_demo.DemoInputError, match='"cat" is listed twice'):
        parse('cat, dog, cat')
    with pytest.raises(web_demo.DemoInputError, match='3 class names.*2'):
        parse('a, b, c', max_classes=2)


def test_read_image(web_demo, tmp_path):
    gray = np.arange(20 * 30, dtype=np.uint8).reshape(20, 30)
    Image.fromarray(gray).save(tmp_path / 'gray.png')
    rgb = web_demo.read_image(str(tmp_path / 'gray.png'))
    assert rgb.shape == (20, 30, 3)
    np.testing.assert_array_equal(rgb[..., 1], gray)
    Image.new('RGB', (1, 1)).save(tmp_path / 'dot.png')
    Image.new('L', (8000, 8000)).save(tmp_path / 'huge.png')
    (tmp_path / 'notes.png').write_text('not an image')
    cases = {
        None: 'Upload an image',
        str(tmp_path / 'dot.png'): 'dot.png is 1×1 pixels',
        str(tmp_path / 'huge.png'): 'huge.png is 8000×8000 pixels',
        str(tmp_path / 'notes.png'): 'notes.png is not an image file',
    }
    for path, message in cases.items():
        with pytest.raises(web_demo.DemoInputError, match=message):
            web_demo.read_image(path, min_side=16, max_side=4096)


def test_table_html(web_demo):
    labels = np.array([[1, 1, 1], [1, 0, 0]])
    table = web_demo.table_html(labels, ['cat', 'dog', 'sky'],
                                [[1, 2, 3], [4, 5, 6], [7, 8, 9]],
                                np.array([0.25, 0.5, np.nan]))
    rows = table.split('<tr>')[2:]
    assert 'rgb(4, 5, 6)' in rows[0] and '<td>dog</td><td>66.7%</td>' \
        '<td>0.500</td>' in rows[0]
    assert 'rgb(1, 2, 3)' in rows[1] and '<td>cat</td><td>33.3%</td>' \
        '<td>0.250</td>' in rows[1]
    assert '(1 of 3 classes not present)' in table


def test_fast_topk_is_one_query_in_eight(web_demo, session):
    assert web_demo.fast_topk(session.model) == 2  # ceil(10 / 8)
    fast = Config.fromfile(
        osp.join(REPO_ROOT, 'configs/zegformer/zegformer_r50_coco_fast.py'))
    assert fast.model.clip_topk == math.ceil(
        fast.model.decode_head.num_queries / 8)


def test_requests_reuse_the_model(session):
    first = session.segment(EXAMPLE, 'red circle, blue square', 'fused',
                            'exact')
    assert first.overlay is not None and 'data-kind="ok"' in first.status
    assert '2 new (red circle, blue square)' in first.status
    assert f'encoded {2 * SENTENCES_PER_NAME["fused"]} sentences' \
        in first.status
    second = session.segment(EXAMPLE, 'blue square, green triangle',
                             'fused', 'fast')
    assert '1 new (green triangle)' in second.status
    assert f'encoded {SENTENCES_PER_NAME["fused"]} sentences' in second.status
    assert session.model.clip_topk == 2
    assert session.model.fusion_mode == 'fused'
    third = session.segment(EXAMPLE, 'green triangle, red circle', 'seg',
                            'exact')
    assert '0 new (none)' in third.status
    assert 'encoded 0 sentences' in third.status
    assert session.model.clip_topk is None
    assert session.model.fusion_mode == 'seg'
    assert 'Request 3:' in third.status


def test_bad_requests_show_a_message(session):
    cases = [
        ((None, 'cat', 'fused', 'exact'), 'Upload an image'),
        ((EXAMPLE, ' , ', 'fused', 'exact'), 'at least one class name'),
        ((EXAMPLE, 'cat, dog, cat', 'fused', 'exact'), 'listed twice'),
        ((EXAMPLE, 'cat', 'fuse_all', 'exact'), 'not available'),
        ((EXAMPLE, 'cat\tdog', 'fused', 'exact'), 'control character'),
    ]
    for args, message in cases:
        result = session.segment(*args)
        assert result.overlay is None and result.table == ''
        assert 'data-kind="error"' in result.status and message in \
            result.status, result.status


def test_no_model_and_no_embedded_default_says_make_demo(web_demo, tmp_path,
                                                         capsys):
    assert web_demo.main(['--embedded-work-dir', str(tmp_path)]) == 2
    error = capsys.readouterr().err
    assert str(tmp_path / '.done' / 'zegformer.json') in error
    assert 'Run `make demo` first' in error


def test_embedded_default_spec(web_demo, tmp_path):
    (tmp_path / '.done').mkdir()
    (tmp_path / 'seg.pth').write_bytes(b'')
    (tmp_path / 'clip.bin').write_bytes(b'')
    (tmp_path / '.done' / 'zegformer.json').write_text(
        f'{{"checkpoint": "{tmp_path / "seg.pth"}"}}')
    (tmp_path / '.done' / 'clip.json').write_text(
        f'{{"weights": "{tmp_path / "clip.bin"}"}}')
    spec = web_demo.embedded_default_spec(str(tmp_path))
    assert spec.config == osp.join(
        REPO_ROOT, 'configs/zegformer/zegformer_tiny_synthetic.py')
    assert spec.checkpoint == str(tmp_path / 'seg.pth')
    assert spec.clip_weights == str(tmp_path / 'clip.bin')
    os.remove(tmp_path / 'seg.pth')
    with pytest.raises(web_demo.DemoSetupError, match='seg.pth'):
        web_demo.embedded_default_spec(str(tmp_path))


def test_checkpoint_of_another_config_names_the_file(web_demo, files,
                                                     capsys):
    code = web_demo.main([str(files / 'tiny.py'), str(files / 'other.pth')])
    error = capsys.readouterr().err
    assert code == 2
    assert f'cannot load the checkpoint {files / "other.pth"} into the ' \
        f'model of {files / "tiny.py"}' in error
    assert 'other shapes' in error and 'query' in error


# ------------------------------------------------------------ the browser
def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(('127.0.0.1', 0))
        return sock.getsockname()[1]


@pytest.fixture(scope='module')
def server(files):
    """The app on 127.0.0.1 (a free port), in its own process."""
    port = free_port()
    log_path = files / 'server.log'
    env = dict(os.environ, MMZS3_TEXT_EMBEDDING_CACHE='off',
               GRADIO_ANALYTICS_ENABLED='False', PYTHONUNBUFFERED='1')
    with open(log_path, 'w') as log:
        proc = subprocess.Popen([
            sys.executable, WEB_DEMO,
            str(files / 'tiny.py'),
            str(files / 'tiny.pth'), '--host', '127.0.0.1', '--port',
            str(port)
        ], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f'http://127.0.0.1:{port}/'
    try:
        deadline = time.monotonic() + PAGE_TIMEOUT_S
        while not _answers(url):
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail('the web demo did not start:\n' +
                            log_path.read_text())
            time.sleep(1)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status == 200
    except OSError:
        return False


@pytest.fixture(scope='module')
def browser():
    """Headless Chromium through Debian's chromedriver; Selenium Manager,
    which would download a browser, is made unusable."""
    missing = [p for p in (CHROMIUM, CHROMEDRIVER) if not osp.isfile(p)]
    if missing:
        pytest.fail(f'{missing} not found: run `bash tools/install_browser.sh`'
                    ' (make test runs it)')
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv('SE_MANAGER_PATH', '/nonexistent/selenium-manager')
        options = webdriver.ChromeOptions()
        options.binary_location = CHROMIUM
        for arg in ('--headless=new', '--no-sandbox', '--disable-gpu',
                    '--disable-dev-shm-usage', '--window-size=1400,1000'):
            options.add_argument(arg)
        driver = webdriver.Chrome(service=Service(CHROMEDRIVER),
                                  options=options)
        driver.set_script_timeout(60)
        try:
            yield driver
        finally:
            driver.quit()


def _status(driver) -> str:
    """The status line (not Gradio's progress text beside it)."""
    from selenium.webdriver.common.by import By
    lines = driver.find_elements(By.CSS_SELECTOR, '#status p[data-kind]')
    return lines[0].text if lines else ''


def _submit(driver, classes: str, previous: str) -> str:
    """Type class names, press Segment, wait for a new status line."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
    box = driver.find_element(By.CSS_SELECTOR, '#classes textarea')
    box.clear()
    box.send_keys(classes)
    driver.find_element(By.ID, 'run').click()
    WebDriverWait(driver, PAGE_TIMEOUT_S).until(
        lambda d: _status(d) not in ('', previous))
    return _status(driver)


def _overlay(driver, previous_src: str = '') -> tuple:
    """The overlay the page shows, decoded by the browser: (src, RGB)."""
    from selenium.webdriver.support.ui import WebDriverWait
    script = ('const img = document.querySelector("#overlay img");'
              'return img && img.complete && img.naturalWidth ? img.src : "";')
    WebDriverWait(driver, PAGE_TIMEOUT_S).until(
        lambda d: d.execute_script(script) not in ('', previous_src))
    data_url = driver.execute_script(
        'const img = document.querySelector("#overlay img");'
        'const c = document.createElement("canvas");'
        'c.width = img.naturalWidth; c.height = img.naturalHeight;'
        'c.getContext("2d").drawImage(img, 0, 0);'
        'return c.toDataURL("image/png");')
    png = base64.b64decode(data_url.split(',', 1)[1])
    return driver.execute_script(script), np.asarray(
        Image.open(io.BytesIO(png)).convert('RGB'))


def _expected(session, image: np.ndarray, classes):
    """Reference labels (and where they are unambiguous) of the page's
    request (fused, exact), computed in this process with the same
    weights."""
    session.model.fusion_mode, session.model.clip_topk = 'fused', None
    sample = session.inferencer(
        np.ascontiguousarray(image[:, :, ::-1]), classes=classes,
        return_datasamples=True)
    logits = sample.seg_logits.data
    top2 = logits.topk(2, dim=0).values  # random weights: tiny values
    clear = (top2[0] - top2[1] > 1e-3 * top2[0].abs()).numpy()
    assert clear.mean() > 0.5
    return sample.pred_sem_seg.data[0].numpy(), clear


def _check_overlay(overlay, image, labels, clear, classes, palette_fn):
    """Overlay pixels are ``image * (1 - a) + palette[label] * a``; the
    legend panel lists the classes present, most pixels first."""
    height, width = labels.shape
    palette = np.asarray(palette_fn(len(classes)), np.float64)
    expected = image * (1 - OPACITY) + palette[labels] * OPACITY
    ys, xs = np.nonzero(clear)
    pick = np.random.default_rng(0).choice(len(ys), 300)
    got = overlay[ys[pick], xs[pick]].astype(np.float64)
    assert np.abs(got - expected[ys[pick], xs[pick]]).max() <= 1.5
    ids, counts = np.unique(labels, return_counts=True)
    order = ids[np.argsort(-counts, kind='stable')]
    row_h = 14 + 8  # the visualiser's font size + 8
    for row, label in enumerate(order):
        swatch = overlay[4 + row * row_h + row_h // 2, width + 6 + 8]
        np.testing.assert_array_equal(swatch, palette[label])
    return [classes[i] for i in order]


def test_page_in_headless_chromium(server, browser, files, session,
                                   web_demo, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions as ec
    from selenium.webdriver.support.ui import WebDriverWait

    from mmzs3.visualization import generate_palette
    browser.get(server)
    upload = WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        ec.presence_of_element_located(
            (By.CSS_SELECTOR, '#image input[type=file]')))
    upload.send_keys(EXAMPLE)
    WebDriverWait(browser, PAGE_TIMEOUT_S).until(
        lambda d: '128×128 pixels' in _status(d))
    image = np.asarray(Image.open(EXAMPLE).convert('RGB')).astype(np.float64)

    src, previous = '', _status(browser)
    for index, (classes, new) in enumerate([
        (['red circle', 'blue square'], ['red circle', 'blue square']),
        (['blue square', 'green triangle'], ['green triangle']),
    ]):
        status = _submit(browser, ', '.join(classes), previous)
        assert f'Request {index + 1}:' in status, status
        # one model: the second vocabulary encodes only its new name
        assert f'{len(new)} new ({", ".join(new)})' in status
        assert f'encoded {len(new) * SENTENCES_PER_NAME["fused"]} ' \
            'sentences' in status
        src, overlay = _overlay(browser, src)
        labels, clear = _expected(session, image, classes)
        assert overlay.shape[0] == 128 and overlay.shape[1] > 128
        present = _check_overlay(overlay, image, labels, clear, classes,
                                 generate_palette)
        table = browser.find_element(By.CSS_SELECTOR, '#table table')
        names = [row.find_elements(By.TAG_NAME, 'td')[1].text
                 for row in table.find_elements(By.CSS_SELECTOR, 'tbody tr')]
        assert names == present
        previous = status

    shot = tmp_path / 'web_demo.png'
    browser.save_screenshot(str(shot))
    os.makedirs(ARTEFACTS, exist_ok=True)
    shutil.copy(shot, osp.join(ARTEFACTS, 'web_demo.png'))

    status = _submit(browser, 'cat, dog, cat', previous)
    assert status.startswith('⚠') and '"cat" is listed twice' in status
