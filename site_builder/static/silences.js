/* Silences page: the list (what each matches now), editing (a new silence replaces it),
   extending, ending or deleting one, making one again from an expired one, and a form
   to make one, prefilled from an alert's fields when the console sends them in the URL;
   as the form changes, what it would match is shown (POST /api/silence/preview, a dry
   run) before it is made.
   Live against the API for a logged-in user; otherwise the build's snapshot. */
"use strict";
(function () {
  var snapshot = JSON.parse(document.getElementById("silences-snapshot").textContent);
  var state = { live: false, who: null, editing: null };   // editing: the silence the form changes
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

  function matchersText(s) { return s.described; }   /* as Alertmanager writes them, from the API */
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
    Vigie.cell(tr, matchersText(s), "matchers");
    Vigie.cell(tr, whenText(s));
    Vigie.cell(tr, element("span", stateText(s), "silence-state state-" + s.state));
    var count = element("a", s.silencing + " / " + s.matching, "matching");
    count.href = "alerts.html?view=all&silence=" + s.id;
    count.title = "silenced now / matching and not resolved";
    Vigie.cell(tr, count, "num");
    Vigie.cell(tr, s.comment, "message");
    Vigie.cell(tr, s.created_by);
    var td = Vigie.cell(tr, "");
    td.className = "buttons";
    if (mayChange(s) && s.state !== "expired") {
      td.appendChild(button("Edit", "edit", function () { edit(s); }));
      if (s.ends_at) {
        td.appendChild(button("+1 h", "extend", function () { extend(s, 60, "1 h"); }));
        td.appendChild(button("+1 day", "extend", function () { extend(s, 1440, "1 day"); }));
      }
      td.appendChild(button("End now", "end", function () { change(s, "POST", "/end", "ended"); }));
    }
    if (s.state === "expired" && state.live && Vigie.can(state.who, "operator")) {
      td.appendChild(button("Recreate", "recreate", function () { recreate(s); }));
    }
    if (mayChange(s)) {
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

  function extend(s, minutes, words) {
    Vigie.api("POST", "/api/silence/" + s.id + "/extend", { minutes: minutes }).then(function (r) {
      message(r.status === 200 ? "Silence " + s.id + " extended by " + words + ": it ends " +
        Vigie.localTime(r.body.ends_at) + "." : refused(r));
      refresh();
    });
  }

  /* ---- the form */
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function localInput(date) {   /* a datetime-local value (to the minute) of a Date */
    return date.getFullYear() + "-" + pad(date.getMonth() + 1) + "-" + pad(date.getDate()) + "T" +
      pad(date.getHours()) + ":" + pad(date.getMinutes());
  }

  /* The form from a silence (to edit it, or to make it again); false when a field holds
     more conditions than the form shows (one per field): change that one through the API. */
  function fill(s) {
    var several = MATCHERS.filter(function (k) { return Array.isArray(s.matchers[k]) && s.matchers[k].length > 1; });
    if (several.length) {
      message("Silence " + s.id + " has several conditions on " + several.join(", ") +
        ": the form shows one a field; change it through the API (PUT /api/silence/" + s.id + ").");
      return false;
    }
    form.reset();
    MATCHERS.forEach(function (k) {
      var m = s.matchers[k], c = m === undefined ? null : typeof m === "string" ? { op: "=", value: m } : m[0];
      form["op-" + k].value = c ? c.op : "=";
      form[k].value = c ? c.value : "";
    });
    var sev = s.matchers.severity || [];
    form.querySelectorAll('input[name="severity"]').forEach(function (c) { c.checked = sev.indexOf(c.value) >= 0; });
    form.comment.value = s.comment;
    form.querySelectorAll('input[name="kind"]').forEach(function (r) { r.checked = r.value === (s.schedule ? "weekly" : "once"); });
    if (s.schedule) {
      form.querySelectorAll('input[name="days"]').forEach(function (c) { c.checked = s.schedule.days.indexOf(c.value) >= 0; });
      form.start.value = s.schedule.start;
      form.end.value = s.schedule.end === "24:00" ? "23:59" : s.schedule.end;
      form.timezone.value = s.schedule.timezone;
    }
    showKind();
    return true;
  }

  function setEditing(s) {
    state.editing = s;
    document.getElementById("silence-form-title").textContent = s ? "Edit silence " + s.id : "New silence";
    document.getElementById("silence-save").textContent = s ? "Save changes" : "Silence";
    document.getElementById("silence-cancel").hidden = !s;
    document.getElementById("silence-error").textContent = "";
  }

  function edit(s) {
    if (!fill(s)) return;
    setEditing(s);
    if (!s.schedule) {
      form.starts_at.value = localInput(new Date(s.starts_at));
      form.duration.value = "";
      form.ends_at.value = localInput(new Date(s.ends_at));
    }
    form.scrollIntoView();
    preview();
  }

  /* A new silence like an expired one: its matchers, why, and as long as it lasted, from
     now (one ended at once keeps the form's first duration). */
  function recreate(s) {
    if (!fill(s)) return;
    setEditing(null);
    var lasted = s.schedule ? 0 : Math.round((Date.parse(s.ends_at) - Date.parse(s.starts_at)) / 60000);
    if (lasted >= 1) {
      var minutes = lasted, listed = form.querySelector('select[name="duration"] option[value="' + minutes + '"]');
      form.duration.value = listed ? String(minutes) : "";
      if (!listed) form.ends_at.value = localInput(new Date(Date.now() + minutes * 60000));
    }
    form.scrollIntoView();
    form.comment.focus();
    preview();
  }

  function isoFromLocal(value) {
    var d = new Date(value);
    return isNaN(d.getTime()) ? null : d.toISOString().replace(/\.\d{3}Z$/, "+00:00");
  }
  function readForm() {
    var matchers = {};
    MATCHERS.forEach(function (k) {
      var v = form[k].value.trim(), op = form["op-" + k].value;
      if (v) matchers[k] = op === "=" ? v : [{ op: op, value: v }];
    });
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
      var kept = state.editing && state.editing.schedule && state.editing.ends_at;   /* the form has no last day */
      if (kept) body.ends_at = state.editing.ends_at;
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
    var editing = state.editing;
    var request = editing ? Vigie.api("PUT", "/api/silence/" + editing.id, readForm())
                          : Vigie.api("POST", "/api/silence", readForm());
    request.then(function (r) {
      if (r.status === 201 || (editing && r.status === 200)) {
        message(editing ? "Silence " + editing.id + " replaced by silence " + r.body.id + ": it matches " +
                          r.body.matching + " alert(s) now."
                        : "Silence " + r.body.id + " made: it matches " + r.body.matching + " alert(s) now.");
        form.reset();
        setEditing(null);
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
    MATCHERS.forEach(function (k) {
      if (params.get(k)) form[k].value = params.get(k);
      if (params.get("op-" + k)) form["op-" + k].value = params.get("op-" + k);
    });
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
    document.getElementById("silence-cancel").addEventListener("click", function () {
      form.reset();
      setEditing(null);
      document.getElementById("silence-preview").hidden = true;
      showKind();
    });
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
