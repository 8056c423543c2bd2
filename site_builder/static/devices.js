/* Devices page: the machine list (live from the API when logged in), and for admins
   a form to add a device or edit one, a "Test SNMP" button that asks the device once
   before anything is saved, and buttons to remove one. The form checks what
   machine_schema.json checks; the API checks again and has the last word. */
"use strict";
(function () {
  /* the rules of vigie/machines.py and machine_schema.json, written into the page by the builder */
  var RULES = JSON.parse(document.getElementById("devices-snapshot").textContent).rules;
  var NAME = new RegExp("^(?:" + RULES.name_pattern + ")$"), HOST = new RegExp(RULES.host_pattern);
  var OID_NAME = new RegExp(RULES.oid_name_pattern), OID = new RegExp(RULES.oid_pattern);
  var MASK = "********";   // what the API shows for a stored secret; sent back, it keeps it
  var SECRETS = ["community", "auth_key", "priv_key"];
  /* the machine file's fields as the form names them, for the API's messages */
  var LABELS = {
    "name": "Name", "host": "Host", "port": "Port", "description": "Description", "snmp.version": "SNMP version",
    "snmp.community": "Community", "snmp.user": "User", "snmp.auth_protocol": "Auth protocol",
    "snmp.auth_key": "Auth key", "snmp.priv_protocol": "Privacy protocol", "snmp.priv_key": "Privacy key",
    "snmp": "SNMP", "interfaces": "Interfaces", "interval": "Poll interval", "oids": "Extra OIDs",
    "threshold_percent": "Utilisation threshold", "threshold_polls": "Polls over the threshold",
    "threshold_hysteresis": "Points under the threshold to clear", "errors_per_second": "Errors and discards per second",
    "interface_thresholds": "Interface thresholds",
    "tags": "Tags", "tags.application": "Application", "tags.environment": "Environment", "tags.provider": "Provider"
  };
  var who = null, editing = null;   // editing: the stored machine being edited (secrets masked)

  function message(text) { document.getElementById("devices-message").textContent = text; }

  function intIn(value, lo, hi) {
    var n = Number(value);
    return Number.isInteger(n) && n >= lo && n <= hi ? n : null;
  }

  function numberIn(value, lo, hi) {
    var n = Number(value);
    return value !== "" && isFinite(n) && n >= lo && n <= hi ? n : null;
  }

  /* "name = OID [unit U] [scale S] [counter]" lines -> the "oids" object. */
  function oidsFromLines(text, fail) {
    var oids = {};
    text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).forEach(function (line) {
      var eq = line.indexOf("=");
      var key = eq < 0 ? "" : line.slice(0, eq).trim(), words = line.slice(eq + 1).trim().split(/\s+/);
      if (eq < 0 || !OID_NAME.test(key))
        fail("oids", "Extra OIDs: each line is name = OID, the name of letters, digits, '_', '.', '-'.");
      var oid = words.shift();
      if (!OID.test(oid || ""))
        fail("oids", "Extra OIDs, " + key + ": " + line.slice(eq + 1).trim() + " is not a numeric OID (1.3.6...) or MIB::name.");
      var spec = { oid: oid };
      while (words.length) {
        var word = words.shift();
        if (word === "counter" || word === "gauge") spec.type = word;
        else if (word === "unit" && words.length) spec.unit = words.shift();
        else if (word === "scale" && words.length && Number(words[0]) > 0) spec.scale = Number(words.shift());
        else if ((word === "above" || word === "below") && words.length && words[0] !== "" && isFinite(Number(words[0])))
          spec[word] = Number(words.shift());
        else if (word === "for" && intIn(words[0], 1, 100) !== null) spec["for"] = Number(words.shift());
        else if (word === "hysteresis" && numberIn(words[0] || "", 0, 1e15) !== null) spec.hysteresis = Number(words.shift());
        else fail("oids", "Extra OIDs, " + key + ": after the OID, only unit U, scale S, counter, above X or below X, " +
                  "for N (polls) and hysteresis H.");
      }
      if (spec.above !== undefined && spec.below !== undefined)
        fail("oids", "Extra OIDs, " + key + ": one threshold, above or below, not both.");
      oids[key] = Object.keys(spec).length === 1 ? oid : spec;
    });
    return oids;
  }

  function oidsToLines(oids) {
    return Object.keys(oids || {}).map(function (key) {
      var spec = typeof oids[key] === "string" ? { oid: oids[key] } : oids[key];
      var line = key + " = " + spec.oid;
      if (spec.unit) line += " unit " + spec.unit;
      if (spec.scale !== undefined && spec.scale !== 1) line += " scale " + spec.scale;
      if (spec.type === "counter") line += " counter";
      ["above", "below", "for", "hysteresis"].forEach(function (k) { if (spec[k] !== undefined) line += " " + k + " " + spec[k]; });
      return line;
    }).join("\n");
  }

  /* "interface = percent [polls N] [hysteresis H]" lines -> interface_thresholds. */
  function thresholdsFromLines(text, fail) {
    var table = {};
    var where = "Interface thresholds: ";
    text.split("\n").map(function (l) { return l.trim(); }).filter(Boolean).forEach(function (line) {
      var eq = line.lastIndexOf("=");
      var name = eq < 0 ? "" : line.slice(0, eq).trim(), words = line.slice(eq + 1).trim().split(/\s+/);
      if (!name) fail("interface_thresholds", where + "each line is interface = percent, e.g. ge-0/0/1 = 70.");
      var entry = {}, percent = numberIn(words.shift(), 0.01, 100);
      if (percent === null) fail("interface_thresholds", where + name + ": a percentage from 0 to 100.");
      entry.threshold_percent = percent;
      while (words.length) {
        var word = words.shift(), value = words.shift();
        if (word === "polls" && intIn(value, 1, 100) !== null) entry.threshold_polls = Number(value);
        else if (word === "hysteresis" && numberIn(value, 0, 100) !== null) entry.threshold_hysteresis = Number(value);
        else if (word === "errors" && numberIn(value, 0, Infinity) !== null) entry.errors_per_second = Number(value);
        else fail("interface_thresholds", where + name + ": after the percentage, only polls N (1-100), hysteresis H (0-100) or errors E (per second).");
      }
      table[name] = entry;
    });
    return table;
  }

  function thresholdsToLines(table) {
    return Object.keys(table || {}).map(function (name) {
      var e = table[name], line = name + " = " + (e.threshold_percent !== undefined ? e.threshold_percent : "");
      if (e.threshold_polls !== undefined) line += " polls " + e.threshold_polls;
      if (e.threshold_hysteresis !== undefined) line += " hysteresis " + e.threshold_hysteresis;
      if (e.errors_per_second !== undefined) line += " errors " + e.errors_per_second;
      return line;
    }).join("\n");
  }

  /* An optional number field: absent when empty; the schema's bounds otherwise. */
  function optionalNumber(form, machine, key, label, whole, fail) {
    var text = form[key].value.trim();
    delete machine[key];
    if (!text) return;
    var b = RULES.bounds[key], n = whole ? intIn(text, b[0], b[1]) : numberIn(text, b[0], b[1]);
    if (n === null) fail(key, label + ": " + (whole ? "a whole number" : "a number") + " from " + b[0] + " to " + b[1] + ".");
    machine[key] = n;
  }

  function secret(form, name) {
    /* editing: an empty secret field keeps the stored secret */
    return form[name].value === "" && editing ? MASK : form[name].value;
  }

  /* The machine JSON from the form, or throws {field, message}. */
  function machineFromForm(form) {
    function fail(field, text) { throw { field: field, message: text }; }
    var v = function (name) { return form[name].value.trim(); };
    var machine = editing ? JSON.parse(JSON.stringify(editing)) : {};   // keeps what the form does not show
    delete machine.live;   // the collector's view of it, not part of the machine file
    var name = editing ? editing.name : v("name");
    if (!NAME.test(name))
      fail("name", "Name: up to " + RULES.name_max + " letters, digits, '.', '_', '-', not starting with '.'.");
    if (!HOST.test(v("host")) || v("host").length > RULES.host_max) fail("host", "Host: an IP address or DNS name.");
    var port = intIn(v("port") || String(RULES.defaults.port), 1, 65535);
    if (port === null) fail("port", "Port: a whole number from 1 to 65535.");
    var interval = intIn(v("interval") || String(RULES.defaults.interval), 5, 86400);
    if (interval === null) fail("interval", "Poll interval: a whole number of seconds from 5 to 86400.");
    var snmp = { version: form.version.value };
    if (snmp.version === "3") {
      if (!v("user")) fail("user", "SNMPv3 needs a user.");
      snmp.user = v("user");
      snmp.auth_protocol = form.auth_protocol.value;
      snmp.auth_key = secret(form, "auth_key");
      if (snmp.auth_key !== MASK && snmp.auth_key.length < RULES.v3_key_min)
        fail("auth_key", "SNMPv3 needs an auth key of at least " + RULES.v3_key_min + " characters.");
      if (form.priv_protocol.value) {
        snmp.priv_protocol = form.priv_protocol.value;
        snmp.priv_key = secret(form, "priv_key");
        if (snmp.priv_key !== MASK && snmp.priv_key.length < RULES.v3_key_min)
          fail("priv_key", "A privacy protocol needs a privacy key of at least " + RULES.v3_key_min + " characters.");
      }
    } else {
      snmp.community = secret(form, "community");
      if (!snmp.community) fail("community", "SNMP v" + snmp.version + " needs a community.");
    }
    var interfaces = v("interfaces") || "all";
    if (interfaces !== "all") {
      interfaces = interfaces.split(",").map(function (s) { return s.trim(); }).filter(Boolean)
        .map(function (s) { return /^[0-9]+$/.test(s) ? Number(s) : s; });
      if (!interfaces.length) fail("interfaces", "Interfaces: \"all\" or a comma-separated list.");
    }
    machine.name = name;
    machine.host = v("host");
    machine.port = port;
    machine.snmp = snmp;
    machine.interfaces = interfaces;
    machine.interval = interval;
    optionalNumber(form, machine, "threshold_percent", "Utilisation threshold", false, fail);
    optionalNumber(form, machine, "threshold_polls", "Polls over the threshold", true, fail);
    optionalNumber(form, machine, "threshold_hysteresis", "Points under the threshold to clear", false, fail);
    optionalNumber(form, machine, "errors_per_second", "Errors and discards per second", false, fail);
    var oids = oidsFromLines(v("oids"), fail), table = thresholdsFromLines(v("interface_thresholds"), fail);
    ["oids", "interface_thresholds", "description"].forEach(function (k) { delete machine[k]; });
    if (Object.keys(oids).length) machine.oids = oids;
    if (Object.keys(table).length) machine.interface_thresholds = table;
    if (v("description")) machine.description = v("description");
    var tags = Object.assign({}, machine.tags || {});
    ["application", "environment", "provider"].forEach(function (k) { if (v(k)) tags[k] = v(k); else delete tags[k]; });
    delete machine.tags;
    if (Object.keys(tags).length) machine.tags = tags;
    return machine;
  }

  /* The form from a stored machine (GET /api/machine/<name>: secrets masked). */
  function fillForm(form, m) {
    form.reset();
    form.name.value = m.name;
    form.host.value = m.host || "";
    form.port.value = m.port || RULES.defaults.port;
    form.description.value = m.description || "";
    var snmp = m.snmp || {};
    form.version.value = snmp.version || "2c";
    form.user.value = snmp.user || "";
    if (snmp.auth_protocol) form.auth_protocol.value = snmp.auth_protocol;
    form.priv_protocol.value = snmp.priv_protocol || "";
    SECRETS.forEach(function (key) {
      form[key].value = "";
      form[key].placeholder = snmp[key] === undefined ? "" : "unchanged unless typed";
    });
    form.interfaces.value = Array.isArray(m.interfaces) ? m.interfaces.join(", ") : (m.interfaces || "all");
    form.interval.value = m.interval || RULES.defaults.interval;
    ["threshold_percent", "threshold_polls", "threshold_hysteresis", "errors_per_second"].forEach(function (key) {
      form[key].value = m[key] === undefined || m[key] === RULES.defaults[key] ? "" : m[key];
    });
    form.oids.value = oidsToLines(m.oids);
    form.interface_thresholds.value = thresholdsToLines(m.interface_thresholds);
    ["application", "environment", "provider"].forEach(function (k) { form[k].value = (m.tags || {})[k] || ""; });
    showVersionFields(form);
  }

  function setMode(form, machine) {
    editing = machine;
    form.name.readOnly = !!machine;
    document.getElementById("form-title").textContent = machine ? "Edit " + machine.name : "Add a device";
    document.getElementById("save-device").textContent = machine ? "Save changes" : "Add device";
    document.getElementById("cancel-edit").hidden = !machine;
    document.getElementById("form-error").textContent = "";
    document.getElementById("probe-result").hidden = true;
    if (!machine) {
      form.reset();
      SECRETS.forEach(function (key) { form[key].placeholder = ""; });
      showVersionFields(form);
    }
  }

  function edit(name) {
    var form = document.getElementById("device-form");
    Vigie.api("GET", "/api/machine/" + encodeURIComponent(name)).then(function (r) {
      if (r.status !== 200) { message(refusal(r, "open " + name)); return; }
      setMode(form, r.body);
      fillForm(form, r.body);
      document.getElementById("add-device").scrollIntoView();
      form.host.focus();
    });
  }

  /* An API refusal in the page's words. */
  function refusal(r, doing) {
    if (r.status === 401) return "Your session has ended: log in again.";
    if (r.status === 403) return "Only an admin can " + doing + ".";
    if (r.status === 404) return "That device no longer exists (removed meanwhile?).";
    if (r.status === 429) return "Other tests are running: try again in a moment.";
    if (r.status === 400) return Vigie.explain(r.body, LABELS);
    return "Cannot " + doing + ": the server answered " + r.status + ".";
  }

  var cell = Vigie.cell;

  var actionButton = Vigie.button;

  /* A machine's state from its live view (GET /api/machine): unknown when it has none
     or one the State select (the builder's list) does not know. */
  function stateOf(m) {
    var state = m.live && m.live.status && m.live.status.state;
    var known = document.querySelector('#device-view [data-state-filter] option[value="' + state + '"]');
    return state && known ? state : "unknown";
  }

  /* The rows shown for the State and Sort choice of the address (?state=down&sort=state). */
  function applyView() {
    var form = document.getElementById("device-view"), tbody = document.querySelector("#devices tbody");
    var choice = Vigie.stateChoice(form), rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-state]"));
    var shown = Vigie.stateRows(rows, choice);
    rows.forEach(function (r) { r.hidden = shown.indexOf(r) < 0; });
    shown.concat(rows.filter(function (r) { return r.hidden; })).forEach(function (r) { tbody.appendChild(r); });
    var machines = function (list) { return list.filter(function (r) { return r.dataset.state !== "error"; }).length; };
    document.getElementById("device-view-count").textContent =
      choice.state ? machines(shown) + " of " + machines(rows) + " devices" : "";
  }

  function showMachines(list) {
    Vigie.rows("#devices tbody", list, "machine", function (m) { return m.name; }, function (tr, m) {
      var a = document.createElement("a");
      a.href = "machines/" + encodeURIComponent(m.name) + ".html";
      a.textContent = m.name;
      cell(tr, a);
      var state = stateOf(m), badge = document.createElement("span");
      tr.dataset.state = state;
      badge.className = "state state-" + state;
      badge.textContent = state;
      cell(tr, badge);
      cell(tr, m.host);
      cell(tr, m.port, "num");
      cell(tr, "v" + ((m.snmp && m.snmp.version) || m.snmp_version || "?"));
      cell(tr, (m.interval || RULES.defaults.interval) + " s", "num");
      cell(tr, m.description || "");
      var actions = cell(tr, "");
      if (Vigie.can(who, "admin")) {
        actions.className = "buttons";
        actions.appendChild(actionButton("Edit", "edit", function () { edit(m.name); }));
        actions.appendChild(actionButton("Remove", "remove", function () { remove(m.name); }));
      }
    });
  }

  function showConfigErrors(errors) {
    var tbody = document.querySelector("#devices tbody");
    errors.forEach(function (e) {
      var name = String(e.file || "?").split("/").pop().replace(/\.json$/, "");
      var tr = document.createElement("tr");
      tr.className = "config-error";
      tr.dataset.machine = name;
      tr.dataset.state = "error";
      cell(tr, name);
      var badge = document.createElement("span");
      badge.className = "state state-error";
      badge.textContent = "config error";
      var td = cell(tr, badge);
      td.colSpan = 6;
      td.appendChild(document.createTextNode(" " + Vigie.explain({ error: e.error }, LABELS)));
      cell(tr, "");
      tbody.appendChild(tr);
    });
  }

  /* A machine name suggested for a sender: the name it gives itself, else its address. */
  function suggestedName(sender) {
    var given = (sender.hosts[0] || "").split(".")[0].replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^[.-]+/, "");
    var name = NAME.test(given) ? given : sender.address.replace(/[^A-Za-z0-9.]+/g, "-").replace(/^[.-]+/, "");
    return name.slice(0, RULES.name_max);
  }

  /* Who sends syslog or traps that match no device (admins and users in no scoped team);
     an admin adds one as a device with the form, filled in with its address. */
  function loadSenders() {
    return Vigie.api("GET", "/api/unknown-senders").then(function (r) {
      var section = document.getElementById("unknown-senders");
      section.hidden = r.status !== 200 || !r.body;
      if (section.hidden) return;
      var tbody = Vigie.rows("#senders tbody", r.body.results, "address", function (s) { return s.address; }, function (tr, s) {
        cell(tr, s.address);
        cell(tr, s.hosts.join(", "));
        cell(tr, Vigie.timeElement(s.last_seen));
        cell(tr, s.count, "num");
        var last = s.last || {};
        cell(tr, last.severity + (last.kind === "trap" ? " (trap)" : "") + " " + (last.app ? last.app + ": " : "") +
             (last.message || ""), "message");
        var actions = cell(tr, "");
        if (Vigie.can(who, "admin")) {
          var add = document.createElement("a");
          add.className = "button add-sender";
          add.href = "devices.html?" + new URLSearchParams({ host: s.address, name: suggestedName(s) }) + "#add-device";
          add.textContent = "Add as a device";
          add.addEventListener("click", function (e) { e.preventDefault(); prefill(s.address, suggestedName(s)); });
          actions.appendChild(add);
        }
      });
      if (!r.body.results.length) {
        var tr = document.createElement("tr");
        cell(tr, "None: every sender matches a device.", "meta").colSpan = 6;
        tbody.appendChild(tr);
      }
    });
  }

  /* The add form, filled in with a sender's address (and a name for it), ready for its credentials. */
  function prefill(host, name) {
    var form = document.getElementById("device-form");
    setMode(form, null);
    form.host.value = host;
    form.name.value = name || "";
    document.getElementById("add-device").scrollIntoView();
    (form.version.value === "3" ? form.user : form.community).focus();
  }

  function load() {
    loadSenders();
    return Vigie.api("GET", "/api/machine").then(function (r) {
      if (r.status !== 200 || !r.body) { message(refusal(r, "list the devices")); return; }
      var list = Array.isArray(r.body) ? r.body : (r.body.results || r.body.machines || []);
      showMachines(list);
      showConfigErrors(r.body.errors || []);
      applyView();
    }, function () { message("The server cannot be reached."); });
  }

  function remove(name) {
    if (!window.confirm("Remove device " + name + "? Its collected samples are kept.")) return;
    Vigie.api("DELETE", "/api/machine/" + encodeURIComponent(name)).then(function (r) {
      message(r.status === 200 || r.status === 204 ? "Device " + name + " removed." : refusal(r, "remove a device"));
      if (editing && editing.name === name) setMode(document.getElementById("device-form"), null);
      load();
    });
  }

  function fromForm(form) {
    var error = document.getElementById("form-error");
    error.textContent = "";
    try { return machineFromForm(form); } catch (e) {
      error.textContent = e.message;
      if (form[e.field] && form[e.field].focus) form[e.field].focus();
      return null;
    }
  }

  function submit(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("form-error"), machine = fromForm(form);
    if (!machine) return;
    var name = machine.name, was = editing;
    var request = was ? Vigie.api("PUT", "/api/machine/" + encodeURIComponent(name), machine)
                      : Vigie.api("POST", "/api/machine", machine);
    request.then(function (r) {
      if (r.status === 200 || r.status === 201) {
        message(was ? "Device " + name + " saved: the collector uses it from its next reading of the folder."
                    : "Device " + name + " added: it is polled from the next cycle and gets its page at the next build.");
        setMode(form, null);
        load();
      } else if (r.status === 409 && !was) {
        error.textContent = "A device named " + name + " already exists: use Edit in its row to change it.";
      } else {
        error.textContent = refusal(r, was ? "save a device" : "add a device");
      }
    }, function () { error.textContent = "The server cannot be reached."; });
  }

  function speedText(bps) {
    if (!bps) return "";
    var units = [[1e9, " Gb/s"], [1e6, " Mb/s"], [1e3, " kb/s"]];
    for (var i = 0; i < units.length; i++) if (bps >= units[i][0]) return (bps / units[i][0]) + units[i][1];
    return bps + " b/s";
  }

  function line(box, text, cls) {
    var p = document.createElement("p");
    if (cls) p.className = cls;
    p.textContent = text;
    box.appendChild(p);
    return p;
  }

  /* What the device answered, or why it did not. */
  function showProbe(result) {
    var box = document.getElementById("probe-result");
    box.textContent = "";
    box.hidden = false;
    if (!result.ok) {
      box.className = "probe probe-failed";
      line(box, "No answer: " + result.error + ".", "error");
      line(box, "Check the host, the port, the community or SNMPv3 user and keys, and that the device lets this server ask.", "hint");
      return;
    }
    box.className = "probe probe-ok";
    var s = result.system || {};
    line(box, "The device answered in " + result.seconds + " s: " + (s.sys_name || "(no sysName)") +
         (s.sys_descr ? ", " + s.sys_descr : "") + ".");
    var facts = [["Location", s.sys_location], ["Contact", s.sys_contact], ["Object ID", s.sys_object_id]]
      .filter(function (f) { return f[1]; }).map(function (f) { return f[0] + ": " + f[1]; });
    if (facts.length) line(box, facts.join(" · "), "meta");
    var watched = (result.interfaces || []).filter(function (i) { return i.watched; }).length;
    line(box, result.interface_count + " interface(s), " + watched + " to be graphed:");
    var table = document.createElement("table");
    table.className = "list";
    var head = document.createElement("tr");
    ["Interface", "Alias", "Speed", "Status", "Graphed"].forEach(function (h) {
      var th = document.createElement("th");
      th.textContent = h;
      head.appendChild(th);
    });
    table.appendChild(head);
    (result.interfaces || []).forEach(function (i) {
      var tr = document.createElement("tr");
      cell(tr, i.name);
      cell(tr, i.alias);
      cell(tr, speedText(i.speed_bps), "num");
      cell(tr, i.oper_status + (i.admin_status === "down" ? " (disabled)" : ""));
      cell(tr, i.watched ? "yes" : "no");
      table.appendChild(tr);
    });
    var scroll = document.createElement("div");
    scroll.className = "scroll";
    scroll.appendChild(table);
    box.appendChild(scroll);
    Object.keys(result.oids || {}).forEach(function (name) {
      var o = result.oids[name];
      line(box, name + ": " + (o.problem ? "cannot be graphed: " + o.problem : o.value), o.problem ? "error" : "");
    });
  }

  function test() {
    var form = document.getElementById("device-form"), button = document.getElementById("test-device");
    var machine = fromForm(form);
    if (!machine) return;
    var box = document.getElementById("probe-result");
    box.hidden = false;
    box.className = "probe";
    box.textContent = "Asking " + machine.host + "...";
    button.disabled = true;
    Vigie.api("POST", "/api/machine/test", machine).then(function (r) {
      button.disabled = false;
      if (r.status === 200) showProbe(r.body);
      else { box.textContent = ""; line(box, refusal(r, "test a device"), "error"); }
    }, function () { button.disabled = false; box.textContent = "The server cannot be reached."; });
  }

  function showVersionFields(form) {
    var v3 = form.version.value === "3";
    form.querySelectorAll(".v3").forEach(function (el) { el.hidden = !v3; });
    form.querySelectorAll(".v12").forEach(function (el) { el.hidden = v3; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("device-form"), view = document.getElementById("device-view");
    view.addEventListener("change", function () { Vigie.keepStateChoice(view); applyView(); });
    applyView();
    form.version.addEventListener("change", function () { showVersionFields(form); });
    form.addEventListener("submit", submit);
    document.getElementById("test-device").addEventListener("click", test);
    document.getElementById("cancel-edit").addEventListener("click", function () { setMode(form, null); });
    Vigie.me.then(function (w) {
      who = w;
      if (w.state === "user") {
        load();
        document.addEventListener("vigie:machines-changed", load);   // devices added by a discovery
        var asked = new URLSearchParams(location.search);   /* "Add as a device" from elsewhere */
        if (Vigie.can(w, "admin") && asked.get("host")) prefill(asked.get("host"), asked.get("name"));
      }
      else if (w.state === "offline") Vigie.notice("The API cannot be reached: this is the device list as of the last build; devices cannot be added or removed here.");
      else Vigie.notice("Not logged in: log in as an admin to add or remove devices.");
    });
  });
})();
