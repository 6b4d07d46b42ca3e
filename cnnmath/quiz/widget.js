/* cnnmath's chapter quiz (cnnmath/quiz/book.py): picks a version at load, checks answers, and
   typesets formulas with the page's own MathJax whenever it becomes ready (never a CDN). */
(function () {
  "use strict";

  var WAIT_MS = 250, GIVE_UP_MS = 120000;

  /* MathJax 3, once the page's copy has started; retried until then (it may load late). */
  function typeset(el, waited) {
    waited = waited || 0;
    var mj = window.MathJax;
    if (mj && mj.startup && mj.startup.promise && typeof mj.typesetPromise === "function") {
      mj.startup.promise
        .then(function () { return mj.typesetPromise([el]); })
        .then(function () { untab(el); })
        .catch(function () {
          if (waited < GIVE_UP_MS) {
            setTimeout(function () { typeset(el, waited + WAIT_MS); }, WAIT_MS);
          }
        });
      return;
    }
    if (waited < GIVE_UP_MS) {
      setTimeout(function () { typeset(el, waited + WAIT_MS); }, WAIT_MS);
    }
  }

  /* A formula is read with its question: it is not a Tab stop of its own. */
  function untab(el) {
    var found = el.querySelectorAll("mjx-container[tabindex]");
    for (var i = 0; i < found.length; i++) { found[i].setAttribute("tabindex", "-1"); }
  }

  function parseNumber(text) {
    var s = String(text).trim().replace(/\u2212/g, "-").replace(/[\s_]/g, "");
    var m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)(?:\/([-+]?(?:\d+\.?\d*|\.\d+)))?$/.exec(s);
    if (!m || s.length > 60) { return null; }
    var v = parseFloat(m[1]);
    if (m[2] !== undefined) {
      var d = parseFloat(m[2]);
      if (d === 0) { return null; }
      v = v / d;
    }
    return isFinite(v) ? v : null;
  }

  function verdict(answer, li) {
    if (answer.kind === "numeric") {
      var input = li.querySelector(".cq-input");
      var v = parseNumber(input.value);
      if (v === null) {
        return [false, "Could not read a number: write one such as 12, -0.5, 2.5e-3 or 3/4."];
      }
      for (var i = 0; i < answer.ranges.length; i++) {
        var r = answer.ranges[i];
        if (r[0] <= v && v <= r[1]) {
          return [r[2], r[2] ? r[3] : "Not quite. " + r[3]];
        }
      }
      return [false, answer.other];
    }
    var chosen = li.querySelector("input[type=radio]:checked");
    if (!chosen) { return [false, "Choose one of the options first."]; }
    var option = answer.options[parseInt(chosen.value, 10)];
    return [option[0], option[0] ? "Correct." : "Not quite. " + option[1]];
  }

  function check(answer, li) {
    var result = verdict(answer, li);
    var out = li.querySelector(".cq-feedback");
    out.classList.remove("cq-right", "cq-wrong");
    out.classList.add(result[0] ? "cq-right" : "cq-wrong");
    out.innerHTML = result[1];
    typeset(out);
  }

  function wire(root, data) {
    var blocks = root.querySelectorAll(".cq-version");
    blocks.forEach(function (block) {
      var answers = data.versions[parseInt(block.getAttribute("data-version"), 10)];
      block.querySelectorAll(".cq-question").forEach(function (li, k) {
        li.querySelector(".cq-check").addEventListener("click", function () {
          check(answers[k], li);
        });
        var input = li.querySelector(".cq-input");
        if (input) {
          input.addEventListener("keydown", function (e) {
            if (e.key === "Enter") { e.preventDefault(); check(answers[k], li); }
          });
        }
      });
    });
  }

  function show(root, v) {
    var blocks = root.querySelectorAll(".cq-version");
    blocks.forEach(function (block, i) { block.hidden = i !== v; });
    var which = root.querySelector(".cq-which");
    if (which) { which.textContent = "Version " + (v + 1) + " of " + blocks.length; }
    root.setAttribute("data-shown", String(v));
  }

  /* The next version in turn at each load (local storage), or a random one without storage. */
  function pick(name, count) {
    var key = "cnnmath-quiz:" + name;
    try {
      var last = parseInt(window.localStorage.getItem(key), 10);
      var v = isNaN(last) ? Math.floor(Math.random() * count) : (last + 1) % count;
      window.localStorage.setItem(key, String(v));
      return v;
    } catch (e) {
      return Math.floor(Math.random() * count);
    }
  }

  function init(root) {
    if (root.getAttribute("data-ready")) { return; }
    root.setAttribute("data-ready", "1");
    var data = JSON.parse(root.querySelector("script.cq-data").textContent);
    var count = data.versions.length;
    wire(root, data);
    show(root, pick(root.getAttribute("data-name"), count));
    var another = root.querySelector(".cq-another");
    if (another) {
      another.addEventListener("click", function () {
        show(root, (parseInt(root.getAttribute("data-shown"), 10) + 1) % count);
      });
    }
    typeset(root);
  }

  document.querySelectorAll("section.cnnmath-quiz").forEach(init);
})();
