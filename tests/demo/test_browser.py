"""A real browser on the demo: headless Chromium, driven by Selenium through chromedriver.

Debian's ``chromium`` and ``chromium-driver`` packages (installed by
``scripts/install-system-deps``, which ``make test`` runs) and the ``selenium``
package (the ``test`` extra). Selenium is given both binaries, so it never
downloads a browser or a driver of its own.

The walk is the issue's: sign up, log in, write a note, attach a file,
download it (and meet the page for a file too large), log out, against
``tapster serve tapster.demo:app`` on a real socket. Every wait is bounded;
the browser and the server are always stopped; a failing test leaves a
screenshot, the page's HTML and the server's log in its temporary folder
(the path is printed).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.support.ui import WebDriverWait

from tests.demo.conftest import FAILED_KEY, TEST_MAX_BYTES, DemoServer

CHROMIUM = os.environ.get("TAPSTER_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("TAPSTER_TEST_CHROMEDRIVER", "/usr/bin/chromedriver")
#: The longest any single wait lasts: a page, an element, a download.
WAIT = 20.0

pytestmark = pytest.mark.slow


def _require_browser() -> None:
    for path, package in ((CHROMIUM, "chromium"), (CHROMEDRIVER, "chromium-driver")):
        if not shutil.which(path):
            pytest.fail(f"{path} is missing: install Debian's {package} "
                        "(scripts/install-system-deps does, and make test runs it)")


@pytest.fixture
def browser(
    request: pytest.FixtureRequest, tmp_path: Path, demo_server: DemoServer
) -> Iterator[WebDriver]:
    """Headless Chromium with a fresh profile and a download folder; quit after the test,
    with a screenshot, the page and the server log saved first if the test failed."""
    _require_browser()
    downloads = tmp_path / "downloads"
    downloads.mkdir()
    options = Options()
    options.binary_location = CHROMIUM
    for argument in (
        "--headless=new",
        # Containers (and root) have no user namespaces for Chromium's sandbox;
        # the browser only visits the test's own server.
        "--no-sandbox",
        "--disable-dev-shm-usage",  # /dev/shm is tiny in containers
        "--window-size=1200,900",
        f"--user-data-dir={tmp_path / 'profile'}",
        "--no-first-run",
        "--disable-background-networking",
    ):
        options.add_argument(argument)
    options.add_experimental_option("prefs", {
        "download.default_directory": str(downloads),
        "download.prompt_for_download": False,
    })
    # The DevTools network events: each response's status and connection.
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    service = Service(CHROMEDRIVER, log_output=str(tmp_path / "chromedriver.log"))
    driver = webdriver.Chrome(service=service, options=options)
    try:
        driver.set_page_load_timeout(WAIT)
        driver.set_script_timeout(WAIT)
        driver.downloads = downloads  # type: ignore[attr-defined]
        yield driver
        if request.node.stash.get(FAILED_KEY, False):
            _save_artifacts(driver, tmp_path, demo_server)
    finally:
        driver.quit()


def _save_artifacts(driver: WebDriver, folder: Path, server: DemoServer) -> None:
    try:
        driver.save_screenshot(str(folder / "failure.png"))
        (folder / "failure.html").write_text(driver.page_source)
    except WebDriverException as error:  # the browser may be what failed
        (folder / "failure.txt").write_text(f"no screenshot: {error}\n")
    (folder / "server.log").write_text(server.text("stderr") + "\n" + server.text("stdout"))
    print(f"browser test failed: screenshot, page and server log in {folder}")


# -- helpers --------------------------------------------------------------------


def wait_for(driver: WebDriver, condition: Any, message: str) -> Any:
    return WebDriverWait(driver, WAIT).until(condition, message)


def open_page(driver: WebDriver, url: str) -> None:
    """Load ``url`` and wait until its script has run (so its assets have loaded)."""
    driver.get(url)
    wait_for_page(driver)


def wait_for_page(driver: WebDriver) -> None:
    wait_for(driver, lambda d: d.execute_script(
        "return document.readyState === 'complete'"
        " && document.documentElement.dataset.js === 'ready'"), "the page and app.js to load")


def navigate(driver: WebDriver, action: Any, message: str) -> None:
    """Run ``action`` (which leaves the page) and wait until the next page has loaded.

    The old document is marked first and the wait is for a document without the
    mark. Asking about an element of a page being unloaded (``staleness_of``) can
    make chromium answer with a transient "unhandled inspector error", so errors
    during the wait are retried until it times out.
    """
    driver.execute_script("document.documentElement.dataset.left = 'yes'")
    action()
    WebDriverWait(driver, WAIT, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return document.documentElement.dataset.left !== 'yes'"
            " && document.readyState === 'complete'"
            " && document.documentElement.dataset.js === 'ready'"), message)


def submit(driver: WebDriver, button: Any) -> None:
    """Click a submit button and wait for the next page to load."""
    navigate(driver, button.click, "the form to be sent and the next page to load")


def fill(driver: WebDriver, values: dict[str, str]) -> None:
    for name, value in values.items():
        field = driver.find_element(By.NAME, name)
        field.clear()
        field.send_keys(value)


def flashes(driver: WebDriver) -> list[str]:
    return [element.text for element in driver.find_elements(By.CSS_SELECTOR, ".flash")]


def network_responses(driver: WebDriver, origin: str) -> list[dict[str, Any]]:
    """The responses from ``origin`` since the last call (DevTools ``Network.responseReceived``)."""
    responses = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.responseReceived":
            response = message["params"]["response"]
            if response["url"].startswith(origin):
                responses.append(response)
    return responses


# -- the tests --------------------------------------------------------------------


def test_sign_up_log_in_write_attach_download_log_out(browser, demo_server, tmp_path):
    base = demo_server.url
    open_page(browser, base + "/")
    assert browser.title == "Welcome · tapster notes"

    # Sign up.
    browser.find_element(By.LINK_TEXT, "Sign up").click()
    wait_for_page(browser)
    fill(browser, {"username": "walker", "password": "walker-password"})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#signup-form button"))
    assert browser.current_url == base + "/login"
    assert "Welcome, walker! Log in to write your first note." in flashes(browser)

    # Log in.
    fill(browser, {"username": "walker", "password": "walker-password"})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#login-form button"))
    assert browser.current_url == base + "/"
    assert browser.find_element(By.ID, "who").text == "walker"
    assert "No notes yet." in browser.page_source

    # Write a note: plain text, indentation and markup kept as typed.
    browser.find_element(By.LINK_TEXT, "New note").click()
    wait_for_page(browser)
    text = "def hello():\n    print('<b>hi</b>')"
    fill(browser, {"title": "First note", "body": text})
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#note-form button"))
    assert re.fullmatch(re.escape(base) + r"/notes/\d+", browser.current_url)
    assert "Saved “First note”." in flashes(browser)
    assert browser.find_element(By.ID, "note-body").text == text

    # Attach a file.
    content = b"attached by a browser\n" + bytes(range(256)) * 50
    upload = tmp_path / "report.bin"
    upload.write_bytes(content)
    browser.find_element(By.ID, "file").send_keys(str(upload))
    submit(browser, browser.find_element(By.CSS_SELECTOR, "#upload-form button"))
    assert f"Attached report.bin ({len(content):,} bytes)." in flashes(browser)

    # Download it: the browser saves it under its name, byte for byte.
    link = browser.find_element(By.CSS_SELECTOR, "a.download")
    assert link.text == "report.bin"
    link.click()
    saved = browser.downloads / "report.bin"
    deadline = time.monotonic() + WAIT
    while not (saved.exists() and saved.stat().st_size == len(content)):
        assert time.monotonic() < deadline, f"no download in {list(browser.downloads.iterdir())}"
        time.sleep(0.1)
    assert saved.read_bytes() == content

    # A file over the limit: app.js flags it before anything is sent; sent anyway
    # (form.submit() skips validation), the server's 413 page says what the limit is.
    note_url = browser.current_url
    big = tmp_path / "big.bin"
    big.write_bytes(b"x" * (TEST_MAX_BYTES + 1))
    browser.find_element(By.ID, "file").send_keys(str(big))
    assert browser.execute_script("return document.getElementById('upload-form')"
                                  ".checkValidity()") is False
    assert browser.find_element(By.CSS_SELECTOR, "#upload-form .hint").text.startswith(
        "big.bin is too big.")
    navigate(browser, lambda: browser.execute_script(
        "document.getElementById('upload-form').submit()"), "the upload to be sent")
    assert browser.find_element(By.TAG_NAME, "h1").text == "That file is too big"
    assert "Attachments can be up to 64 KiB." in browser.find_element(By.CLASS_NAME, "message").text
    open_page(browser, note_url)
    assert [link.text for link in browser.find_elements(By.CSS_SELECTOR, "a.download")] == [
        "report.bin"]

    # Log out: the session is gone, and so is access to the note.
    submit(browser, browser.find_element(By.ID, "logout"))
    assert "Logged out. See you soon." in flashes(browser)
    assert not browser.find_elements(By.ID, "who")
    open_page(browser, note_url)
    assert browser.current_url.startswith(base + "/login?next=/notes/")

    for line in (r'"POST /notes/\d+/attachments HTTP/1\.1" 302 ',
                 r'"GET /attachments/\d+/report\.bin HTTP/1\.1" 200 ',
                 r'"POST /notes/\d+/attachments HTTP/1\.1" 413 '):
        demo_server.wait_for_line(line, stream="stdout", timeout=WAIT)


def test_pages_load_their_assets_in_parallel_over_kept_alive_connections(browser, demo_server):
    base = demo_server.url
    network_responses(browser, base)  # forget what came before
    open_page(browser, base + "/")

    # The stylesheet applied and the script ran: both arrived.
    assert browser.execute_script(
        "return getComputedStyle(document.querySelector('main')).borderTopLeftRadius") == "6px"
    timings = {
        entry["name"].removeprefix(base): entry for entry in browser.execute_script(
            "return performance.getEntriesByType('resource').map(e => e.toJSON())")
    }
    for asset in ("/static/style.css", "/static/app.js", "/static/favicon.svg"):
        assert timings[asset]["responseStatus"] == 200, timings[asset]
        assert timings[asset]["nextHopProtocol"] == "http/1.1"
    # The stylesheet and the script were in flight at the same time.
    css, script = timings["/static/style.css"], timings["/static/app.js"]
    assert script["startTime"] < css["responseEnd"] and css["startTime"] < script["responseEnd"]

    first_load = network_responses(browser, base)
    assert {response["url"].removeprefix(base): response["status"]
            for response in first_load} == {
        "/": 200, "/static/style.css": 200, "/static/app.js": 200, "/static/favicon.svg": 200,
    }

    # More pages: every request finds a connection the browser already has open.
    for path in ("/login", "/signup", "/", "/no-such-page"):
        open_page(browser, base + path)
    later = network_responses(browser, base)
    assert len(later) >= 8
    assert all(response["protocol"] == "http/1.1" for response in later)
    assert {response["status"] for response in later} <= {200, 304, 404}
    # Chromium opens at most six connections to a host; with keep-alive they carry
    # every request, and the later pages go over connections the first load opened.
    connections = {response["connectionId"] for response in first_load + later}
    assert len(connections) <= 6 < len(first_load + later)
    assert {response["connectionId"] for response in later} & {
        response["connectionId"] for response in first_load}

    for asset in ("/static/style.css", "/static/app.js", "/static/favicon.svg"):
        demo_server.wait_for_line(rf'"GET {re.escape(asset)} HTTP/1\.1" 200 ', stream="stdout",
                                  timeout=WAIT)
