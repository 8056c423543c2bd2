/* Silences page: the list (what each matches now), ending or deleting one, and a form
   to make one, prefilled from an alert's fields when the console sends them in the URL;
   as the form changes, what it would match is shown (POST /api/silence/preview, a dry
   run) before it is made.
   Live against the API for a logged-in user; otherwise the build's snapshot. */
"use strict";
(function () {
  var snapshot = JSON.parse(document.getElementById("silences-snapshot").textContent);
  var state = { live: false, who: null };
  var MATCHERS = ["server", "application", "environment", "provider", "message"];
  var form, tbody;

  function element(tag, text, cls) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }
  function message(text) { document.getElementById("silence-message").textContent = text; }
  function refused(r) { return "Refused: " + ((r.body && r.body.error) || "HTTP " + r.status); }

  function matchersText(m) {
    return Object.keys(m).map(function (k) {
      var v = Array.isArray(m[k]) ? m[k].join(" or ") : m[k];
      return k + (k === "message" ? " contains " : " = ") + v;
    }).join(", ");
  }
  function whenText(s) {
    if (s.schedule) {
      var sc = s.schedule;
      var text = "every " + sc.days.join(", ") + " " + sc.start + "–" + sc.end + " (" + sc.timezone + ")";
      if (s.ends_at) text += ", until " + Vigie.localTime(s.ends_at);
      return text;
    }
    return Vigie.localTime(s.starts_at) + " → " + Vigie.localTime(s.ends_at);
  }
  function stateText(s) {
    if (s.state === "active") return "active until " + Vigie.localTime(s.window.ends_at);
    if (s.state === "pending") return "next " + Vigie.localTime(s.window.starts_at);
    return s.ended_by ? "ended by " + s.ended_by : "over";
  }
  function mayChange(s) {
    return state.live && Vigie.can(state.who, "operator") &&
      (s.created_by === state.who.username || Vigie.can(state.who, "admin"));
  }

  function row(s) {
    var tr = element("tr");
    tr.dataset.id = s.id;
    tr.dataset.state = s.state;
    tr.id = "silence-" + s.id;
    Vigie.cell(tr, matchersText(s.matchers), "matchers");
    Vigie.cell(tr, whenText(s));
    Vigie.cell(tr, element("span", stateText(s), "silence-state state-" + s.state));
    var count = element("a", s.silencing + " / " + s.matching, "matching");
    count.href = "alerts.html?view=all&silence=" + s.id;
    count.title = "silenced now / matching and not resolved";
    Vigie.cell(tr, count, "num");
    Vigie.cell(tr, s.comment, "message");
    Vigie.cell(tr, s.created_by);
    var td = Vigie.cell(tr, "");
    if (mayChange(s)) {
      if (s.state !== "expired") td.appendChild(button("End now", "end", function () { change(s, "POST", "/end", "ended"); }));
      td.appendChild(button("Delete", "delete", function () {
        if (window.confirm("Delete silence " + s.id + "?")) change(s, "DELETE", "", "deleted");
      }));
    }
    return tr;
  }
  var button = Vigie.button;

  function show(list) {
    tbody.textContent = "";
    list.forEach(function (s) { tbody.appendChild(row(s)); });
    if (!list.length) {
      var tr = element("tr");
      Vigie.cell(tr, "No silence here.").colSpan = 7;
      tbody.appendChild(tr);
    }
  }

  function refresh() {
    var wanted = document.getElementById("silence-state").value;
    if (!state.live) {
      show(snapshot.results.filter(function (s) {
        return wanted === "all" || s.state === wanted || (wanted === "current" && s.state !== "expired");
      }));
      return Promise.resolve();
    }
    return Vigie.api("GET", "/api/silence?state=" + encodeURIComponent(wanted)).then(function (r) {
      if (r.status === 200) show(r.body.results); else message(refused(r));
    });
  }

  function change(s, method, suffix, done) {
    Vigie.api(method, "/api/silence/" + s.id + suffix).then(function (r) {
      message(r.status < 300 ? "Silence " + s.id + " " + done + "." : refused(r));
      refresh();
    });
  }

  /* ---- the form */
  function isoFromLocal(value) {
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
  }
  function readForm() {
    var matchers = {};
    MATCHERS.forEach(function (k) { var v = form[k].value.trim(); if (v) matchers[k] = v; });
    var sev = Array.prototype.filter.call(form.querySelectorAll('input[name="severity"]'), function (c) { return c.checked; })
      .map(function (c) { return c.value; });
    if (sev.length) matchers.severity = sev;
    var body = { matchers: matchers, comment: form.comment.value.trim() };
    if (form.kind.value === "weekly") {
      body.schedule = {
        days: Array.prototype.filter.call(form.querySelectorAll('input[name="days"]'), function (c) { return c.checked; })
          .map(function (c) { return c.value; }),
        start: form.start.value, end: form.end.value,
        timezone: form.timezone.value.trim() || Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC" };
      return body;
    }
    var starts = form.starts_at.value ? new Date(form.starts_at.value) : new Date();
    if (form.starts_at.value) body.starts_at = isoFromLocal(form.starts_at.value);
    if (form.duration.value) body.ends_at = new Date(starts.getTime() + Number(form.duration.value) * 60000)
      .toISOString().replace(/\.\d{3}Z$/, "+00:00");
    else if (form.ends_at.value) body.ends_at = isoFromLocal(form.ends_at.value);
    return body;
  }
  /* ---- the preview: what the form's silence would match now */
  var previewTimer = null;
  function showPreview(r) {
    var box = document.getElementById("silence-preview");
    box.textContent = "";
    box.hidden = false;
    box.dataset.state = r.status === 200 ? (r.body.allowed ? "ok" : "refused") : "error";
    if (r.status !== 200) {
      box.appendChild(element("span", "Not valid yet: " + ((r.body && r.body.error) || "HTTP " + r.status)));
      return;
    }
    var p = r.body;
    box.appendChild(element("strong", "It would silence " + p.matching + " alert" + (p.matching === 1 ? "" : "s") +
      " not resolved now" + (p.matching ? ":" : ".")));
    if (p.alerts.length) {
      var ul = element("ul");
      p.alerts.slice(0, 5).forEach(function (a) { ul.appendChild(element("li", a.severity + " " + a.server + ": " + a.message)); });
      if (p.matching > 5) ul.appendChild(element("li", "… and " + (p.matching - 5) + " more"));
      box.appendChild(ul);
    }
    if (p.needs_admin) {
      box.appendChild(element("p", (p.allowed ? "Needs an admin (you are one): " : "Only an admin may make it: ") +
        p.needs_admin + ".", p.allowed ? "warn" : "error"));
    }
  }
  function preview() {
    if (!state.live || !Vigie.can(state.who, "operator")) return Promise.resolve(null);
    return Vigie.api("POST", "/api/silence/preview", readForm()).then(function (r) { showPreview(r); return r; });
  }
  function previewSoon() {
    window.clearTimeout(previewTimer);
    previewTimer = window.setTimeout(preview, 400);
  }

  function submit(e) {
    e.preventDefault();
    var error = document.getElementById("silence-error");
    error.textContent = "";
    window.clearTimeout(previewTimer);
    preview().then(function (p) {
      var wide = p && p.status === 200 && p.body.allowed && p.body.needs_admin;
      if (wide && !window.confirm("This silence " + p.body.needs_admin + ". Make it anyway?")) return;
      make(error);
    });
  }
  function make(error) {
    Vigie.api("POST", "/api/silence", readForm()).then(function (r) {
      if (r.status === 201) {
        message("Silence " + r.body.id + " made: it matches " + r.body.matching + " alert(s) now.");
        form.reset();
        document.getElementById("silence-preview").hidden = true;
        showKind();
        refresh();
      } else {
        error.textContent = ((r.body && r.body.error) || "HTTP " + r.status) +
          (r.body && r.body.field ? " (" + r.body.field + ")" : "");
      }
    });
  }
  function showKind() {
    var weekly = form.kind.value === "weekly";
    form.querySelector(".weekly").hidden = !weekly;
    form.querySelector(".once").hidden = weekly;
  }
  function prefill(params) {
    MATCHERS.forEach(function (k) { if (params.get(k)) form[k].value = params.get(k); });
    var sev = params.getAll("severity").join(",").split(",");
    form.querySelectorAll('input[name="severity"]').forEach(function (c) { c.checked = sev.indexOf(c.value) >= 0; });
    if (params.get("comment")) form.comment.value = params.get("comment");
    form.timezone.placeholder = Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
    return params.get("server") !== null;
  }

  document.addEventListener("DOMContentLoaded", function () {
    form = document.getElementById("silence-form");
    tbody = document.querySelector("#silences tbody");
    var fromAlert = prefill(new URLSearchParams(location.search));
    form.addEventListener("submit", submit);
    form.addEventListener("input", previewSoon);
    form.addEventListener("change", previewSoon);
    form.querySelectorAll('input[name="kind"]').forEach(function (r) { r.addEventListener("change", showKind); });
    document.getElementById("silence-state").addEventListener("change", refresh);
    Vigie.me.then(function (who) {
      state.who = who;
      state.live = who.state === "user";
      document.body.dataset.mode = state.live ? "live" : "snapshot";
      if (!state.live) {
        Vigie.notice("Showing the silences as they were at " + Vigie.localTime(snapshot.taken_at) +
          (who.state === "anonymous" ? ". Log in to make or end one." : ": the API cannot be reached."));
      }
      refresh();
      if (fromAlert && Vigie.can(who, "operator")) { form.comment.focus(); preview(); }
    });
  });
})();
