/* The machine page's device messages: syslog and traps from GET /api/machine/<name>/log,
   newest first, searched and filtered by severity as the person types. */
"use strict";
(function () {
  var form = document.getElementById("device-messages-filter");
  if (!form) return;
  var table = document.querySelector("#device-messages tbody");
  var older = document.getElementById("device-messages-older");
  var machine = form.dataset.machine;
  var PAGE = 100;
  var shown = 0, asked = 0, timer = null;

  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) td.className = cls;
    row.appendChild(td);
    return td;
  }

  function note(text) {
    table.textContent = "";
    var row = document.createElement("tr");
    cell(row, text, "meta").colSpan = 5;
    table.appendChild(row);
  }

  function add(entry) {
    var row = document.createElement("tr");
    row.className = "sev-" + entry.severity;
    var when = document.createElement("time");
    when.setAttribute("datetime", entry.time);
    when.textContent = entry.time;
    cell(row, "").appendChild(when);
    cell(row, entry.severity + (entry.kind === "trap" ? " (trap)" : ""));
    cell(row, entry.host || entry.source || "");
    cell(row, entry.app || "");
    cell(row, entry.message + (entry.truncated ? " …" : ""), "message");
    table.appendChild(row);
  }

  function load(offset) {
    var ticket = ++asked;
    var params = new URLSearchParams({ limit: PAGE, offset: offset });
    if (form.q.value.trim()) params.set("q", form.q.value.trim());
    if (form.severity.value) params.set("severity", form.severity.value);
    Vigie.api("GET", "/api/machine/" + encodeURIComponent(machine) + "/log?" + params).then(function (r) {
      if (ticket !== asked) return;  // a newer search has started
      if (r.status === 401) return note("Log in to see the device's messages.");
      if (r.status !== 200 || !r.body) return note("The device's messages come from the API, which does not answer here.");
      if (offset === 0) { table.textContent = ""; shown = 0; }
      r.body.results.forEach(add);
      shown += r.body.results.length;
      if (shown === 0) note(form.q.value || form.severity.value ? "No message matches." : "No message from this device yet.");
      older.hidden = !r.body.next;
      Vigie.showLocalTimes(table);
    }, function () {
      if (ticket === asked) note("The device's messages come from the API, which does not answer here.");
    });
  }

  form.addEventListener("input", function () {
    clearTimeout(timer);
    timer = setTimeout(function () { load(0); }, 250);
  });
  form.addEventListener("submit", function (event) { event.preventDefault(); load(0); });
  older.addEventListener("click", function () { load(shown); });
  // ask for the messages only where the API answers and someone is logged in: a page served
  // by a plain web server probes the API once (/api/me), never more
  Vigie.me.then(function (who) {
    if (who.state === "user") return load(0);
    form.hidden = true;
    note(who.state === "anonymous" ? "Log in to see the device's messages."
                                   : "The device's messages come from the API, which does not answer here.");
  });
})();
