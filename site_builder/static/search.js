/* The search box at the top of every page: machines by name, address, description,
   location or tag, and interfaces by name or alias, from search.json (written by the
   builder, what the viewer may see); the text can also be looked for in the alerts. */
"use strict";
(function () {
  var MAX = 12, index = null;

  function load() {
    if (!index) {
      index = fetch(Vigie.root + "search.json", { credentials: "same-origin", cache: "no-cache" })
        .then(function (r) { if (!r.ok) throw new Error("HTTP " + r.status); return r.json(); })
        .catch(function () { index = null; return []; });
    }
    return index;
  }

  function words(text) { return text.toLowerCase().split(/\s+/).filter(Boolean); }
  function all(terms, haystack) {
    haystack = haystack.toLowerCase();
    return terms.every(function (t) { return haystack.indexOf(t) >= 0; });
  }

  /* [{label, detail, href}] for the terms: machines first, then interfaces. */
  function find(machines, text) {
    var terms = words(text), found = [], interfaces = [];
    if (!terms.length) return found;
    machines.forEach(function (m) {
      var tags = Object.keys(m.tags || {}).map(function (k) { return k + " " + m.tags[k]; }).join(" ");
      if (all(terms, [m.name, m.host, m.description, m.location, tags].join(" "))) {
        found.push({ label: m.name, detail: [m.host, m.location, m.state].filter(Boolean).join(" · "),
                     href: Vigie.root + "machines/" + encodeURIComponent(m.name) + ".html" });
      }
      (m.interfaces || []).forEach(function (i) {
        if (all(terms, [m.name, i[0], i[1]].join(" "))) {
          interfaces.push({ label: m.name + " › " + i[0], detail: i[1] || "interface",
                            href: Vigie.root + "machines/" + encodeURIComponent(m.name) + ".html#graph-" + i[2] });
        }
      });
    });
    return found.concat(interfaces).slice(0, MAX);
  }

  function show(box, results, text) {
    box.textContent = "";
    results.concat([{ label: "Alerts mentioning “" + text + "”", detail: "in the alerts console",
                      href: Vigie.root + "alerts.html?view=all&q=" + encodeURIComponent(text) }])
      .forEach(function (r, n) {
        var a = document.createElement("a");
        a.href = r.href;
        a.setAttribute("role", "option");
        a.className = "search-result" + (n === 0 ? " first" : "");
        var label = document.createElement("span");
        label.className = "label";
        label.textContent = r.label;
        var detail = document.createElement("span");
        detail.className = "sub";
        detail.textContent = r.detail;
        a.appendChild(label);
        a.appendChild(document.createTextNode(" "));
        a.appendChild(detail);
        box.appendChild(a);
      });
    box.hidden = false;
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("search"), input = document.getElementById("search-input");
    var box = document.getElementById("search-results");
    if (!form) return;
    var pending = 0;
    input.addEventListener("input", function () {
      var text = input.value.trim(), ticket = ++pending;
      if (!text) { box.hidden = true; return; }
      load().then(function (machines) {
        if (ticket === pending) show(box, find(machines, text), text);
      });
    });
    input.addEventListener("focus", function () { load(); });
    input.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { box.hidden = true; input.blur(); }
    });
    form.addEventListener("submit", function (e) {   /* Enter: the first result */
      e.preventDefault();
      var first = box.querySelector("a");
      if (first) location.href = first.href;
    });
    document.addEventListener("click", function (e) { if (!form.contains(e.target)) box.hidden = true; });
  });
})();
