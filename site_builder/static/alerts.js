/* Alerts console: views (what needs attention first), filters, sorting, paging, and an
   alert's detail with its history, where an operator acknowledges for a while, shelves,
   resolves, adds a note or makes a silence from it; an operator also selects rows and
   acknowledges, shelves or resolves them at once with one note. The alerts of devices unreachable
   behind a machine that is down (suppressed) are folded under that root cause: "and 12
   behind it" opens them beneath it; a box lists them among the others.
   Live against the API when it answers and the user is logged in; otherwise the
   snapshot written into the page at build time, filtered here. */
"use strict";
(function () {
  var PAGE = 50;
  var LIVE_REFRESH_MS = 30000;
  var RANK = JSON.parse(document.getElementById("severity-rank").textContent);  // least severe 0
  var VIEWS = JSON.parse(document.getElementById("alert-views").textContent);   // the first is the default
  var TEXT_FILTERS = ["server", "environment", "application", "provider", "q"];
  var state = { ordering: "-timestamp", offset: 0, live: false, who: null, detail: null, opened: {}, selected: {} };
  var snapshot = JSON.parse(document.getElementById("alerts-snapshot").textContent);
  var MACHINES = {};   // servers with a machine page
  JSON.parse(document.getElementById("alert-machines").textContent).forEach(function (m) { MACHINES[m] = true; });

  /* The server, linked to its machine page when it has one. */
  function serverNode(name) {
    if (!MACHINES[name]) return document.createTextNode(name);
    var a = document.createElement("a");
    a.href = "machines/" + encodeURIComponent(name) + ".html";
    a.className = "machine-link";
    a.textContent = name;
    a.title = "Machine page of " + name;
    return a;
  }
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
  function view(name) {
    for (var i = 0; i < VIEWS.length; i++) if (VIEWS[i].name === name) return VIEWS[i];
    return VIEWS[0];
  }

  /* What the form says (view included), and the API filters it means. */
  function readForm() {
    var f = {};
    var sev = Array.prototype.filter.call(form.querySelectorAll('input[name="severity"]'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    if (sev.length) f.severity = sev;
    TEXT_FILTERS.forEach(function (name) { var v = form[name].value.trim(); if (v) f[name] = v; });
    if (form.acknowledged.value) f.acknowledged = form.acknowledged.value;
    ["since", "until"].forEach(function (name) { var v = toUtc(form[name].value); if (v) f[name] = v; });
    return f;
  }
  function readFilters() {
    var f = readForm(), chosen = view(form.view.value);
    Object.keys(chosen.filters).forEach(function (k) { f[k] = chosen.filters[k]; });
    if (chosen.fold) {   /* folded under their root cause, unless the box asks for them */
      if (form.behind.checked) delete f.suppressed; else f.suppressed = "false";
    }
    return f;
  }
  function folded() { return view(form.view.value).fold && !form.behind.checked; }

  function writeFilters(params) {
    var sev = (params.getAll("severity").join(",")).split(",").filter(Boolean);
    form.querySelectorAll('input[name="severity"]').forEach(function (c) { c.checked = sev.indexOf(c.value) >= 0; });
    TEXT_FILTERS.forEach(function (name) { form[name].value = params.get(name) || ""; });
    form.acknowledged.value = params.get("acknowledged") || "";
    form.behind.checked = params.get("behind") === "1";
    form.view.value = view(params.get("view")).name;
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
    var flags = ["acknowledged", "silenced", "flapping", "suppressed"];
    for (var j = 0; j < flags.length; j++) if (f[flags[j]] && String(a[flags[j]]) !== f[flags[j]]) return false;
    if (f.status && f.status.split(",").indexOf(a.status) < 0) return false;
    if (f.suppressed_by_alert && a.suppressed_by_alert !== Number(f.suppressed_by_alert)) return false;
    if (f.q && a.message.toLowerCase().indexOf(f.q.toLowerCase()) < 0) return false;
    if (f.since && new Date(a.timestamp) < new Date(f.since)) return false;
    if (f.until && new Date(a.timestamp) > new Date(f.until)) return false;
    return true;
  }
  function compare(ordering) {
    var desc = ordering.charAt(0) === "-", field = ordering.replace(/^-/, "");
    var times = { timestamp: 1, last_seen: 1, first_seen: 1 };
    function key(a) { return field === "severity" ? RANK[a.severity] : times[field] ? Date.parse(a[field]) : a[field]; }
    return function (a, b) {
      var x = key(a), y = key(b);
      var c = x < y ? -1 : x > y ? 1 : (a.id - b.id);
      return desc ? -c : c;
    };
  }
  function fromSnapshot(f) {
    var rows = snapshot.results.filter(function (a) { return matches(a, f); }).sort(compare(state.ordering));
    return Promise.resolve({ count: rows.length, results: rows.slice(state.offset, state.offset + PAGE) });
  }

  function fromApi(f) {
    var csv = document.getElementById("export-csv");   /* the same filters and order, every page, as CSV */
    csv.href = Vigie.apiBase + "/api/alert?" + query(f, { ordering: state.ordering, format: "csv" });
    csv.hidden = false;
    return Vigie.api("GET", "/api/alert?" + query(f, { ordering: state.ordering, limit: PAGE, offset: state.offset }))
      .then(function (r) {
        if (r.status !== 200 || !r.body) throw new Error((r.body && r.body.error) || ("HTTP " + r.status));
        return r.body;
      });
  }

  var cell = Vigie.cell;

  function element(tag, text, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function badge(text, cls, title) {
    var span = element("span", text, "badge " + cls);
    if (title) span.title = title;
    return span;
  }

  function ackCell(tr, a) {
    var td = cell(tr, "");
    var operator = state.live && Vigie.can(state.who, "operator");
    td.className = "ack";
    if (a.acknowledged) {
      var span = element("span", "✓ " + (a.acknowledged_by || "acknowledged"), "acked");
      span.title = "Acknowledged" + (a.acknowledged_by ? " by " + a.acknowledged_by : "") +
        (a.acknowledged_at ? ", " + Vigie.localTime(a.acknowledged_at) : "");
      td.appendChild(span);
      td.appendChild(document.createTextNode(" "));
    }
    if (operator && a.status !== "resolved") {
      var b = element("button", a.acknowledged ? "Undo" : "Acknowledge", a.acknowledged ? "unack" : "ack");
      b.type = "button";
      b.addEventListener("click", function () { acknowledge(a.id, !a.acknowledged); });
      td.appendChild(b);
    }
  }

  function statusText(a) {
    if (a.status === "acknowledged" && a.ack_until) return "acknowledged until " + Vigie.localTime(a.ack_until);
    if (a.status === "shelved") return "shelved until " + Vigie.localTime(a.shelved_until);
    if (a.status === "resolved" && a.resolved_at) return "resolved " + Vigie.localTime(a.resolved_at);
    return a.status;
  }

  function messageCell(tr, a) {
    var td = cell(tr, "", "message");
    var open = element("button", a.message, "link open-detail");
    open.type = "button";
    open.title = "Details and history";
    open.addEventListener("click", function () { openDetail(a.id); });
    td.appendChild(open);
    if (a.flapping) td.appendChild(badge("flapping ×" + a.flap_count, "flapping", "changes between open and resolved"));
    if (a.silenced) td.appendChild(badge("silenced", "silenced", "by silence " + a.silence_id));
    if (a.reopen_count) td.appendChild(badge("reopened ×" + a.reopen_count, "reopened"));
    if (a.suppressed) td.appendChild(rootLink(a));
    if (a.suppressing && folded() && a.status !== "resolved") td.appendChild(behindToggle(a));
  }

  /* "behind core": the root cause of a suppressed alert, opened in the detail. */
  function rootLink(a) {
    var b = element("button", "behind " + a.suppressed_by, "badge suppressed link");
    b.type = "button";
    b.title = "Unreachable behind " + a.suppressed_by + ", which is down (alert #" + a.suppressed_by_alert +
      "): not told, not counted as needing attention";
    b.addEventListener("click", function () { openDetail(a.suppressed_by_alert); });
    return b;
  }

  /* "and 12 behind it": the alerts this root cause suppresses, opened beneath its row. */
  function behindToggle(a) {
    var b = element("button", "", "behind-toggle");
    b.type = "button";
    b.dataset.root = a.id;
    function label() {
      b.textContent = (state.opened[a.id] ? "▾" : "▸") + " and " + a.suppressing + " behind it";
      b.setAttribute("aria-expanded", state.opened[a.id] ? "true" : "false");
    }
    label();
    b.title = a.suppressing + " alert" + (a.suppressing > 1 ? "s are" : " is") + " unreachable behind " + a.server +
      " or a port toward it: folded here, not told";
    b.addEventListener("click", function () {
      if (state.opened[a.id]) { delete state.opened[a.id]; closeBehind(a.id); label(); return; }
      state.opened[a.id] = true;
      label();
      openBehind(a);
    });
    return b;
  }

  function closeBehind(rootId) {
    tbody.querySelectorAll('tr.behind[data-root="' + rootId + '"]').forEach(function (tr) { tr.remove(); });
  }

  function openBehind(a) {
    var f = { suppressed_by_alert: String(a.id), status: "open,acknowledged,shelved" };
    var load = state.live
      ? Vigie.api("GET", "/api/alert?" + query(f, { ordering: "server", limit: 1000 })).then(function (r) {
          if (r.status !== 200 || !r.body) throw new Error((r.body && r.body.error) || ("HTTP " + r.status));
          return r.body.results;
        })
      : Promise.resolve(snapshot.results.filter(function (x) { return matches(x, f); }).sort(compare("server")));
    return load.then(function (found) {
      closeBehind(a.id);
      var after = tbody.querySelector('tr[data-id="' + a.id + '"]');
      if (!after || !state.opened[a.id]) return;
      found.forEach(function (child) {
        var tr = alertRow(child);
        tr.classList.add("behind");
        tr.dataset.root = a.id;
        after.parentNode.insertBefore(tr, after.nextSibling);
        after = tr;
      });
    }, function (err) { message("Cannot load the alerts behind " + a.server + ": " + err.message); });
  }

  function alertRow(a) {
    var tr = document.createElement("tr");
    tr.dataset.id = a.id;
    tr.dataset.status = a.status;
    if (a.status === "open") tr.className = "open";
    cell(tr, Vigie.timeElement(a.timestamp));
    cell(tr, element("span", a.severity, "sev sev-" + String(a.severity).toLowerCase()));
    cell(tr, serverNode(a.server));
    messageCell(tr, a);
    cell(tr, element("span", statusText(a), "status status-" + a.status));
    var count = cell(tr, "×" + (a.duplicate_count + 1), "num count");
    count.title = "first seen " + Vigie.localTime(a.first_seen);
    cell(tr, Vigie.timeElement(a.last_seen));
    cell(tr, a.environment);
    cell(tr, a.application);
    cell(tr, a.provider);
    ackCell(tr, a);
    return tr;
  }

  function show(page) {
    tbody.textContent = "";
    keepSelected(page.results);
    page.results.forEach(function (a) {
      var tr = alertRow(a);
      if (canSelect()) selectBox(tr, a);
      tbody.appendChild(tr);
      if (state.opened[a.id] && a.suppressing && folded()) openBehind(a);
    });
    showSelection();
    if (!page.results.length) {
      var tr = document.createElement("tr");
      cell(tr, "No alert matches these filters.").colSpan = 11;
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
  function refused(r) { return "Refused: " + ((r.body && r.body.error) || "HTTP " + r.status); }

  function acknowledge(id, ack) {
    Vigie.api("POST", "/api/alert/" + id + (ack ? "/ack" : "/unack")).then(function (r) {
      message(r.status === 200 ? (ack ? "Alert " + id + " acknowledged." : "Alert " + id + " reopened.") : refused(r));
      refresh();
    });
  }

  function bulkAcknowledge() {
    var f = readFilters();
    if (!window.confirm("Acknowledge all " + state.count + " matching alerts?")) return;
    Vigie.api("POST", "/api/alert/ack", f).then(function (r) {
      message(r.status === 200 && r.body ? r.body.acknowledged + " alerts acknowledged." : refused(r));
      refresh();
    });
  }

  /* ---- the selection: an operator ticks rows of the page (or all of them) and acknowledges,
     shelves or resolves them with one note, through each alert's own route, so each one
     is checked as if it were done alone (role, team scope, its status). A viewer has no
     boxes. The selection is of the rows shown: a row that leaves the page leaves it. */
  function canSelect() { return state.live && Vigie.can(state.who, "operator"); }

  function keepSelected(results) {
    var shown = {};
    results.forEach(function (a) { shown[a.id] = true; });
    Object.keys(state.selected).forEach(function (id) { if (!shown[id]) delete state.selected[id]; });
  }

  function selectBox(tr, a) {
    var box = element("input", null, "select");
    box.type = "checkbox";
    box.value = a.id;
    box.checked = !!state.selected[a.id];
    box.setAttribute("aria-label", "Select alert #" + a.id);
    box.addEventListener("change", function () {
      if (box.checked) state.selected[a.id] = true; else delete state.selected[a.id];
      showSelection();
    });
    tr.cells[0].insertBefore(box, tr.cells[0].firstChild);
  }

  function pageBoxes() { return Array.prototype.slice.call(tbody.querySelectorAll("tr:not(.behind) input.select")); }

  /* The page's boxes, the select-all box and the bar, from state.selected: the one record of the selection. */
  function showSelection() {
    var n = Object.keys(state.selected).length, boxes = pageBoxes(), all = document.getElementById("select-page");
    boxes.forEach(function (b) { b.checked = !!state.selected[b.value]; });
    var ticked = boxes.filter(function (b) { return b.checked; }).length;
    all.hidden = !canSelect() || !boxes.length;
    all.checked = boxes.length > 0 && ticked === boxes.length;
    all.indeterminate = ticked > 0 && ticked < boxes.length;
    document.getElementById("bulk-bar").hidden = !canSelect() || !n;
    document.getElementById("bulk-count").textContent = n + " selected";
  }

  function selectPage(on) {
    pageBoxes().forEach(function (b) {
      if (on) state.selected[b.value] = true; else delete state.selected[b.value];
    });
    showSelection();
  }

  /* One action on every selected alert, one after the other; those refused stay selected. */
  function actOnSelection(verb, body, words) {
    var bar = document.getElementById("bulk-bar"), note = bar.note.value.trim(), done = 0, refusals = [];
    var ids = Object.keys(state.selected).map(Number).sort(function (x, y) { return x - y; });
    if (note) body.note = note;
    bar.querySelectorAll("button").forEach(function (b) { b.disabled = true; });
    message(words.doing + " " + ids.length + " alert" + (ids.length === 1 ? "" : "s") + "…");
    var run = ids.reduce(function (previous, id) {
      return previous.then(function () {
        return Vigie.api("POST", "/api/alert/" + id + "/" + verb, body).then(function (r) {
          if (r.status === 200) { done += 1; delete state.selected[id]; } else refusals.push("#" + id + ": " + ((r.body && r.body.error) || "HTTP " + r.status));
        }, function () { refusals.push("#" + id + ": the server cannot be reached"); });
      });
    }, Promise.resolve());
    return run.then(function () {
      bar.querySelectorAll("button").forEach(function (b) { b.disabled = false; });
      showSelection();   /* before it is said */
      if (!refusals.length) bar.note.value = "";
      message(done + " alert" + (done === 1 ? "" : "s") + " " + words.done + "." +
        (refusals.length ? " Not done: " + refusals.join("; ") : ""));
      return refresh();
    });
  }

  function wireSelection() {
    var bar = document.getElementById("bulk-bar");
    document.getElementById("select-page").addEventListener("change", function (e) { selectPage(e.target.checked); });
    document.getElementById("bulk-clear").addEventListener("click", function () {
      state.selected = {};
      showSelection();
    });
    document.getElementById("bulk-selected-ack").addEventListener("click", function () {
      actOnSelection("ack", minutesBody(bar.ack_for), { doing: "Acknowledging", done: "acknowledged" });
    });
    document.getElementById("bulk-selected-shelve").addEventListener("click", function () {
      actOnSelection("shelve", minutesBody(bar.shelve_for), { doing: "Shelving", done: "shelved" });
    });
    document.getElementById("bulk-selected-resolve").addEventListener("click", function () {
      var n = Object.keys(state.selected).length;
      if (!window.confirm("Resolve the " + n + " selected alert" + (n === 1 ? "" : "s") + "?")) return;
      actOnSelection("resolve", {}, { doing: "Resolving", done: "resolved" });
    });
    bar.addEventListener("submit", function (e) { e.preventDefault(); });
  }

  /* ---- one alert: its facts, its history, what an operator may do */
  var FACTS = [["status", "Status"], ["severity", "Severity"], ["server", "Server"], ["environment", "Environment"],
    ["application", "Application"], ["provider", "Provider"], ["first_seen", "First seen"], ["last_seen", "Last seen"],
    ["duplicate_count", "Seen again"], ["reopen_count", "Reopened"], ["acknowledged_by", "Acknowledged by"],
    ["ack_until", "Acknowledged until"], ["shelved_until", "Shelved until"], ["resolution", "Resolved"],
    ["expires_at", "Resolves by itself at"], ["silence_id", "Silenced by silence"],
    ["suppressed_by", "Unreachable behind"], ["suppressing", "Behind it"], ["fingerprint", "Fingerprint"]];
  var TIMES = { first_seen: 1, last_seen: 1, ack_until: 1, shelved_until: 1, expires_at: 1 };

  function showFacts(a) {
    var dl = document.getElementById("detail-facts");
    dl.textContent = "";
    document.getElementById("detail-title").textContent = "#" + a.id + " " + a.message;
    FACTS.forEach(function (pair) {
      var value = a[pair[0]];
      if (value === null || value === undefined || value === "" || (pair[0] === "reopen_count" && !value) ||
          (pair[0] === "suppressing" && !value)) return;
      dl.appendChild(element("dt", pair[1]));
      var dd = element("dd");
      if (pair[0] === "status") dd.textContent = statusText(a);
      else if (TIMES[pair[0]]) dd.appendChild(Vigie.timeElement(value));
      else if (pair[0] === "silence_id") dd.appendChild(link("silences.html#silence-" + value, "#" + value));
      else if (pair[0] === "server") dd.appendChild(serverNode(value));
      else if (pair[0] === "suppressed_by") {
        dd.appendChild(serverNode(value));
        dd.appendChild(document.createTextNode(" — "));
        var root = element("button", "alert #" + a.suppressed_by_alert, "link");
        root.type = "button";
        root.addEventListener("click", function () { openDetail(a.suppressed_by_alert); });
        dd.appendChild(root);
        dd.appendChild(document.createTextNode(", down: this alert is not told"));
      } else if (pair[0] === "suppressing") dd.textContent = value + " alert" + (value > 1 ? "s" : "") +
        " unreachable behind it (or ports toward it), not told";
      else dd.textContent = String(value);
      dl.appendChild(dd);
    });
    var acked = a.acknowledged, resolved = a.status === "resolved", shelved = a.status === "shelved";
    document.getElementById("detail-ack").hidden = resolved;
    document.getElementById("ack-for").hidden = resolved;
    document.getElementById("detail-unack").hidden = !acked;
    document.getElementById("detail-shelve").hidden = resolved || shelved;
    document.getElementById("shelve-for").hidden = resolved || shelved;
    document.getElementById("detail-unshelve").hidden = !shelved;
    document.getElementById("detail-resolve").hidden = resolved;
    document.getElementById("detail-silence").href = "silences.html?" + query(silenceFields(a));
  }

  /* A silence for alerts like this one: same server, severity and message (a matcher
     "containing" it), not every alert of that severity on the host. */
  function silenceFields(a) {
    var f = { server: a.server, severity: a.severity, message: a.message };
    ["environment", "application"].forEach(function (k) { if (a[k]) f[k] = a[k]; });
    f.comment = "like alert #" + a.id + ": " + a.message;
    return f;
  }

  function link(href, text) {
    var a = element("a", text);
    a.href = href;
    return a;
  }

  /* Consecutive sightings read as one line: "seen again ×N". */
  function grouped(entries) {
    var out = [];
    entries.forEach(function (e) {
      var prev = out[out.length - 1];
      if (e.kind === "duplicate" && prev && prev.kind === "duplicate") {
        prev.times += 1;
        prev.last = e.at;
      } else {
        out.push({ kind: e.kind, at: e.at, actor: e.actor, note: e.note, pending: e.pending, times: 1, last: e.at });
      }
    });
    return out;
  }
  var KIND_WORDS = { created: "created", duplicate: "seen again", severity: "severity changed", reopened: "reopened",
    resolved: "resolved", clear: "back to normal (nothing to resolve)", timed_out: "resolved: timed out",
    acknowledged: "acknowledged", unacknowledged: "acknowledgement withdrawn", ack_expired: "acknowledgement expired",
    shelved: "shelved", unshelved: "unshelved", shelve_expired: "shelving ended", silenced: "silenced",
    unsilenced: "no longer silenced", flapping: "flapping", flapping_ended: "stopped flapping", edited: "edited",
    suppressed: "suppressed: unreachable behind a down machine", unsuppressed: "no longer suppressed",
    note: "note", deleted: "deleted" };

  function showHistory(entries) {
    var ol = document.getElementById("history");
    ol.textContent = "";
    grouped(entries).forEach(function (e) {
      var li = element("li", null, "entry kind-" + e.kind + (e.pending ? " pending" : ""));
      li.dataset.kind = e.kind;
      li.appendChild(Vigie.timeElement(e.at));
      li.appendChild(element("strong", " " + (KIND_WORDS[e.kind] || e.kind) + (e.times > 1 ? " ×" + e.times : "")));
      li.appendChild(element("span", " by " + e.actor, "actor"));
      if (e.note) {
        var note = element("span", " — ", "note");
        note.appendChild(Vigie.textWithTimes(e.note));
        li.appendChild(note);
      }
      if (e.times > 1) li.appendChild(element("span", " (last " + Vigie.localTime(e.last) + ")", "sub"));
      ol.appendChild(li);
    });
  }

  /* What was told of the alert: where, when, and what failed (newest first). */
  function showNotifications(sent) {
    var ol = document.getElementById("notifications");
    ol.textContent = "";
    if (!sent.length) ol.appendChild(element("li", "Nothing was sent about this alert.", "sub"));
    sent.forEach(function (n) {
      var li = element("li", null, "entry notify-" + n.state);
      li.dataset.kind = n.kind;
      li.appendChild(Vigie.timeElement(n.delivered_at || n.created_at));
      li.appendChild(element("strong", " " + n.kind + " → " + (n.channel || "a deleted channel")));
      li.appendChild(element("span", (n.rule ? " (rule " + n.rule + ")" : "") + ": " + n.state +
        (n.attempts.length > 1 ? " after " + n.attempts.length + " attempts" : ""), "actor"));
      var last = n.attempts[n.attempts.length - 1];
      if (last && last.ok === false) li.appendChild(element("span", " — " + last.answer, "note"));
      ol.appendChild(li);
    });
  }

  function openDetail(id, keepMessage) {
    state.detail = id;
    var panel = document.getElementById("detail");
    panel.hidden = false;
    if (!keepMessage) document.getElementById("detail-message").textContent = "";
    if (!state.live) {
      var found = snapshot.results.filter(function (a) { return a.id === id; })[0];
      if (found) showFacts(found);
      showHistory([]);
      document.getElementById("notifications").textContent = "";
      document.getElementById("history").appendChild(element("li", "The history needs the live console: log in."));
      panel.scrollIntoView();
      return Promise.resolve();
    }
    Vigie.api("GET", "/api/alert/" + id + "/notifications").then(function (r) {  /* beside, not before, the rest */
      if (state.detail === id) showNotifications(r.status === 200 ? r.body.results : []);
    });
    return Promise.all([Vigie.api("GET", "/api/alert/" + id), Vigie.api("GET", "/api/alert/" + id + "/history")])
      .then(function (answers) {
        if (answers[0].status !== 200) { detailMessage(refused(answers[0])); return; }
        showFacts(answers[0].body);
        showHistory(answers[1].status === 200 ? answers[1].body.results : []);
        if (!keepMessage) panel.scrollIntoView();
      });
  }

  function detailMessage(text) { document.getElementById("detail-message").textContent = text; }

  /* An action on the open alert; a note typed in the detail goes with it (and is cleared
     once it is recorded), so "why" sits on the same history line as "what". */
  function act(suffix, body, done) {
    var id = state.detail, box = document.getElementById("note-form").note, note = box.value.trim();
    if (note && !body.note) body.note = note;
    return Vigie.api("POST", "/api/alert/" + id + "/" + suffix, body).then(function (r) {
      var ok = r.status === 200 || r.status === 201;
      if (ok && body.note === note) box.value = "";
      detailMessage(ok ? done : refused(r));
      return Promise.all([openDetail(id, true), refresh()]);
    });
  }
  function minutesBody(select) {
    return select.value ? { minutes: Number(select.value) } : {};
  }

  function wireDetail() {
    document.getElementById("detail-close").addEventListener("click", function () {
      document.getElementById("detail").hidden = true;
      state.detail = null;
    });
    document.getElementById("detail-ack").addEventListener("click", function () {
      var select = document.getElementById("ack-for");
      act("ack", minutesBody(select), "Acknowledged " + (select.value ? "for " : "") +
        select.options[select.selectedIndex].text + ".");
    });
    document.getElementById("detail-unack").addEventListener("click", function () { act("unack", {}, "Acknowledgement withdrawn."); });
    document.getElementById("detail-shelve").addEventListener("click", function () {
      var select = document.getElementById("shelve-for");
      act("shelve", minutesBody(select), "Shelved for " + select.options[select.selectedIndex].text + ".");
    });
    document.getElementById("detail-unshelve").addEventListener("click", function () { act("unshelve", {}, "Unshelved."); });
    document.getElementById("detail-resolve").addEventListener("click", function () { act("resolve", {}, "Resolved."); });
    document.getElementById("note-form").addEventListener("submit", function (e) {
      e.preventDefault();
      var text = e.target.note.value.trim();
      if (!text) { detailMessage("Write the note first."); return; }
      act("note", { note: text }, "Note added.");
    });
  }

  /* On a phone the filters are folded under their summary, which says how many are in use. */
  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 640px)") : { matches: false };
  function summarise() {
    var used = Object.keys(readForm()).length + (form.behind.checked ? 1 : 0);
    document.getElementById("filters-summary").textContent =
      view(form.view.value).label + (used ? " · " + used + " filter" + (used > 1 ? "s" : "") + " in use" : "");
  }

  function syncUrl() {
    var extra = state.ordering !== "-timestamp" ? { ordering: state.ordering } : {};
    if (form.view.value !== VIEWS[0].name) extra.view = form.view.value;
    if (form.behind.checked) extra.behind = "1";
    history.replaceState(null, "", "?" + query(readForm(), extra));
    summarise();
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("filters");
    tbody = document.querySelector("#alerts tbody");
    writeFilters(new URLSearchParams(location.search));
    if (PHONE.matches) document.getElementById("filters-fold").open = false;
    summarise();
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
    wireDetail();
    wireSelection();
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
      var asked = Number(new URLSearchParams(location.search).get("id"));  /* a link from a notification */
      if (asked > 0) openDetail(asked);
      if (state.live) {  /* new alerts arrive all the time: reload the rows now and then */
        setInterval(function () { if (!document.hidden) refresh(); }, LIVE_REFRESH_MS);
      }
    });
  });
})();
