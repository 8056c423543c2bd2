/* Dashboard: the machines grouped by one tag and filtered by tags, the choice kept in
   the address (?group=environment&tag-environment=prod), and kept when the page takes
   a new build in place (common.js). */
"use strict";
(function () {
  function params() { return new URLSearchParams(location.search); }

  function tagsOf(row) {
    try { return JSON.parse(row.dataset.tags || "{}"); } catch (e) { return {}; }
  }

  function apply() {
    var form = document.getElementById("machine-view"), table = document.getElementById("machines");
    if (!form || !table) return;
    var p = params(), group = p.get("group") || "", wanted = {};
    form.group.value = group;
    form.querySelectorAll("select[data-tag]").forEach(function (s) {
      var v = p.get("tag-" + s.dataset.tag) || "";
      s.value = v;
      if (v) wanted[s.dataset.tag] = v;
    });
    var tbody = table.tBodies[0];
    tbody.querySelectorAll("tr.group").forEach(function (tr) { tr.remove(); });
    var rows = Array.prototype.slice.call(tbody.querySelectorAll("tr[data-tags]")), shown = 0;
    rows.forEach(function (row) {
      var tags = tagsOf(row);
      var keep = Object.keys(wanted).every(function (k) { return tags[k] === wanted[k]; });
      row.hidden = !keep;
      if (keep) shown++;
    });
    document.getElementById("machine-view-count").textContent =
      Object.keys(wanted).length ? shown + " of " + rows.length + " machines" : "";
    if (!group) return;
    var groups = {};
    rows.forEach(function (row) {
      var value = tagsOf(row)[group] || "(no " + group + ")";
      (groups[value] = groups[value] || []).push(row);
    });
    Object.keys(groups).sort().forEach(function (value) {
      var members = groups[value].filter(function (r) { return !r.hidden; });
      if (!members.length) return;
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
    var form = document.getElementById("machine-view"), p = params();
    p.delete("group");
    if (form.group.value) p.set("group", form.group.value);
    form.querySelectorAll("select[data-tag]").forEach(function (s) {
      p.delete("tag-" + s.dataset.tag);
      if (s.value) p.set("tag-" + s.dataset.tag, s.value);
    });
    history.replaceState(null, "", "?" + p.toString());
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
