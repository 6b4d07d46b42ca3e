"""Accessibility audit of a built book: axe-core in headless Chromium, every page, light and dark.

    python scripts/a11y_audit.py _build/student/_build/html [--json report.json]

Each HTML page is copied (with the whole site, so its links and scripts resolve) and given two
scripts at the end of its body: axe-core (``scripts/a11y/node_modules/axe-core``, installed by
``npm ci --prefix scripts/a11y``) and a runner that waits for the page's MathJax, runs axe in the
light theme and again in the dark one (the book theme's ``data-theme``), and writes the results
into the page. Chromium prints the page's DOM when its virtual time runs out (``--dump-dom``), so
no driver is needed and nothing leaves the machine. A violation of impact "serious" or "critical"
fails the audit (exit status 1); the others are listed.

The chapter quiz's script is exercised in the same browser: a right and a wrong answer to every
question of two versions (typed numbers, chosen options, an unreadable number) must get the
verdicts the answers' data says, and "Another version" must show the next version.

Then the search page, served from 127.0.0.1 (Sphinx's search fetches the pages it quotes), is
asked for a few words that formulas are full of: a result snippet that shows TeX (``\\(``,
``\\[``) fails the audit too.
"""

from __future__ import annotations

import argparse
import functools
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

HERE = Path(__file__).resolve().parent
AXE = HERE / "a11y" / "node_modules" / "axe-core" / "axe.min.js"
FAILING = ("serious", "critical")
MARK = "cnnmath-axe-result"

RUNNER = """
<script>
(function () {
  function ready() {
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise) { return mj.startup.promise; }
    return Promise.resolve();
  }
  function audit(mode) {
    document.documentElement.setAttribute("data-theme", mode);
    document.documentElement.setAttribute("data-mode", mode);
    return axe.run(document, {resultTypes: ["violations"]}).then(function (r) {
      return r.violations.map(function (v) {
        return {mode: mode, id: v.id, impact: v.impact, help: v.help,
                nodes: v.nodes.slice(0, 5).map(function (n) {
                  return {target: n.target.join(" "), summary: n.failureSummary};
                }),
                count: v.nodes.length};
      });
    });
  }
  function write(value) {
    var out = document.createElement("pre");
    out.id = "%(mark)s";
    out.textContent = JSON.stringify(value);
    document.body.appendChild(out);
  }
  window.addEventListener("load", function () {
    setTimeout(function () {
      ready()
        .then(function () { return audit("light"); })
        .then(function (light) {
          return audit("dark").then(function (dark) { write(light.concat(dark)); });
        })
        .catch(function (e) { write({error: String(e)}); });
    }, 500);
  });
})();
</script>
""" % {"mark": MARK}


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        found = shutil.which(name)
        if found:
            return found
    raise SystemExit("error: no Chromium found (Debian: apt-get install chromium)")


def dump_dom(browser: str, url: str, budget_ms: int) -> subprocess.CompletedProcess:
    """The DOM of ``url`` once its virtual time has run ``budget_ms``, in a fresh profile."""
    with tempfile.TemporaryDirectory(prefix="cnnmath-a11y-profile-") as profile:
        cmd = [
            browser,
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            f"--user-data-dir={profile}",
            f"--virtual-time-budget={budget_ms}",
            "--dump-dom",
            url,
        ]
        return subprocess.run(cmd, capture_output=True, text=True, timeout=300)


SEARCH_WORDS = ("gradient", "derivative", "softmax", "convolution")


class _QuietHandler(SimpleHTTPRequestHandler):
    def log_message(self, *args) -> None:
        pass


