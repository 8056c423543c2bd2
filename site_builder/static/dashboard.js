/* Dashboard: the machines grouped by one tag, filtered by tags and by state, sorted by
   name or state (the worst first), the choice kept in the address
   (?group=environment&tag-environment=prod&state=down&sort=state), and kept when the
   page takes a new build in place (common.js). The "N down" badge opens ?state=down. */
"use strict";
(function () {
  function params() { return new URLSearchParams(location.search); }

  function tagsOf(row) {
    try { return JSON.parse(row.dataset.tags || "{}"); } catch (e) { return {}; }
  }

  function apply() {
    var form = document.getElementById("machine-view"), table = document.getElementById("machines");
    if (!form || !table) return;
    var p = params(), wanted = {}, choice = Vigie.stateChoice(form);
    var group = form.group && p.get("group") || "";
    if (form.group) form.group.value = group;
    form.querySelectorAll("select[data-tag]").forEach(function (s) {
      var v = p.get("tag-" + s.dataset.tag) || "";
      s.value = v;
      if (v) wanted[s.dataset.tag] = v;
    });
    var tbody = table.tBodies[0];
    tbody.querySelectorAll("tr.group").forEach(function (tr) { tr.remove(); });
    var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-state]"));
    var inState = Vigie.stateRows(rows, choice);
    var kept = inState.filter(function (row) {   /* a file in error has no tags: only a state hides it */
      if (row.dataset.tags === undefined) return true;
      var tags = tagsOf(row);
      return Object.keys(wanted).every(function (k) { return tags[k] === wanted[k]; });
    });
    rows.forEach(function (row) { row.hidden = kept.indexOf(row) < 0; });
    var machines = rows.filter(function (r) { return r.dataset.tags !== undefined; }).length;
    var shownMachines = kept.filter(function (r) { return r.dataset.tags !== undefined; }).length;
    document.getElementById("machine-view-count").textContent =
      Object.keys(wanted).length || choice.state ? shownMachines + " of " + machines + " machines" : "";
    if (!group) {
      kept.concat(rows.filter(function (r) { return r.hidden; })).forEach(function (r) { tbody.appendChild(r); });
      return;
    }
    var groups = {};
    kept.filter(function (r) { return r.dataset.tags !== undefined; }).forEach(function (row) {
      var value = tagsOf(row)[group] || "(no " + group + ")";
      (groups[value] = groups[value] || []).push(row);
    });
    Object.keys(groups).sort().forEach(function (value) {
      var members = groups[value];
      var down = members.filter(function (r) { return r.dataset.state === "down"; }).length;
      var head = document.createElement("tr"), th = document.createElement("th");
      head.className = "group";
      head.dataset.group = value;
      th.colSpan = 9;
      th.textContent = group + ": " + value + " — " + members.length + " machine" + (members.length > 1 ? "s" : "") +
        (down ? ", " + down + " down" : "");
      head.appendChild(th);
      tbody.appendChild(head);
      members.forEach(function (r) { tbody.appendChild(r); });
    });
    tbody.querySelectorAll("tr.config-error").forEach(function (r) { tbody.appendChild(r); });
  }

  function choose() {
    var form = document.getElementById("machine-view");
    Vigie.keepStateChoice(form);
    var p = params();
    p.delete("group");
    if (form.group && form.group.value) p.set("group", form.group.value);
    form.querySelectorAll("select[data-tag]").forEach(function (s) {
      p.delete("tag-" + s.dataset.tag);
      if (s.value) p.set("tag-" + s.dataset.tag, s.value);
    });
    history.replaceState(null, "", "?" + p.toString() + location.hash);
    apply();
  }

  function wire() {
    var form = document.getElementById("machine-view");
    if (form) form.addEventListener("change", choose);
    apply();
  }

  document.addEventListener("DOMContentLoaded", wire);
  document.addEventListener("vigie:page-updated", wire);   /* a new build, taken in place */
})();
