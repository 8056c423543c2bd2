/* Reports page: the availability of each machine and interface over a period
   (GET /api/availability), least available first, its outages, and CSV exports.
   Periods are the viewer's: "last month" is the calendar month in their time zone.
   The period and the choice about maintenance live in the address, so a report
   can be bookmarked or sent. */
"use strict";
(function () {
  var form = document.getElementById("report-form");
  var MAX_ROWS = 500;
  var DAY = 86400000;
  var asked = 0;

  function message(text) { document.getElementById("report-message").textContent = text || ""; }

  function percent(p) {
    if (p === null || p === undefined) return "no data";
    return (Math.floor(p * 100) / 100).toFixed(2) + " %";   /* rounded down: 100 only when never down */
  }

  function dateValue(d) {
    function pad(n) { return (n < 10 ? "0" : "") + n; }
    return d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate());
  }

  function localDay(text) {
    var m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text || "");
    return m ? new Date(Number(m[1]), Number(m[2]) - 1, Number(m[3])) : null;
  }

  /* [from, to] Dates of the chosen period, or a reason it has none. */
  function period() {
    var now = new Date();
    var choice = form.period.value;
    if (choice === "7d") return [new Date(now.getTime() - 7 * DAY), now];
    if (choice === "30d") return [new Date(now.getTime() - 30 * DAY), now];
    if (choice === "last-month") {
      return [new Date(now.getFullYear(), now.getMonth() - 1, 1), new Date(now.getFullYear(), now.getMonth(), 1)];
    }
    var from = localDay(form.from.value), to = localDay(form.to.value);
    if (!from || !to) return "Give the first and the last day of the period.";
    to = new Date(to.getFullYear(), to.getMonth(), to.getDate() + 1);   /* the last day included */
    if (from >= to) return "The first day must not be after the last.";
    return [from, to];
  }

  function query(range, extra) {
    var params = new URLSearchParams({ from: range[0].toISOString(), to: range[1].toISOString(),
                                       exclude_maintenance: form.exclude_maintenance.checked ? "true" : "false" });
    Object.keys(extra || {}).forEach(function (k) { params.set(k, extra[k]); });
    return params.toString();
  }

  function showCustom() {
    var custom = form.period.value === "custom";
    form.querySelectorAll(".custom").forEach(function (label) { label.hidden = !custom; });
  }

  /* The form's choices in the address, and back. */
  function remember() {
    var params = new URLSearchParams({ period: form.period.value });
    if (form.period.value === "custom") { params.set("from", form.from.value); params.set("to", form.to.value); }
    if (form.exclude_maintenance.checked) params.set("exclude", "1");
    history.replaceState(null, "", "?" + params);
  }
  function restore() {
    var params = new URLSearchParams(location.search);
    var choice = params.get("period");
    if (choice && form.period.querySelector('option[value="' + CSS.escape(choice) + '"]')) form.period.value = choice;
    form.from.value = params.get("from") || dateValue(new Date(Date.now() - 7 * DAY));
    form.to.value = params.get("to") || dateValue(new Date());
    form.exclude_maintenance.checked = params.get("exclude") === "1";
    showCustom();
  }

  function machineLink(name) {
    var a = document.createElement("a");
    a.href = "machines/" + encodeURIComponent(name) + ".html";
    a.textContent = name;
    return a;
  }

  function availabilityCell(tr, subject) {
    var td = Vigie.cell(tr, percent(subject.availability_percent), "num availability");
    td.dataset.percent = subject.availability_percent === null ? "" : String(subject.availability_percent);
    if (subject.availability_percent === null) td.classList.add("no-data");
    else if (subject.seconds.down > 0) td.classList.add("was-down");
    return td;
  }

  function noDataCell(tr, seconds) {
    var td = Vigie.cell(tr, seconds.no_data ? Vigie.duration(seconds.no_data) : "–", "num");
    if (seconds.no_data) td.classList.add("no-data");
    return td;
  }

  function showMachines(results) {
    Vigie.rows("#report-machines tbody", results, "machine", function (m) { return m.machine; }, function (tr, m) {
      Vigie.cell(tr, machineLink(m.machine));
      availabilityCell(tr, m);
      Vigie.cell(tr, m.seconds.down ? Vigie.duration(m.seconds.down) : "–", "num");
      Vigie.cell(tr, m.outages.length || "–", "num");
      Vigie.cell(tr, m.seconds.maintenance ? Vigie.duration(m.seconds.maintenance) : "–", "num");
      noDataCell(tr, m.seconds);
    });
  }

  function showInterfaces(results) {
    var all = [], shown;
    results.forEach(function (m) {
      m.interfaces.forEach(function (i) { all.push({ machine: m.machine, i: i }); });
    });
    shown = all.filter(function (x) { return x.i.seconds.down > 0; });
    shown.sort(function (a, b) { return a.i.availability_percent - b.i.availability_percent; });
    document.getElementById("report-interfaces-note").textContent = !all.length ? "No interface measured." :
      shown.length + " of the " + all.length + " interfaces measured were down at some point" +
      (shown.length > MAX_ROWS ? "; the " + MAX_ROWS + " least available are shown" : "") +
      ". The CSV export has them all.";
    Vigie.rows("#report-interfaces tbody", shown.slice(0, MAX_ROWS), "interface",
               function (x) { return x.machine + " " + x.i.interface; }, function (tr, x) {
      Vigie.cell(tr, machineLink(x.machine));
      Vigie.cell(tr, x.i.interface);
      availabilityCell(tr, x.i);
      Vigie.cell(tr, Vigie.duration(x.i.seconds.down), "num");
      Vigie.cell(tr, x.i.outages.length, "num");
      Vigie.cell(tr, x.i.seconds.off ? Vigie.duration(x.i.seconds.off) : "–", "num");
      noDataCell(tr, x.i.seconds);
    });
  }

  function showOutages(results) {
    var all = [];
    results.forEach(function (m) {
      m.outages.forEach(function (o) { all.push({ machine: m.machine, interface: "", o: o }); });
      m.interfaces.forEach(function (i) {
        i.outages.forEach(function (o) { all.push({ machine: m.machine, interface: i.interface, o: o }); });
      });
    });
    all.sort(function (a, b) { return a.o.start < b.o.start ? 1 : a.o.start > b.o.start ? -1 : 0; });   /* newest first */
    var tbody = Vigie.rows("#report-outages tbody", all.slice(0, MAX_ROWS), "start", function (x) { return x.o.start; },
                           function (tr, x) {
      Vigie.cell(tr, machineLink(x.machine));
      Vigie.cell(tr, x.interface);
      Vigie.cell(tr, Vigie.timeElement(x.o.start));
      Vigie.cell(tr, x.o.end ? Vigie.timeElement(x.o.end) : "still down");
      Vigie.cell(tr, Vigie.duration(x.o.seconds) + (x.o.ended_by === "no data" ? " (then no data)" : ""), "num");
      Vigie.cell(tr, x.o.maintenance_seconds ? Vigie.duration(x.o.maintenance_seconds) : "–", "num");
    });
    if (!all.length) {
      var tr = document.createElement("tr");
      Vigie.cell(tr, "No outage in this period.", "meta").colSpan = 6;
      tbody.appendChild(tr);
    }
  }

  function show(body) {
    var until = body.measured_to !== body.to ? " (measured up to now)" : "";
    var p = document.getElementById("report-period");
    p.textContent = "";
    p.append("From ", Vigie.timeElement(body.from), " to ", Vigie.timeElement(body.to), until + ". Maintenance " +
             (body.exclude_maintenance ? "left out." : "counted, and shown apart."));
    showMachines(body.results);
    showInterfaces(body.results);
    showOutages(body.results);
    document.getElementById("report").hidden = false;
    message(body.count ? "" : "No machine to report on.");
    document.body.dataset.reported = String(Number(document.body.dataset.reported || 0) + 1);
  }

  function load() {
    var range = period();
    if (typeof range === "string") { message(range); return; }
    remember();
    var ticket = ++asked;
    document.getElementById("report-csv").href = Vigie.apiBase + "/api/availability?" + query(range, { format: "csv" });
    document.getElementById("report-outages-csv").href =
      Vigie.apiBase + "/api/availability?" + query(range, { format: "outages.csv" });
    message("Computing…");
    Vigie.api("GET", "/api/availability?" + query(range)).then(function (r) {
      if (ticket !== asked) return;     /* a newer report was asked for */
      if (r.status === 200 && r.body) return show(r.body);
      if (r.status === 401) return message("Log in to see the reports.");
      message("Refused: " + ((r.body && r.body.error) || "HTTP " + r.status));
    }, function () {
      if (ticket === asked) message("Reports come from the API, which does not answer here.");
    });
  }

  restore();
  form.period.addEventListener("change", function () { showCustom(); if (form.period.value !== "custom") load(); });
  form.exclude_maintenance.addEventListener("change", load);
  form.addEventListener("submit", function (event) { event.preventDefault(); load(); });
  /* ask only where the API answers and someone is logged in: a page served by a plain web
     server probes the API once (/api/me), never more */
  Vigie.me.then(function (who) {
    if (who.state === "user") return load();
    form.querySelectorAll("button, a.button").forEach(function (b) { b.hidden = true; });
    message(who.state === "anonymous" ? "Log in to see the reports." : "Reports come from the API, which does not answer here.");
  });
})();