def search_snippets(browser: str, site: Path, budget_ms: int = 20000) -> dict[str, list[str]]:
    """The result snippets the search page shows for each of ``SEARCH_WORDS``."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        found = {}
        for word in SEARCH_WORDS:
            url = f"http://127.0.0.1:{server.server_port}/search.html?q={word}"
            dom = dump_dom(browser, url, budget_ms).stdout
            found[word] = [
                html.unescape(re.sub(r"<[^>]+>", "", m))
                for m in re.findall(r'<p class="context">(.*?)</p>', dom, re.S)
            ]
        return found
    finally:
        server.shutdown()
        server.server_close()


QUIZ_PROBE = """
<script>
window.addEventListener("load", function () { setTimeout(function () {
  var out = {errors: [], checked: 0};
  try { probe(out); } catch (e) { out.errors.push("the probe failed: " + e); }
  var pre = document.createElement("pre");
  pre.id = "cnnmath-quiz-probe";
  pre.textContent = JSON.stringify(out);
  document.body.appendChild(pre);
}, 300); });
function probe(out) {
  function expect(cond, what) { out.checked++; if (!cond) { out.errors.push(what); } }
  document.querySelectorAll("section.cnnmath-quiz").forEach(function (root) {
    var data = JSON.parse(root.querySelector("script.cq-data").textContent).versions;
    var blocks = root.querySelectorAll(".cq-version");
    var shown = parseInt(root.getAttribute("data-shown"), 10);
    expect(!blocks[shown].hidden, "the chosen version is visible");
    blocks.forEach(function (block, v) {
      block.querySelectorAll(".cq-question").forEach(function (li, k) {
        var a = data[v][k], out_ = li.querySelector(".cq-feedback"), id = li.id;
        var check = function () { li.querySelector(".cq-check").click(); return out_.className; };
        if (a.kind === "numeric") {
          var input = li.querySelector(".cq-input"), r = a.ranges[0];
          input.value = String((r[0] + r[1]) / 2);
          expect(/cq-right/.test(check()), id + ": the right number is accepted");
          input.value = String(r[1] + 1e3 * (Math.abs(r[1]) + 1));
          expect(/cq-wrong/.test(check()), id + ": a wrong number is refused");
          input.value = "two";
          expect(/cq-wrong/.test(check()), id + ": an unreadable number is refused");
        } else {
          var radios = li.querySelectorAll("input[type=radio]");
          a.options.forEach(function (o, j) {
            radios[j].checked = true;
            var verdict = check();
            expect(o[0] ? /cq-right/.test(verdict) : /cq-wrong/.test(verdict),
                   id + ": option " + j + " gets its verdict");
          });
        }
      });
    });
    var another = root.querySelector(".cq-another");
    if (another) {
      another.click();
      var next = parseInt(root.getAttribute("data-shown"), 10);
      expect(next === (shown + 1) % blocks.length && !blocks[next].hidden && blocks[shown].hidden,
             root.id + ": Another version shows the next one");
    }
  });
}
</script>
"""


def probe_quiz(browser: str, page: Path, budget_ms: int = 10000) -> dict:
    """The quiz probe run on a copy of ``page`` (a chapter with a quiz): checks and failures."""
    text = page.read_text(encoding="utf-8")
    probe = page.with_name("cnnmath-quiz-probe.html")
    probe.write_text(text.replace("</body>", QUIZ_PROBE + "</body>", 1), encoding="utf-8")
    dom = dump_dom(browser, probe.as_uri(), budget_ms).stdout
    found = re.search(r'<pre id="cnnmath-quiz-probe"[^>]*>(.*?)</pre>', dom, re.S)
    if not found:
        return {"errors": [f"{page.name}: the quiz probe did not report"], "checked": 0}
    return json.loads(html.unescape(found.group(1)))


def audit_page(browser: str, page: Path, budget_ms: int) -> list[dict]:
    """The violations axe finds on one (copied, instrumented) page, in both modes."""
    done = dump_dom(browser, page.as_uri(), budget_ms)
    start = done.stdout.find(f'<pre id="{MARK}"')  # the theme may add attributes
    if start < 0:  # a busy machine: once more, with three times the time
        done = dump_dom(browser, page.as_uri(), 3 * budget_ms)
        start = done.stdout.find(f'<pre id="{MARK}"')
    if start < 0:
        raise RuntimeError(f"{page}: axe did not report (chromium: {done.stderr[-500:]})")
    start = done.stdout.index(">", start) + 1
    result = json.loads(html.unescape(done.stdout[start : done.stdout.index("</pre>", start)]))
    if isinstance(result, dict):
        raise RuntimeError(f"{page}: axe failed: {result['error']}")
    return result


def audit(site: Path, budget_ms: int = 20000, jobs: int = 2) -> dict[str, list[dict]]:
    """Every page of the built ``site``: its violations, by the page's path in the site."""
    if not (site / "index.html").is_file():
        raise SystemExit(f"error: {site} holds no built book (no index.html)")
    if not AXE.is_file():
        raise SystemExit(f"error: {AXE} is missing: run `npm ci --prefix {HERE / 'a11y'}`")
    browser = chromium()
    with tempfile.TemporaryDirectory(prefix="cnnmath-a11y-site-") as tmp:
        copy = Path(tmp) / "site"
        shutil.copytree(site, copy)
        shutil.copy(AXE, copy / "cnnmath-axe.min.js")
        pages = sorted(  # the book's pages: not the theme's fragments, not a redirect
            p
            for p in copy.rglob("*.html")
            if not p.relative_to(copy).parts[0].startswith("_")
            and 'http-equiv="Refresh"' not in p.read_text(encoding="utf-8")
        )
        for page in pages:
            rel = os.path.relpath(copy / "cnnmath-axe.min.js", page.parent)
            text = page.read_text(encoding="utf-8")
            inject = f'<script src="{rel}"></script>{RUNNER}</body>'
            page.write_text(text.replace("</body>", inject, 1), encoding="utf-8")
        with ThreadPoolExecutor(max_workers=jobs) as pool:
            found = pool.map(lambda p: audit_page(browser, p, budget_ms), pages)
            return {str(p.relative_to(copy)): v for p, v in zip(pages, found)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", type=Path, help="a built book, e.g. _build/student/_build/html")
    parser.add_argument("--json", type=Path, help="write every violation found to this file")
    parser.add_argument("--jobs", type=int, default=2, help="pages audited at once (default 2)")
    args = parser.parse_args(argv)
    results = audit(args.site, jobs=args.jobs)
    failing = 0
    for page, violations in results.items():
        for v in violations:
            bad = v["impact"] in FAILING
            failing += bad
            flag = "FAIL" if bad else "note"
            print(
                f"{flag} {page} [{v['mode']}] {v['impact']} {v['id']}: {v['help']} ({v['count']})"
            )
            if bad:
                for n in v["nodes"]:
                    print(f"      {n['target']}: {n['summary']}".replace("\n", " "))
    with tempfile.TemporaryDirectory(prefix="cnnmath-a11y-quiz-") as tmp:
        chapter = next(
            (
                p
                for p in sorted((args.site / "book").glob("*.html"))
                if "cnnmath-quiz" in p.read_text(encoding="utf-8")
            ),
            None,
        )
        if chapter is None:
            print("FAIL quiz: no page of the book holds a quiz")
            failing += 1
        else:
            copy = Path(tmp) / "site"
            shutil.copytree(args.site, copy)
            result = probe_quiz(chromium(), copy / "book" / chapter.name)
            for error in result["errors"]:
                print(f"FAIL quiz on {chapter.name}: {error}")
            print(
                f"quiz on {chapter.name}: {result['checked']} checks, "
                f"{len(result['errors'])} failed"
            )
            failing += len(result["errors"]) + (result["checked"] == 0)
    snippets = search_snippets(chromium(), args.site)
    shown = sum(len(v) for v in snippets.values())
    tex = [(w, t) for w, found in snippets.items() for t in found if re.search(r"\\[(\[]", t)]
    for word, text in tex:
        print(f"FAIL search.html?q={word}: a snippet shows TeX: {text[:160]!r}")
    print(f"search: {shown} result snippets for {', '.join(SEARCH_WORDS)}: {len(tex)} show TeX")
    if shown == 0:
        print("FAIL search: no result snippets at all (the check could not see any)")
    failing += len(tex) + (shown == 0)
    if args.json:
        tmp = args.json.with_suffix(args.json.suffix + ".tmp")
        tmp.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
        tmp.replace(args.json)
    print(
        f"{len(results)} pages audited in light and dark mode: "
        f"{failing} serious or critical violations"
    )
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
