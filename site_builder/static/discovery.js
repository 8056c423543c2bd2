/* Devices page, for admins: run a network discovery (POST /api/discovery) with the
   stored credentials of machines picked by name, watch its progress, then add the
   devices it found one by one or all at once. No secret is typed, sent or shown. */
"use strict";
(function () {
  var LABELS = { subnets: "Subnets", seeds: "Seeds", within: "Never probe outside",
                 credentials_from: "Credentials" };
  var POLL_MS = 1000;
  var runId = null;

  function $(id) { return document.getElementById(id); }

  function lines(text) {
    return text.split(/[\n,]/).map(function (l) { return l.trim(); }).filter(Boolean);
  }

  function credentialChoices(machines) {
    var box = $("discover-credentials");
    if (!machines.length) return;
    box.querySelectorAll("label, p").forEach(function (el) { el.remove(); });
    machines.forEach(function (m, i) {
      var label = document.createElement("label"), input = document.createElement("input");
      input.type = "checkbox";
      input.name = "credentials_from";
      input.value = m.name;
      input.checked = i === 0;
      label.appendChild(input);
      label.appendChild(document.createTextNode(" " + m.name + " (SNMP v" + ((m.snmp || {}).version || "?") + ")"));
      box.appendChild(label);
    });
  }

  function progressText(d) {
    var text = "Probed " + (d.probed || 0) + " address(es), " + (d.answered || 0) + " answered";
    if (d.state === "running") text += ", " + (d.queued || 0) + " to go";
    if ((d.found || []).length) text += "; found: " + d.found.join(", ");
    if (d.state === "done") text = "Done. " + text + ".";
    if (d.state === "failed") text = "The discovery failed: " + (d.error || "see the server log") + ".";
    return text;
  }

  function add(names) {
    var body = names ? { names: names } : {};
    return Vigie.api("POST", "/api/discovery/" + encodeURIComponent(runId) + "/add", body).then(function (r) {
      if (r.status !== 200) { $("discover-progress").textContent = Vigie.explain(r.body, { names: "Devices" }); return; }
      var said = r.body.added.length ? "Added: " + r.body.added.join(", ") + "." : "Nothing added.";
      r.body.skipped.forEach(function (s) { said += " " + s.name + ": " + s.why + "."; });
      $("discover-progress").textContent = said;
      document.dispatchEvent(new CustomEvent("vigie:machines-changed"));
      return poll(false);
    });
  }

  function showFound(d) {
    var table = $("discover-found");
    var candidates = d.candidates || [];
    table.hidden = !candidates.length;
    Vigie.rows("#discover-found tbody", candidates, "candidate", function (c) { return c.name; }, function (tr, c) {
      Vigie.cell(tr, c.name);
      Vigie.cell(tr, c.host + (c.port !== 161 ? ":" + c.port : ""));
      Vigie.cell(tr, c.via);
      Vigie.cell(tr, c.description);
      Vigie.cell(tr, c.added ? "added" : Vigie.button("Add", "add", function (event) {
        event.target.disabled = true;
        add([c.name]);
      }));
    });
    var left = candidates.filter(function (c) { return !c.added; });
    $("discover-add-all").hidden = left.length < 1 || d.state !== "done";
    $("discover-add-all").textContent = "Add all (" + left.length + ")";
  }

  function poll(again) {
    return Vigie.api("GET", "/api/discovery/" + encodeURIComponent(runId)).then(function (r) {
      if (r.status !== 200) { $("discover-progress").textContent = Vigie.explain(r.body, LABELS); return; }
      if (again !== false) $("discover-progress").textContent = progressText(r.body);
      showFound(r.body);
      var running = r.body.state === "running";
      $("discover-start").disabled = running;
      if (running && again !== false) window.setTimeout(poll, POLL_MS);
    });
  }

  function start(event) {
    event.preventDefault();
    var form = event.target;
    $("discover-error").textContent = "";
    var body = { subnets: lines(form.subnets.value), seeds: lines(form.seeds.value), within: lines(form.within.value),
                 credentials_from: Array.prototype.filter.call(form.querySelectorAll('input[name="credentials_from"]'),
                   function (i) { return i.checked; }).map(function (i) { return i.value; }) };
    $("discover-start").disabled = true;
    Vigie.api("POST", "/api/discovery", body).then(function (r) {
      if (r.status !== 202) {
        $("discover-start").disabled = false;
        $("discover-error").textContent = Vigie.explain(r.body, LABELS);
        return;
      }
      runId = r.body.id;
      $("discover-progress").textContent = progressText(r.body);
      poll();
    }, function () {
      $("discover-start").disabled = false;
      $("discover-error").textContent = "The server cannot be reached.";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    $("discover-form").addEventListener("submit", start);
    $("discover-add-all").addEventListener("click", function () { add(null); });
    Vigie.me.then(function (who) {
      if (!Vigie.can(who, "admin")) return;
      Vigie.api("GET", "/api/machine").then(function (r) {
        if (r.status === 200 && r.body) credentialChoices(r.body.results || []);
      });
    });
  });
})();
