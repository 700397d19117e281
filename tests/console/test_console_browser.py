"""The console in a real browser: headless Chromium (Debian's chromium + chromedriver) driven by
Selenium opens every page against a gateway that ran real studies, checks what it shows, that the
browser logged no errors (CSP violations included), and that a study titled
``<script>alert(1)</script>`` renders as text.  Screenshots go to $ZKGATE_TEST_ARTIFACTS (or the
test's tmp folder).

Skipped when chromium or chromedriver is missing, unless ZKGATE_REQUIRE_BROWSER=1 (scripts/test.sh
installs both and sets it, so CI cannot skip silently).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from console_support import HOSTILE_TITLE, ServedConsole

from zkgate.services.client.gateway_client import GatewayClient
from zkgate.services.console.app import create_app
from zkgate.services.console.source import ConsoleSource

pytestmark = pytest.mark.slow  # runs real studies (chunk proofs): native backend only

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")


@pytest.fixture(scope="module")
def driver():
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("ZKGATE_REQUIRE_BROWSER") == "1":
            pytest.fail("ZKGATE_REQUIRE_BROWSER=1 but chromium or chromedriver is missing (apt-get install chromium chromium-driver)")
        pytest.skip("chromium and chromium-driver are not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                 "--window-size=1280,1600", "--no-first-run", "--disable-extensions"):
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    browser = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    browser.set_page_load_timeout(60)
    yield browser
    browser.quit()


@pytest.fixture(scope="module")
def console(gateway, studies):
    client = GatewayClient(gateway.address)
    served = ServedConsole(create_app(ConsoleSource(client, dev_mode=True)))
    yield served
    served.stop()
    client.close()


@pytest.fixture(scope="module")
def artifacts(tmp_path_factory):
    folder = os.environ.get("ZKGATE_TEST_ARTIFACTS")
    out = Path(folder) / "console" if folder else tmp_path_factory.mktemp("console-screenshots")
    out.mkdir(parents=True, exist_ok=True)
    return out


def visit(driver, console, artifacts, path: str, name: str):
    """Open a page, save its screenshot, fail on any browser log entry at warning level or above."""
    from selenium.common.exceptions import NoAlertPresentException

    driver.get_log("browser")  # drop what earlier pages left
    driver.get(console.url + path)
    try:
        alert = driver.switch_to.alert.text
    except NoAlertPresentException:
        alert = None
    assert alert is None, f"{path} opened an alert: {alert!r}"
    driver.save_screenshot(str(artifacts / f"{name}.png"))
    problems = [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")]
    assert problems == [], f"{path}: browser console: {problems}"
    return driver


def test_every_page_renders_in_chromium_without_console_errors(driver, console, artifacts, studies):
    from selenium.webdriver.common.by import By

    page = visit(driver, console, artifacts, "/", "overview")
    assert "VERIFIED" in page.find_element(By.ID, "head-verified").text
    assert page.find_element(By.ID, "audit-size").text.endswith("entries")

    page = visit(driver, console, artifacts, "/catalog", "catalog")
    owners = [row.find_elements(By.TAG_NAME, "td")[0].text for row in page.find_elements(By.CSS_SELECTOR, "#datasets tr")[1:]]
    assert {"h3-0", "h3-1", "h4-0", "h4-1"} <= set(owners)

    page = visit(driver, console, artifacts, "/studies", "studies")
    links = {a.text: a.get_attribute("href") for a in page.find_elements(By.CSS_SELECTOR, "#studies a")}
    assert HOSTILE_TITLE in links and "cholesterol & <b>blood pressure</b>" in links

    page = visit(driver, console, artifacts, f"/studies/{studies['open']}", "study-open")
    assert page.find_element(By.ID, "verdict").text.startswith("OPEN")
    assert "Nothing released yet" in page.find_element(By.ID, "released").text

    page = visit(driver, console, artifacts, "/audit", "audit")
    assert page.find_element(By.ID, "log-status").text.startswith("REBUILT")
    third = page.find_elements(By.CSS_SELECTOR, "#entries tr")[3].find_elements(By.TAG_NAME, "td")
    leaf_hash = third[2].get_attribute("title")
    assert len(leaf_hash) == 64 and third[0].text == "2"
    box = page.find_element(By.CSS_SELECTOR, "form.lookup input[name=q]")
    box.send_keys(leaf_hash)
    box.submit()  # a GET form: the lookup is read-only
    found = driver.find_element(By.ID, "lookup").text
    assert "leaf hash" in found and "VERIFIED" in found and "inclusion proof of leaf 2 " in found
    driver.save_screenshot(str(artifacts / "audit-lookup.png"))
    assert [e for e in driver.get_log("browser") if e["level"] in ("SEVERE", "WARNING")] == []

    page = visit(driver, console, artifacts, "/api/overview", "api-overview")
    assert '"head_verified": true' in page.find_element(By.TAG_NAME, "body").text


def test_a_script_tag_title_renders_inert(driver, console, artifacts, studies):
    from selenium.webdriver.common.by import By

    page = visit(driver, console, artifacts, f"/studies/{studies['released']}", "study-released")
    assert page.find_element(By.ID, "study-title").text == HOSTILE_TITLE  # shown as text
    assert page.title.startswith(HOSTILE_TITLE)
    assert page.find_elements(By.TAG_NAME, "script") == []  # no script element reached the DOM
    assert page.find_element(By.ID, "verdict").text.startswith("VERIFIED")
    contributions = page.find_elements(By.CSS_SELECTOR, "#contributions tr")[1:]
    assert len(contributions) == 2 and all("verified" in row.text for row in contributions)
    charts = page.find_elements(By.CSS_SELECTOR, "#charts svg")
    assert len(charts) >= 1 and charts[0].size["width"] > 100
    assert "COUNT(*)" in page.find_element(By.ID, "sql").text
