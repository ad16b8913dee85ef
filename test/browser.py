"""A page checked in a real browser at a phone's width: Debian's headless chromium (skipped where
it is not installed; .ci/run installs it)."""

import html
import json
import re
import shutil
import subprocess

import pytest


def phone_check(page, tmp_path) -> dict:
    """Render `page` in a 390 px frame (chromium's window cannot be narrower than 500 px), every
    <details> opened; assert nothing is wider than the viewport outside the scrolling boxes and the
    console has no error; return the probe's measurements (figures, smallest plot text)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        pytest.skip("needs Debian's chromium (apt-get install chromium); .ci/run installs it")
    (tmp_path / "probe.html").write_text(page.read_text().replace("<head>", "<head>" + PROBE, 1))
    (tmp_path / "phone.html").write_text(PHONE)
    run = subprocess.run([chromium, "--headless", "--no-sandbox", "--disable-gpu", f"--user-data-dir={tmp_path / 'ud'}",
                          "--window-size=800,900", "--virtual-time-budget=10000", "--dump-dom",
                          (tmp_path / "phone.html").as_uri()], capture_output=True, text=True, timeout=120)
    found = re.search(r'<pre id="probe">(.*?)</pre>', run.stdout)
    assert found, run.stderr[-2000:]
    result = json.loads(html.unescape(found.group(1)))
    assert 360 <= result["width"] <= 390 and result["scrollWidth"] <= result["width"]
    assert result["wide"] == [] and result["errors"] == []
    return result


# Measures the page from inside a 390 px frame and posts the result to the frame's parent, which
# --dump-dom prints (the headless window itself is at least 500 px wide).
PHONE = """<!doctype html><html><body style="margin:0">
<iframe src="probe.html" style="width:390px;height:844px;border:0"></iframe>
<script>window.addEventListener("message", e => { const p = document.createElement("pre"); p.id = "probe";
p.textContent = e.data; document.body.appendChild(p); });</script></body></html>"""
PROBE = """<script>
const errors = [];
window.addEventListener("error", e => errors.push(String(e.message || (e.target && e.target.outerHTML))), true);
const consoleError = console.error;
console.error = (...a) => { errors.push(a.join(" ")); consoleError(...a); };
window.addEventListener("load", () => {
  document.querySelectorAll("details").forEach(d => { d.open = true; });
  const width = document.documentElement.clientWidth;
  const wide = [...document.body.querySelectorAll("*")].filter(el => !el.closest(".scroll")
      && el.getBoundingClientRect().right > width + 0.5).map(el => el.tagName + "." + el.className);
  const heights = [...document.querySelectorAll("figure svg text")].map(t => t.getBoundingClientRect().height);
  parent.postMessage(JSON.stringify({width, scrollWidth: document.documentElement.scrollWidth, wide, errors,
      figures: document.querySelectorAll("figure svg").length,
      smallest_text: Math.min(...heights.filter(h => h > 0))}), "*");
});
</script>"""
