"""animate_backward's page in a real headless Chromium (the system's chromium and chromedriver, driven
by selenium): it loads without script errors, the step button and the slider move the highlighted
node along the engine's order, and a screenshot is written."""
import shutil

import pytest

import tinygrad_ed as te
from tinygrad_ed import nn
from tinygrad_ed.viz import animate_backward, record_scopes

pytest.importorskip("graphviz")
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")
pytestmark = [
    pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed"),
    pytest.mark.skipif(CHROMIUM is None or CHROMEDRIVER is None,
                       reason="Chromium and chromedriver are not installed (.ci/run installs them with apt-get)"),
]


@pytest.fixture
def browser(tmp_path):
    webdriver = pytest.importorskip("selenium.webdriver")
    from selenium.webdriver.chrome.service import Service
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync",
                 "--disable-dev-shm-usage", f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1200,900"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    try:
        yield driver
    finally:
        driver.quit()


def test_the_page_steps_through_backward_in_chromium(browser, tmp_path):
    te.manual_seed(0)
    model = nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))
    with record_scopes(model):
        loss = nn.functional.mse_loss(model(te.randn(5, 3)), te.randn(5, 1))
    animation = animate_backward(loss, tmp_path / "backward.html", model=model)
    boxes = [f.box for f in animation.frames]
    browser.get((tmp_path / "backward.html").as_uri())

    def running():
        return browser.execute_script("return Array.from(document.querySelectorAll('g.node.running'), e => e.id)")

    assert running() == [boxes[0]]
    assert "step 1 of" in browser.find_element("id", "caption").text
    browser.find_element("id", "next").click()
    assert running() == [boxes[1]]
    assert browser.execute_script("return document.querySelectorAll('g.node.done').length") == 1
    slider = browser.find_element("id", "slider")
    last = len(boxes) - 1
    browser.execute_script("arguments[0].value = arguments[1]; arguments[0].dispatchEvent(new Event('input'))",
                           slider, last)
    assert running() == [boxes[last]] and running() != [boxes[1]]
    assert browser.execute_script("return document.querySelectorAll('g.edge.sending').length") >= 1
    errors = [entry for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == []
    shot = tmp_path / "backward.png"
    assert browser.save_screenshot(str(shot))
    assert shot.read_bytes().startswith(b"\x89PNG") and shot.stat().st_size > 10_000
