/* Shared by every page: API calls, who is logged in, local times. */
"use strict";
var Vigie = (function () {
  var apiBase = (document.querySelector('meta[name="vigie-api"]') || {}).content || "";
  var root = (document.querySelector('meta[name="vigie-root"]') || {}).content || "";
  var ROLE_RANK = JSON.parse(document.getElementById("role-rank").textContent);  // from vigie/roles.py

  function cookie(name) {
    var parts = document.cookie ? document.cookie.split("; ") : [];
    for (var i = 0; i < parts.length; i++) {
      var eq = parts[i].indexOf("=");
      if (parts[i].slice(0, eq) === name) return decodeURIComponent(parts[i].slice(eq + 1));
    }
    return "";
  }

  /* fetch an API path; resolves to {status, body} (body parsed JSON or null). */
  function api(method, path, body) {
    var headers = { Accept: "application/json" };
    var opts = { method: method, headers: headers, credentials: apiBase ? "include" : "same-origin" };
    if (body !== undefined) {
      headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(body);
    }
    if (method !== "GET" && method !== "HEAD") headers["X-CSRF-Token"] = cookie("vigie_csrf");
    return fetch(apiBase + path, opts).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      var parsed = type.indexOf("json") >= 0 ? response.json().catch(function () { return null; }) : Promise.resolve(null);
      return parsed.then(function (data) { return { status: response.status, body: data }; });
    });
  }

  /* {state: "user", username, role} | {state: "anonymous"} | {state: "offline"} */
  var me = api("GET", "/api/me").then(function (r) {
    if (r.status === 200 && r.body && r.body.username) return { state: "user", username: r.body.username, role: r.body.role };
    if (r.status === 401 && r.body) return { state: "anonymous" };
    return { state: "offline" };
  }, function () { return { state: "offline" }; });

  /* The API's own rules for a request body ({properties, required...}), read from its
     OpenAPI document, so a form checks what the API checks without a copy of it. */
  var specPromise = null;
  function rules(schemaName) {
    if (!specPromise) specPromise = api("GET", "/api/openapi.json").then(function (r) { return r.body || {}; });
    return specPromise.then(function (spec) {
      return ((spec.components || {}).schemas || {})[schemaName] || { properties: {} };
    });
  }

  /* An API error in the page's words: its field names become the form's labels
     ({"snmp.community": "Community"}), a missing field reads as such, and what is
     said for API clients (methods, paths) is left out. */
  function explain(body, labels) {
    labels = labels || {};
    var text = String((body && body.error) || "");
    var missing = /^missing field '([^']+)'$/.exec(text);
    if (missing) return (labels[missing[1]] || missing[1]) + " is missing.";
    text = text.replace(/:? *(GET|POST|PUT|PATCH|DELETE) \/api\/\S*( \w+)*/g, "");
    var fields = Object.keys(labels).sort(function (a, b) { return b.length - a.length; });
    for (var i = 0; i < fields.length; i++) {
      var field = fields[i];
      if (text.indexOf(field + " ") === 0 || text.indexOf(field + ":") === 0) {
        text = labels[field] + text.slice(field.length);
        break;
      }
    }
    fields.forEach(function (f) { text = text.split("'" + f + "'").join(labels[f]); });
    text = text.charAt(0).toUpperCase() + text.slice(1);
    return /[.!?]$/.test(text) ? text : text + ".";
  }

  function can(who, role) {
    return who.state === "user" && (ROLE_RANK[who.role] || 0) >= ROLE_RANK[role];
  }

  function pad(n) { return (n < 10 ? "0" : "") + n; }
  var zoneName = (window.Intl && Intl.DateTimeFormat().resolvedOptions().timeZone) || "local time";
  /* "+09:00" for Tokyo, "UTC" for UTC: every time shown says which zone it is in. */
  function zoneOffset(d) {
    var minutes = -d.getTimezoneOffset();
    if (minutes === 0) return "UTC";
    var sign = minutes < 0 ? "-" : "+";
    minutes = Math.abs(minutes);
    return sign + pad(Math.floor(minutes / 60)) + ":" + pad(minutes % 60);
  }
  function localTime(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return iso;
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + " " +
      pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":" + pad(d.getSeconds()) + " " + zoneOffset(d);
  }
  function timeTitle(iso) {
    var d = new Date(iso);
    return (isNaN(d.getTime()) ? iso : d.toISOString().replace(".000Z", "Z")) + " (UTC); shown in " + zoneName;
  }
  function showLocalTimes(scope) {
    var items = (scope || document).querySelectorAll("time[datetime]");
    for (var i = 0; i < items.length; i++) {
      var t = items[i];
      if (t.dataset.local) continue;
      t.title = timeTitle(t.getAttribute("datetime"));
      t.textContent = localTime(t.getAttribute("datetime"));
      t.dataset.local = "1";
    }
  }
  function timeElement(iso) {
    var t = document.createElement("time");
    if (!iso) { t.textContent = "–"; return t; }
    t.setAttribute("datetime", iso);
    t.textContent = localTime(iso);
    t.title = timeTitle(iso);
    t.dataset.local = "1";
    return t;
  }

  /* A text holding ISO 8601 times ("until 2026-11-22T10:15:03+00:00: on it") as a fragment
     where each time reads in the local time of the browser, like every other time on the page. */
  var ISO_TIME = /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})/g;
  function textWithTimes(text) {
    var fragment = document.createDocumentFragment(), last = 0, found;
    text = String(text);
    ISO_TIME.lastIndex = 0;
    while ((found = ISO_TIME.exec(text)) !== null) {
      fragment.appendChild(document.createTextNode(text.slice(last, found.index)));
      fragment.appendChild(timeElement(found[0]));
      last = found.index + found[0].length;
    }
    fragment.appendChild(document.createTextNode(text.slice(last)));
    return fragment;
  }

  /* The two largest units of a duration, as vigie/units.py spells it: 93784 -> "1 d 2 h",
     7200 -> "2 h", 90 -> "1 min 30 s"; null -> "–". */
  function duration(seconds) {
    if (seconds === null || seconds === undefined) return "–";
    var rest = Math.max(0, Math.floor(seconds)), parts = [];
    [["d", 86400], ["h", 3600], ["min", 60], ["s", 1]].forEach(function (u) {
      if (parts.length === 2) return;
      var count = Math.floor(rest / u[1]);
      rest -= count * u[1];
      if (count || parts.length) parts.push([count, u[0]]);
    });
    if (!parts.length) return "0 s";
    if (parts.length === 2 && parts[1][0] === 0) parts.pop();
    return parts.map(function (p) { return p[0] + " " + p[1]; }).join(" ");
  }

  function notice(text) {
    var p = document.getElementById("live-notice");
    if (!p) return;
    p.textContent = text;
    p.hidden = !text;
  }

  function showAccount(who) {
    var whoami = document.getElementById("whoami");
    var login = document.getElementById("login-link");
    var logout = document.getElementById("logout");
    if (!whoami) { applyRoles(who); return; }   /* the login page has no account links */
    if (who.state === "user") {
      whoami.textContent = who.username + " (" + who.role + ")";
      whoami.hidden = false;
      logout.hidden = false;
    } else if (who.state === "anonymous") {
      login.href = root + "login.html?next=" + encodeURIComponent(location.pathname + location.search);
      login.hidden = false;
    }
    applyRoles(who);
  }

  function applyRoles(who) {
    var gated = document.querySelectorAll("[data-needs-role]");
    for (var i = 0; i < gated.length; i++) gated[i].hidden = !can(who, gated[i].dataset.needsRole);
  }

  /* Pages with data-refresh reload themselves when the build rewrote them: a HEAD
     request every N seconds (or ?refresh=N) compares Last-Modified / ETag with the
     first answer. Not while the tab is hidden or the user is busy (zoomed graph). */
  var state = { busy: false };
  /* The dashboard takes a new build in place: its <main> is swapped for the new one, the
     rest of the page (the search box, the scroll, the chosen grouping) stays. */
  function takeInPlace() {
    return fetch(location.href, { cache: "no-store", credentials: "same-origin" }).then(function (r) {
      if (!r.ok) throw new Error("HTTP " + r.status);
      return r.text();
    }).then(function (html) {
      var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("main");
      var main = document.querySelector("main");
      if (!fresh || !main) throw new Error("no <main>");
      main.replaceWith(document.importNode(fresh, true));
      showLocalTimes();
      me.then(applyRoles);
      document.body.dataset.updated = String(Number(document.body.dataset.updated || 0) + 1);
      document.dispatchEvent(new Event("vigie:page-updated"));
    });
  }

  function watchForNewBuild() {
    var seconds = Number(new URLSearchParams(location.search).get("refresh")) || Number(document.body.dataset.refresh);
    if (!seconds) return;
    var first = null, inPlace = document.body.dataset.page === "dashboard";
    function look() {
      if (document.hidden || state.busy) return;
      fetch(location.href, { method: "HEAD", cache: "no-store", credentials: "same-origin" }).then(function (r) {
        if (!r.ok) return;
        var mark = (r.headers.get("ETag") || "") + "|" + (r.headers.get("Last-Modified") || "");
        if (first === null) first = mark;
        else if (mark !== first) {
          if (!inPlace) { location.reload(); return; }
          first = mark;
          takeInPlace().catch(function () { location.reload(); });
        }
      }, function () {});
    }
    look();   /* at once: a build landing in the first seconds is not missed */
    setInterval(look, seconds * 1000);
  }

  // A table cell holding a node, or text (never parsed as HTML).
  function cell(tr, content, cls) {
    var td = document.createElement("td");
    if (cls) td.className = cls;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content == null ? "" : String(content);
    tr.appendChild(td);
    return td;
  }

  // The rows of a table body, one per item: fill(tr, item) writes its cells; the row
  // carries the item's name as data-<key> for whoever looks for it again.
  function rows(selector, items, key, name, fill) {
    var tbody = document.querySelector(selector);
    tbody.textContent = "";
    items.forEach(function (item) {
      var tr = document.createElement("tr");
      tr.dataset[key] = name(item);
      fill(tr, item);
      tbody.appendChild(tr);
    });
    return tbody;
  }

  // A button that runs onClick (type "button": never submits the form it stands in).
  function button(text, cls, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    if (cls) b.className = cls;
    b.textContent = text;
    b.addEventListener("click", onClick);
    return b;
  }

  /* Machines by state (the dashboard and the Devices page): a form's State select
     (data-state-filter, its options the states worst first) and Sort select
     (data-state-sort), kept in the address as ?state=down&sort=state. */
  var STATE_PARAMS = ["state", "sort"];

  function stateChoice(form) {
    var p = new URLSearchParams(location.search), filter = form.querySelector("[data-state-filter]");
    var sort = form.querySelector("[data-state-sort]");
    var known = Array.prototype.map.call(filter.options, function (o) { return o.value; });
    filter.value = known.indexOf(p.get("state")) > 0 ? p.get("state") : "";
    sort.value = p.get("sort") === "state" ? "state" : "";
    return { state: filter.value, byState: sort.value === "state", order: known.slice(1).concat(["error"]) };
  }

  function keepStateChoice(form) {
    var p = new URLSearchParams(location.search);
    STATE_PARAMS.forEach(function (name) {
      var select = form.querySelector('[name="' + name + '"]');
      p.delete(name);
      if (select && select.value) p.set(name, select.value);
    });
    history.replaceState(null, "", "?" + p.toString() + location.hash);
  }

  /* The rows (data-machine, data-state) to show for the choice, in order: those in the
     wanted state, the worst first when sorted by state, else by their first order. */
  function stateRows(rows, choice) {
    rows.forEach(function (r, i) { if (r.dataset.order === undefined) r.dataset.order = String(i); });
    var rank = function (r) { var i = choice.order.indexOf(r.dataset.state); return i < 0 ? choice.order.length : i; };
    var shown = rows.filter(function (r) { return !choice.state || r.dataset.state === choice.state; });
    return shown.sort(function (a, b) {
      return (choice.byState ? rank(a) - rank(b) : 0) || Number(a.dataset.order) - Number(b.dataset.order);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    showLocalTimes();
    watchForNewBuild();
    me.then(showAccount);
    var logout = document.getElementById("logout");
    if (logout) logout.addEventListener("click", function () {
      api("POST", "/api/logout").then(function () { location.href = root + "index.html"; },
                                      function () { location.href = root + "index.html"; });
    });
  });

  return { state: state, api: api, apiBase: apiBase, me: me, can: can, rules: rules, explain: explain,
           zoneText: zoneOffset, duration: duration,
           localTime: localTime, timeElement: timeElement, textWithTimes: textWithTimes,
           showLocalTimes: showLocalTimes, notice: notice, root: root, cookie: cookie, cell: cell,
           button: button, rows: rows, stateChoice: stateChoice, keepStateChoice: keepStateChoice,
           stateRows: stateRows };
})();
