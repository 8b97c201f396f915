"""The HTML preview in a real headless Chromium: Korean glyphs render and nothing overflows a phone-width viewport."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from digest_fixtures import Stored, kt_article, make_config
from flows.cli import write_preview
from models.db import Database

CHROMIUM = shutil.which("chromium") or ("/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None)
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="Chromium not installed (Debian: apt-get install chromium fonts-nanum); preview check skipped",
)

# Appended to a copy of the preview: measures the page and writes the verdict into the DOM for --dump-dom.
PROBE = """
<script>
(function () {
  const width = window.innerWidth;
  const overflowing = [];
  for (const el of document.querySelectorAll('body *')) {
    const box = el.getBoundingClientRect();
    if (box.width && box.right > width + 1) overflowing.push(el.tagName + ':' + (el.textContent || '').slice(0, 40));
  }
  function glyph(ch) {
    const canvas = document.createElement('canvas');
    canvas.width = 48; canvas.height = 48;
    const ctx = canvas.getContext('2d');
    ctx.font = '32px ' + getComputedStyle(document.querySelector('h1')).fontFamily;
    ctx.fillText(ch, 4, 38);
    const data = ctx.getImageData(0, 0, 48, 48).data;
    let inked = 0;
    for (let i = 3; i < data.length; i += 4) if (data[i]) inked++;
    return [inked, Array.from(data).join(',')];
  }
  const [inkGa, ga] = glyph('\\uAC00'), [inkGak, gak] = glyph('\\uAC01');
  const out = document.createElement('pre');
  out.id = 'probe';
  out.textContent = JSON.stringify({
    width: width, scrollWidth: document.documentElement.scrollWidth, overflowing: overflowing.slice(0, 5),
    // Two different syllables drawn differently (and not blank) means a Hangul font rendered them, not tofu boxes.
    hangul: inkGa > 20 && inkGak > 20 && ga !== gak,
    text: document.querySelector('#digest').innerText.slice(0, 2000)
  });
  document.body.appendChild(out);
})();
</script>
"""


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    assert CHROMIUM is not None
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
         "--disable-dev-shm-usage", "--virtual-time-budget=3000", *args],
        capture_output=True, text=True, timeout=90,
    )


def test_preview_renders_korean_and_fits_a_phone_screen(sqlite_url: str, tmp_path: Path) -> None:
    db = Database(sqlite_url)
    stored = Stored(db)
    first = kt_article(stored, outlet="연합뉴스")
    stored.article("복제 기사", outlet="조선일보", duplicate_of=first)
    kt_article(stored, title="KT·마이크로소프트, 초거대AI 협력 확대…" + "가나다라마바사아자차카타파하" * 12, outlet="한겨레",
               url="https://news.example.kr/" + "very-long-path-segment-" * 20)
    kt_article(stored, title="Averyveryverylongunbrokenenglishwordthatwouldoverflowanarrowphonescreen" * 3)
    config = make_config(tmp_path, [{"name": "team", "companies": ["kt"], "topics": ["llm"]}])
    preview = write_preview(db, config, tmp_path / "preview.html")
    db.dispose()
    probed = tmp_path / "probed.html"
    probed.write_text(preview.read_text(encoding="utf-8").replace("</body>", PROBE + "</body>"), encoding="utf-8")

    dom = chromium("--window-size=375,900", "--dump-dom", probed.as_uri())
    shot = chromium("--window-size=375,1400", f"--screenshot={tmp_path / 'preview.png'}", preview.as_uri())

    found = re.search(r'<pre id="probe">(.*?)</pre>', dom.stdout, re.S)
    assert found, f"Chromium printed no probe result: {dom.stderr[-500:]}"
    result = json.loads(found.group(1).replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"))
    if not result["hangul"]:
        pytest.skip("no Korean font installed for Chromium (Debian: apt-get install fonts-nanum or fonts-noto-cjk)")
    assert "KT, 거대언어모델 '믿:음' 공개" in result["text"] and "조선일보" in result["text"]
    assert result["scrollWidth"] <= result["width"], result
    assert result["overflowing"] == []
    assert shot.returncode == 0 and (tmp_path / "preview.png").stat().st_size > 10_000
