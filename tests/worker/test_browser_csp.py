"""The pages under the Content-Security-Policy, in a real browser, served the way
production serves them: daphne (HTTP and websockets) on the test database, static
files collected. A user browses the catalogue (htmx swaps), reads a summary, and
follows a summary's live progress over its websocket; the browser reports no
violation of the policy. It lives with the worker tests for their file database,
which a daphne process can open."""

import os
import re
import signal
import socket
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.catalogue.helpers import make_summary, viewer
from tests.catalogue.test_browser import browser, log_in  # noqa: F401 - fixtures
from tests.videos.factories import SummaryFactory
from videos import progress
from videos.models import Summary

from .conftest import REPO_ROOT, database_url, wait_for

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

QC = "Quantum Computing"
# Collects what the browser reports, from before the page's own scripts run.
COLLECT_VIOLATIONS = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + (e.sourceFile || ""));
});
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def site(transactional_db, tmp_path):
    """daphne on the test database, as bin/run starts it (stopped before the database is flushed)."""
    env = {**os.environ, "DATABASE_URL": database_url(), "STATIC_ROOT": str(tmp_path / "static"), "DEBUG": "0",
           "PYTHONUNBUFFERED": "1"}
    subprocess.run([sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"], cwd=REPO_ROOT, env=env,
                   check=True, timeout=120)
    port = _free_port()
    log_path = tmp_path / "daphne.log"
    with open(log_path, "wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "summarizer_site.asgi:application"],
            cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )

    def up():
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            assert proc.poll() is None, log_path.read_text()
            return False

    try:
        wait_for(up, 60, "daphne to start", on_timeout=log_path.read_text)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


@pytest.fixture
def page(browser):  # noqa: F811
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    # Offline: the YouTube thumbnails are refused at the network, after the policy allowed them.
    page.route(re.compile(r"^https?://(?!127\.0\.0\.1).*"), lambda route: route.abort())
    page.set_default_timeout(15_000)
    page.add_init_script(COLLECT_VIOLATIONS)
    console = []
    page.on("console", lambda msg: console.append(f"{page.url} {msg.text}") if "Content Security Policy" in msg.text else None)
    page.console_csp = console
    yield page
    context.close()


def publish(summary_id: int, event: dict) -> bool:
    """As a worker publishes; from another thread, since Playwright's event loop runs in this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(progress.publish_summary, summary_id, event).result()


def violations(page) -> list[str]:
    return page.evaluate("window.__csp") + page.console_csp


def test_catalogue_summary_and_live_progress_keep_working_under_the_policy(site, page, output_dir):
    from playwright.sync_api import expect

    for i in range(3):
        make_summary(title=f"Quantum talk {i}", general=((QC, 0.3 + i / 5),), topics=["Qubits", f"Topic {i}"], minutes=i)
    done = make_summary(title="Hash tables", general=(("Algorithms and Data Structures", 0.4),), topics=["Hashing"])
    running = SummaryFactory(video=done.video, template=done.template, status=Summary.Status.RUNNING)
    user = viewer("csp-viewer")

    response = page.goto(site + "/accounts/login/")
    policy = response.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "img-src 'self' https://i.ytimg.com" in policy
    log_in(page, site, user.username)

    # The catalogue: htmx loads and swaps the results in place; the meters are SVG, the thumbnails YouTube's.
    titles = page.locator(".summary-card h2")
    expect(titles).to_have_count(4)
    page.wait_for_function("() => window.htmx !== undefined")
    page.get_by_label(QC).check()
    expect(titles).to_have_count(3)
    page.get_by_label(QC).uncheck()
    page.fill("#id_q", "hashing")
    expect(titles).to_have_text(["Hash tables"])
    assert page.locator(".summary-card img").first.get_attribute("src").startswith("https://i.ytimg.com/")
    page.screenshot(path=str(output_dir / "csp-catalogue.png"), full_page=True)

    # A summary page.
    page.goto(f"{site}/summaries/{done.pk}/")
    expect(page.locator("section.section")).to_have_count(5)

    # Live progress: the websocket opens and an event published by the worker's code shows up.
    page.goto(f"{site}/summaries/{running.pk}/progress/")
    expect(page.locator("[data-field=conn]")).to_have_text("Live")
    event = progress.summary_event(running, stage="generating", percent=42, text="Live text under the policy")
    wait_for(lambda: publish(running.pk, event) and "under the policy" in page.locator("[data-field=text]").text_content(),
             20, "the published event in the page")
    page.goto(f"{site}/queue/")
    expect(page.locator("[data-field=conn]")).to_have_text("Live")
    page.screenshot(path=str(output_dir / "csp-queue.png"), full_page=True)

    assert violations(page) == []
    # The collector does see a violation: an inline style, as a page of ours must never have.
    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<p style=\"color: red\">inline</p>')")
    wait_for(lambda: violations(page), 5, "the inline style to be reported")
    assert any("style-src" in v for v in violations(page))



def test_the_admin_pages_a_curator_uses_keep_working_under_the_policy(site, page, seeded, django_user_model):
    from playwright.sync_api import expect

    from videos.models import FewShotExample, PromptTemplate

    django_user_model.objects.create_superuser("csp-curator", "c@example.com", "pw-for-tests-1")
    template = PromptTemplate.objects.get(name="reference", version=1)
    example = FewShotExample.objects.filter(template=template).first()
    log_in(page, site, "csp-curator")
    page.set_default_timeout(90_000)  # the first page to count tokens loads the model's tokenizer
    for path in (
        "/admin/",
        "/admin/videos/summary/",
        f"/admin/videos/prompttemplate/{template.pk}/change/",
        f"/admin/videos/prompttemplate/{template.pk}/history/",
        f"/admin/videos/fewshotexample/{example.pk}/change/",
        f"/admin/videos/fewshotexample/{example.pk}/preview/",
        "/admin/axes/accessattempt/",
    ):
        assert page.goto(site + path).status == 200, path
        expect(page.locator("#content")).to_be_visible()
    # The answer is checked live as the curator types (static/videos/admin_answer.js).
    page.goto(f"{site}/admin/videos/fewshotexample/{example.pk}/change/")
    page.locator("#id_answer").fill("{not json")
    page.wait_for_timeout(1000)
    # django-simple-history's history list has one inline style attribute (a border), left unapplied.
    history = f"{site}/admin/videos/prompttemplate/{template.pk}/history/"
    others = [v for v in page.console_csp if not (v.startswith(history) and "'style-src 'self''" in v)]
    assert others == []
