/* Alerts console: filters, sorting, paging, acknowledgement.
   Live against the API when it answers and the user is logged in; otherwise
   the snapshot written into the page at build time, filtered here. */
"use strict";
(function () {
  var PAGE = 50;
  var LIVE_REFRESH_MS = 30000;
  var RANK = JSON.parse(document.getElementById("severity-rank").textContent);  // least severe 0
  var TEXT_FILTERS = ["server", "environment", "application", "provider", "q"];
  var state = { ordering: "-timestamp", offset: 0, live: false, who: null };
  var snapshot = JSON.parse(document.getElementById("alerts-snapshot").textContent);
  var form, tbody;

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function toLocalInput(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return "";
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds());
  }
  function toUtc(localValue) {
    if (!localValue) return "";
    var d = new Date(localValue);  /* a datetime-local value is the viewer's local time */
    return isNaN(d.getTime()) ? "" : d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
  }

  function readFilters() {
    var f = {};
    var sev = Array.prototype.filter.call(form.querySelectorAll('input[name="severity"]'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    if (sev.length) f.severity = sev;
    TEXT_FILTERS.forEach(function (name) { var v = form[name].value.trim(); if (v) f[name] = v; });
    if (form.acknowledged.value) f.acknowledged = form.acknowledged.value;
    ["since", "until"].forEach(function (name) { var v = toUtc(form[name].value); if (v) f[name] = v; });
    return f;
  }

  function writeFilters(params) {
    var sev = (params.getAll("severity").join(",")).split(",").filter(Boolean);
    form.querySelectorAll('input[name="severity"]').forEach(function (c) { c.checked = sev.indexOf(c.value) >= 0; });
    TEXT_FILTERS.forEach(function (name) { form[name].value = params.get(name) || ""; });
    form.acknowledged.value = params.get("acknowledged") || "";
    ["since", "until"].forEach(function (name) { form[name].value = params.get(name) ? toLocalInput(params.get(name)) : ""; });
    if (params.get("ordering")) state.ordering = params.get("ordering");
  }

  function query(filters, extra) {
    var params = new URLSearchParams();
    Object.keys(filters).forEach(function (k) {
      params.set(k, Array.isArray(filters[k]) ? filters[k].join(",") : filters[k]);
    });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  /* ---- the offline snapshot, filtered and sorted like the API does */
  function matches(a, f) {
    if (f.severity && f.severity.indexOf(a.severity) < 0) return false;
    var exact = ["server", "environment", "application", "provider"];
    for (var i = 0; i < exact.length; i++) if (f[exact[i]] && a[exact[i]] !== f[exact[i]]) return false;
    if (f.acknowledged && String(a.acknowledged) !== f.acknowledged) return false;
    if (f.q && a.message.toLowerCase().indexOf(f.q.toLowerCase()) < 0) return false;
    if (f.since && new Date(a.timestamp) < new Date(f.since)) return false;
    if (f.until && new Date(a.timestamp) > new Date(f.until)) return false;
    return true;
  }
  function compare(ordering) {
    var desc = ordering.charAt(0) === "-", field = ordering.replace(/^-/, "");
    return function (a, b) {
      var x = field === "severity" ? RANK[a.severity] : field === "timestamp" ? Date.parse(a.timestamp) : a[field];
      var y = field === "severity" ? RANK[b.severity] : field === "timestamp" ? Date.parse(b.timestamp) : b[field];
      var c = x < y ? -1 : x > y ? 1 : (a.id - b.id);
      return desc ? -c : c;
    };
  }
  function fromSnapshot(f) {
    var rows = snapshot.results.filter(function (a) { return matches(a, f); }).sort(compare(state.ordering));
    return Promise.resolve({ count: rows.length, results: rows.slice(state.offset, state.offset + PAGE) });
  }

  function fromApi(f) {
    return Vigie.api("GET", "/api/alert?" + query(f, { ordering: state.ordering, limit: PAGE, offset: state.offset }))
      .then(function (r) {
        if (r.status !== 200 || !r.body) throw new Error((r.body && r.body.error) || ("HTTP " + r.status));
        return r.body;
      });
  }

  var cell = Vigie.cell;

  function ackCell(tr, a) {
    var td = cell(tr, "");
    var operator = state.live && Vigie.can(state.who, "operator");
    if (a.acknowledged) {
      var span = document.createElement("span");
      span.className = "acked";
      span.textContent = "✓ " + (a.acknowledged_by || "");
      if (a.acknowledged_at) span.title = Vigie.localTime(a.acknowledged_at);
      td.appendChild(span);
    }
    if (operator) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = a.acknowledged ? "unack" : "ack";
      b.textContent = a.acknowledged ? "Undo" : "Acknowledge";
      b.addEventListener("click", function () { acknowledge(a.id, !a.acknowledged); });
      td.appendChild(b);
    }
  }

  function show(page) {
    tbody.textContent = "";
    page.results.forEach(function (a) {
      var tr = document.createElement("tr");
      tr.dataset.id = a.id;
      if (!a.acknowledged) tr.className = "open";
      cell(tr, Vigie.timeElement(a.timestamp));
      var sev = document.createElement("span");
      sev.className = "sev sev-" + String(a.severity).toLowerCase();
      sev.textContent = a.severity;
      cell(tr, sev);
      cell(tr, a.server);
      cell(tr, a.message, "message");
      cell(tr, a.environment);
      cell(tr, a.application);
      cell(tr, a.provider);
      ackCell(tr, a);
      tbody.appendChild(tr);
    });
    if (!page.results.length) {
      var tr = document.createElement("tr");
      cell(tr, "No alert matches these filters.").colSpan = 8;
      tbody.appendChild(tr);
    }
    var first = page.count ? state.offset + 1 : 0, last = state.offset + page.results.length;
    document.getElementById("result-count").textContent = page.count + " alert" + (page.count === 1 ? "" : "s") + " match";
    document.getElementById("page-info").textContent = first + "–" + last + " of " + page.count;
    document.getElementById("prev-page").disabled = state.offset === 0;
    document.getElementById("next-page").disabled = last >= page.count;
    state.count = page.count;
    document.querySelectorAll("button.sort").forEach(function (b) {
      var f = b.dataset.field;
      b.dataset.sorted = state.ordering === f ? "asc" : state.ordering === "-" + f ? "desc" : "";
    });
  }

  function refresh() {
    var f = readFilters();
    var load = state.live ? fromApi(f) : fromSnapshot(f);
    return load.then(show, function (err) { message("Cannot load alerts: " + err.message); });
  }

  function message(text) { document.getElementById("action-message").textContent = text; }

  function acknowledge(id, ack) {
    Vigie.api("POST", "/api/alert/" + id + (ack ? "/ack" : "/unack")).then(function (r) {
      message(r.status === 200 ? (ack ? "Alert " + id + " acknowledged." : "Alert " + id + " reopened.")
        : "Refused: " + ((r.body && r.body.error) || "HTTP " + r.status));
      refresh();
    });
  }

  function bulkAcknowledge() {
    var f = readFilters();
    if (!window.confirm("Acknowledge all " + state.count + " matching alerts?")) return;
    Vigie.api("POST", "/api/alert/ack", f).then(function (r) {
      message(r.status === 200 && r.body ? r.body.acknowledged + " alerts acknowledged."
        : "Refused: " + ((r.body && r.body.error) || "HTTP " + r.status));
      refresh();
    });
  }

  function syncUrl() {
    history.replaceState(null, "", "?" + query(readFilters(), state.ordering !== "-timestamp" ? { ordering: state.ordering } : {}));
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("filters");
    tbody = document.querySelector("#alerts tbody");
    writeFilters(new URLSearchParams(location.search));
    form.addEventListener("submit", function (e) { e.preventDefault(); state.offset = 0; syncUrl(); refresh(); });
    form.addEventListener("change", function () { state.offset = 0; syncUrl(); refresh(); });
    form.addEventListener("reset", function () { setTimeout(function () { state.offset = 0; syncUrl(); refresh(); }, 0); });
    document.querySelectorAll("button.sort").forEach(function (b) {
      b.addEventListener("click", function () {
        var f = b.dataset.field;
        state.ordering = state.ordering === "-" + f ? f : "-" + f;
        state.offset = 0;
        syncUrl();
        refresh();
      });
    });
    document.getElementById("prev-page").addEventListener("click", function () { state.offset = Math.max(0, state.offset - PAGE); refresh(); });
    document.getElementById("next-page").addEventListener("click", function () { state.offset += PAGE; refresh(); });
    document.getElementById("bulk-ack").addEventListener("click", bulkAcknowledge);
    Vigie.me.then(function (who) {
      state.who = who;
      state.live = who.state === "user";
      document.body.dataset.mode = state.live ? "live" : "snapshot";
      if (!state.live) {
        var when = Vigie.localTime(snapshot.taken_at);
        Vigie.notice(who.state === "anonymous"
          ? "Not logged in: showing the snapshot of " + snapshot.results.length + " recent alerts taken at " + when + ". Log in for live alerts."
          : "The API cannot be reached: showing the snapshot of " + snapshot.results.length + " recent alerts (of " + snapshot.count + ") taken at " + when + ".");
      }
      refresh();
      if (state.live) {  /* new alerts arrive all the time: reload the rows now and then */
        setInterval(function () { if (!document.hidden) refresh(); }, LIVE_REFRESH_MS);
      }
    });
  });
})();
