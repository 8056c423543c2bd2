/* Devices page: the machine list (live from the API when logged in), and for
   admins a form to add a device and buttons to remove one. The form checks
   what machine_schema.json checks; the API checks again and has the last word. */
"use strict";
(function () {
  /* the rules of vigie/machines.py and machine_schema.json, written into the page by the builder */
  var RULES = JSON.parse(document.getElementById("devices-snapshot").textContent).rules;
  var NAME = new RegExp("^(?:" + RULES.name_pattern + ")$"), HOST = new RegExp(RULES.host_pattern);
  var OID_NAME = new RegExp(RULES.oid_name_pattern), OID = new RegExp(RULES.oid_pattern);
  var who = null;

  function message(text) { document.getElementById("devices-message").textContent = text; }

  function intIn(value, lo, hi) {
    var n = Number(value);
    return Number.isInteger(n) && n >= lo && n <= hi ? n : null;
  }

  /* The machine JSON from the form, or throws {field, message}. */
  function machineFromForm(form) {
    function fail(field, text) { throw { field: field, message: text }; }
    var v = function (name) { return form[name].value.trim(); };
    var name = v("name");
    if (!NAME.test(name))
      fail("name", "Name: up to " + RULES.name_max + " letters, digits, '.', '_', '-', not starting with '.'.");
    if (!HOST.test(v("host")) || v("host").length > RULES.host_max) fail("host", "Host: an IP address or DNS name.");
    var port = intIn(v("port") || "161", 1, 65535);
    if (port === null) fail("port", "Port: a whole number from 1 to 65535.");
    var interval = intIn(v("interval") || "60", 5, 86400);
    if (interval === null) fail("interval", "Poll interval: a whole number of seconds from 5 to 86400.");
    var snmp = { version: form.version.value };
    if (snmp.version === "3") {
      if (!v("user")) fail("user", "SNMPv3 needs a user.");
      snmp.user = v("user");
      snmp.auth_protocol = form.auth_protocol.value;
      if (form.auth_key.value.length < form.auth_key.minLength)
        fail("auth_key", "SNMPv3 needs an auth key of at least " + form.auth_key.minLength + " characters.");
      snmp.auth_key = form.auth_key.value;
      if (form.priv_protocol.value) {
        if (form.priv_key.value.length < form.priv_key.minLength)
          fail("priv_key", "A privacy protocol needs a privacy key of at least " + form.priv_key.minLength + " characters.");
        snmp.priv_protocol = form.priv_protocol.value;
        snmp.priv_key = form.priv_key.value;
      }
    } else {
      if (!form.community.value) fail("community", "SNMP v" + snmp.version + " needs a community.");
      snmp.community = form.community.value;
    }
    var interfaces = v("interfaces") || "all";
    if (interfaces !== "all") {
      interfaces = interfaces.split(",").map(function (s) { return s.trim(); }).filter(Boolean)
        .map(function (s) { return /^[0-9]+$/.test(s) ? Number(s) : s; });
      if (!interfaces.length) fail("interfaces", "Interfaces: \"all\" or a comma-separated list.");
    }
    var oids = {};
    v("oids").split("\n").map(function (l) { return l.trim(); }).filter(Boolean).forEach(function (line) {
      var parts = line.split("=");
      var key = (parts[0] || "").trim(), oid = parts.slice(1).join("=").trim();
      if (parts.length < 2 || !OID_NAME.test(key)) fail("oids", "Extra OIDs: each line is name = OID, the name of letters, digits, '_', '.', '-'.");
      if (!OID.test(oid)) fail("oids", "Extra OIDs: " + oid + " is not a numeric OID (1.3.6...) or MIB::name.");
      oids[key] = oid;
    });
    var machine = { name: name, host: v("host"), port: port, snmp: snmp, interfaces: interfaces, interval: interval };
    if (Object.keys(oids).length) machine.oids = oids;
    if (v("description")) machine.description = v("description");
    var tags = {};
    ["application", "environment", "provider"].forEach(function (k) { if (v(k)) tags[k] = v(k); });
    if (Object.keys(tags).length) machine.tags = tags;
    return machine;
  }

  var cell = Vigie.cell;

  function showMachines(list) {
    var tbody = document.querySelector("#devices tbody");
    tbody.textContent = "";
    list.forEach(function (m) {
      var tr = document.createElement("tr");
      tr.dataset.machine = m.name;
      var a = document.createElement("a");
      a.href = "machines/" + encodeURIComponent(m.name) + ".html";
      a.textContent = m.name;
      cell(tr, a);
      cell(tr, m.host);
      cell(tr, m.port, "num");
      cell(tr, "v" + ((m.snmp && m.snmp.version) || m.snmp_version || "?"));
      cell(tr, (m.interval || 60) + " s", "num");
      cell(tr, m.description || "");
      var actions = cell(tr, "");
      if (Vigie.can(who, "admin")) {
        var b = document.createElement("button");
        b.type = "button";
        b.className = "remove";
        b.textContent = "Remove";
        b.addEventListener("click", function () { remove(m.name); });
        actions.appendChild(b);
      }
      tbody.appendChild(tr);
    });
  }

  function showConfigErrors(errors) {
    var tbody = document.querySelector("#devices tbody");
    errors.forEach(function (e) {
      var name = String(e.file || "?").split("/").pop().replace(/\.json$/, "");
      var tr = document.createElement("tr");
      tr.className = "config-error";
      tr.dataset.machine = name;
      cell(tr, name);
      var badge = document.createElement("span");
      badge.className = "state state-error";
      badge.textContent = "config error";
      var td = cell(tr, badge);
      td.colSpan = 5;
      td.appendChild(document.createTextNode(" " + (e.field ? e.field + ": " : "") + (e.error || "")));
      cell(tr, "");
      tbody.appendChild(tr);
    });
  }

  function load() {
    return Vigie.api("GET", "/api/machine").then(function (r) {
      if (r.status !== 200 || !r.body) throw new Error((r.body && r.body.error) || "HTTP " + r.status);
      var list = Array.isArray(r.body) ? r.body : (r.body.results || r.body.machines || []);
      showMachines(list);
      showConfigErrors(r.body.errors || []);
    }).catch(function (err) { message("Cannot load devices: " + err.message); });
  }

  function remove(name) {
    if (!window.confirm("Remove device " + name + "? Its collected samples are kept.")) return;
    Vigie.api("DELETE", "/api/machine/" + encodeURIComponent(name)).then(function (r) {
      message(r.status === 200 || r.status === 204 ? "Device " + name + " removed."
        : "Refused: " + ((r.body && r.body.error) || "HTTP " + r.status));
      load();
    });
  }

  function submit(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("form-error"), machine;
    error.textContent = "";
    try { machine = machineFromForm(form); } catch (e) {
      error.textContent = e.message;
      if (form[e.field]) form[e.field].focus();
      return;
    }
    Vigie.api("POST", "/api/machine", machine).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        message("Device " + machine.name + " added: it is polled from the next cycle and gets its page at the next build.");
        form.reset();
        showVersionFields(form);
        load();
      } else {
        error.textContent = ((r.body && r.body.field) ? r.body.field + ": " : "") + ((r.body && r.body.error) || "HTTP " + r.status);
      }
    }, function () { error.textContent = "The API cannot be reached."; });
  }

  function showVersionFields(form) {
    var v3 = form.version.value === "3";
    form.querySelectorAll(".v3").forEach(function (el) { el.hidden = !v3; });
    form.querySelectorAll(".v12").forEach(function (el) { el.hidden = v3; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("device-form");
    form.version.addEventListener("change", function () { showVersionFields(form); });
    form.addEventListener("submit", submit);
    Vigie.me.then(function (w) {
      who = w;
      if (w.state === "user") load();
      else if (w.state === "offline") Vigie.notice("The API cannot be reached: this is the device list as of the last build; devices cannot be added or removed here.");
      else Vigie.notice("Not logged in: log in as an admin to add or remove devices.");
    });
  });
})();
