/* Devices page, for admins: devices from a CSV file (POST /api/machine-import). "Check"
   asks for a dry run; "Import" adds them. Each row's outcome is listed: to add or added,
   known (a device already here, never changed), or its errors by line and column. */
"use strict";
(function () {
  function $(id) { return document.getElementById(id); }

  function row(tbody, line, name, outcome, detail) {
    var tr = document.createElement("tr");
    tr.dataset.line = line;
    tr.className = "import-" + outcome.split(" ")[0];
    Vigie.cell(tr, line === null ? "" : line, "num");
    Vigie.cell(tr, name);
    Vigie.cell(tr, outcome);
    Vigie.cell(tr, detail);
    tbody.appendChild(tr);
  }

  function show(body, dry) {
    var table = $("import-rows"), tbody = table.querySelector("tbody");
    tbody.textContent = "";
    (body.errors || []).forEach(function (e) {
      row(tbody, e.line, "", "error", (e.column ? "column " + e.column + ": " : "") + e.error);
    });
    (body.add || body.added || []).forEach(function (r) {
      row(tbody, r.line, r.name, dry ? "to add" : "added", r.host + " port " + r.port + ", credentials " + r.credentials);
    });
    (body.known || []).forEach(function (r) { row(tbody, r.line, r.name, "known", r.reason); });
    table.hidden = !tbody.children.length;
  }

  function send(dry) {
    var form = $("import-form"), file = form.file.files[0];
    $("import-error").textContent = "";
    $("import-summary").textContent = "";
    if (!file) { $("import-error").textContent = "Choose a CSV file first."; return; }
    file.text().then(function (text) {
      return Vigie.api("POST", "/api/machine-import", { csv: text, dry_run: dry });
    }).then(function (r) {
      if (r.status === 200) {
        var count = (dry ? r.body.add : r.body.added).length, known = r.body.known.length;
        $("import-summary").textContent = file.name + ": " + count + " device" + (count === 1 ? "" : "s") +
          (dry ? " to add" : " added") + ", " + known + " already here" + (dry ? " (nothing written yet)." : ".");
        show(r.body, dry);
        if (!dry && count) document.dispatchEvent(new Event("vigie:machines-changed"));
      } else if (r.status === 400 && r.body && r.body.errors) {
        $("import-error").textContent = file.name + ": " + r.body.error + ".";
        show(r.body, dry);
      } else {
        $("import-error").textContent = r.status === 403 ? "Only an admin can import devices."
          : "Cannot import: " + ((r.body && r.body.error) || "the server answered " + r.status) + ".";
      }
    }, function () { $("import-error").textContent = "The file cannot be read, or the server cannot be reached."; });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = $("import-form");
    if (!form) return;
    $("import-check").addEventListener("click", function () { send(true); });
    form.addEventListener("submit", function (e) { e.preventDefault(); send(false); });
  });
})();
