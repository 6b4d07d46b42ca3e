/* cnnmath's fixes for readers (cnnmath/reader.py adds this file to every page of the book). */
(function () {
  "use strict";

  /* The theme's colour-mode button: its accessible name says the mode its visible icon shows
     (WCAG 2.5.3, label in name), kept in step when the mode changes. */
  function nameModeButtons() {
    var mode = document.documentElement.getAttribute("data-mode") || "auto";
    var names = {light: "Light", dark: "Dark", auto: "System Settings"};
    document.querySelectorAll(".theme-switch-button").forEach(function (button) {
      button.setAttribute("aria-label", "Color mode: " + (names[mode] || mode));
    });
  }

  /* TeX as plain text, for the search results' snippets: \(\partial E/\partial z\) reads
     "∂E/∂z" instead of its source. */
  var SYMBOLS = {
    alpha: "α", beta: "β", gamma: "γ", delta: "δ", epsilon: "ε", varepsilon: "ε", eta: "η",
    theta: "θ", lambda: "λ", mu: "μ", nu: "ν", pi: "π", rho: "ρ", sigma: "σ", tau: "τ",
    phi: "φ", varphi: "φ", psi: "ψ", omega: "ω", Delta: "Δ", Sigma: "Σ", Omega: "Ω",
    Gamma: "Γ", Lambda: "Λ", Phi: "Φ", Psi: "Ψ", Theta: "Θ", partial: "∂", nabla: "∇",
    sum: "Σ", prod: "Π", int: "∫", infty: "∞", cdot: "·", times: "×", le: "≤", leq: "≤",
    ge: "≥", geq: "≥", ne: "≠", neq: "≠", approx: "≈", to: "→", rightarrow: "→",
    leftarrow: "←", mapsto: "↦", in: "∈", odot: "⊙", otimes: "⊗", ast: "*", pm: "±",
    sqrt: "√", ldots: "…", cdots: "…", dots: "…", lfloor: "⌊", rfloor: "⌋", lceil: "⌈",
    rceil: "⌉", log: "log", exp: "exp", max: "max", min: "min", tanh: "tanh", quad: " ",
    qquad: " ", top: "T", ell: "ℓ", lVert: "‖", rVert: "‖", Vert: "‖", mid: "|", circ: "∘"
  };

  function texToText(tex) {
    var s = tex.trim().replace(/^\\[(\[]/, "").replace(/\\[)\]]$/, "");
    s = s.replace(/\\(?:begin|end)\{[^{}]*\}/g, " ");
    s = s.replace(/\\[dt]?frac\s*\{([^{}]*)\}\s*\{([^{}]*)\}/g, "($1)/($2)");
    s = s.replace(/\\(?:left|right|big|Big|bigg|Bigg)\b\s*/g, "");
    s = s.replace(/\\([A-Za-z]+)/g, function (m, name) {
      return Object.prototype.hasOwnProperty.call(SYMBOLS, name) ? SYMBOLS[name] : "";
    });
    s = s.replace(/\\[,;:! ]/g, " ").replace(/\\\\/g, " ").replace(/[{}]/g, "");
    s = s.replace(/&/g, " ").replace(/\s+/g, " ");
    return s.trim();
  }

  function patchSearch() {
    if (typeof Search === "undefined" || !Search.htmlToText || Search.cnnmathPatched) { return; }
    var original = Search.htmlToText;
    Search.htmlToText = function (htmlString, anchor) {
      var doc = new DOMParser().parseFromString(htmlString, "text/html");
      doc.querySelectorAll(".math").forEach(function (el) {
        el.textContent = " " + texToText(el.textContent) + " ";
      });
      return original(doc.documentElement.outerHTML, anchor);
    };
    Search.cnnmathPatched = true;
  }

  window.cnnmathTexToText = texToText;
  document.addEventListener("DOMContentLoaded", function () {
    nameModeButtons();
    new MutationObserver(nameModeButtons).observe(document.documentElement, {
      attributes: true, attributeFilter: ["data-mode", "data-theme"]
    });
    patchSearch();
  });
})();
