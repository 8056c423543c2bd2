/* Notifications page (admins): channels, with a "Send a test" button whose result is
   read back from the API; rules, whose steps pick channels from the existing ones; teams.
   Channels and rules have an Edit button that fills their form. Everything goes through
   the API, which checks again and has the last word. Channel URLs are never shown: the
   API answers "********", and a channel edited with its URL left empty keeps it. */
"use strict";
(function () {
  var cell = Vigie.cell;

  function message(text) { document.getElementById("notify-message").textContent = text; }
  function list(text) { return text.split(",").map(function (s) { return s.trim(); }).filter(Boolean); }
  function refusal(r) {
    return ((r.body && r.body.field) ? r.body.field + ": " : "") + ((r.body && r.body.error) || "HTTP " + r.status);
  }
  var button = Vigie.button;
  function byName(item) { return item.name; }
  function scopeText(scope) {
    return Object.keys(scope || {}).map(function (k) {
      var v = scope[k];
      return k + " " + (Array.isArray(v) ? v.join(" | ") : v);
    }).join("; ") || "everything";
  }

  var MASK = "********";   /* what the API takes for "keep the stored URL" */

  /* ---- channels */
  function loadChannels() {
    return Vigie.api("GET", "/api/notify/channel").then(function (r) {
      if (r.status !== 200) throw new Error(refusal(r));
      Vigie.rows("#channels tbody", r.body.results, "channel", byName, function (tr, c) {
        cell(tr, c.name);
        cell(tr, (c.service || "?") + " (" + c.scheme + "://)");
        cell(tr, c.team || "");
        cell(tr, c.admin ? "yes" : "");
        var actions = cell(tr, "");
        actions.className = "buttons";
        actions.appendChild(button("Send a test", "test", function () { sendTest(c.name); }));
        actions.appendChild(button("Edit", "edit", function () { editChannel(c); }));
        actions.appendChild(button("Remove", "remove", function () { remove("channel", c.name); }));
      });
      fillPickers(r.body.results.map(byName));
    });
  }

  /* The channel form, for a new channel or (editing) one that exists: its name fixed, its
     URL left empty to keep the stored one. */
  function channelMode(form, editing) {
    form.name.readOnly = editing;
    form.url.placeholder = form.url.dataset[editing ? "editPlaceholder" : "newPlaceholder"];
  }
  function editChannel(c) {
    var form = document.getElementById("channel-form");
    form.reset();
    form.name.value = c.name;
    form.team.value = c.team || "";
    form.admin.checked = !!c.admin;
    channelMode(form, true);
    message("Editing channel " + c.name + ": change what you need and save it.");
    form.scrollIntoView({ block: "nearest" });
    form.url.focus();
  }

  /* The rule form's steps: a tick box per existing channel (the ticked ones kept). */
  function fillPickers(names) {
    document.querySelectorAll("#rule-form fieldset.channel-pick").forEach(function (box) {
      var field = box.dataset.step, ticked = picked(field);
      box.querySelectorAll("label, .hint").forEach(function (n) { n.remove(); });
      if (!names.length) {
        var hint = document.createElement("span");
        hint.className = "hint";
        hint.textContent = "No channel yet: add one above.";
        box.appendChild(hint);
      }
      names.forEach(function (name) {
        var label = document.createElement("label"), input = document.createElement("input");
        input.type = "checkbox";
        input.name = field;
        input.value = name;
        input.checked = ticked.indexOf(name) >= 0;
        label.appendChild(input);
        label.appendChild(document.createTextNode(" " + name));
        box.appendChild(label);
      });
    });
  }
  function picked(field) {
    return Array.prototype.filter.call(document.querySelectorAll('#rule-form input[name="' + field + '"]'),
      function (c) { return c.checked; }).map(function (c) { return c.value; });
  }
  function pick(field, names) {
    document.querySelectorAll('#rule-form input[name="' + field + '"]').forEach(function (c) {
      c.checked = names.indexOf(c.value) >= 0;
    });
  }

  /* Queue a test message, then follow it until it is delivered or an attempt failed. */
  function sendTest(name) {
    message("Sending a test through " + name + "...");
    Vigie.api("POST", "/api/notify/channel/" + encodeURIComponent(name) + "/test").then(function (r) {
      if (r.status !== 202) { message("Refused: " + refusal(r)); return; }
      var id = r.body.message, tries = 0;
      (function follow() {
        Vigie.api("GET", "/api/notify/message/" + id).then(function (m) {
          var b = m.body || {}, last = (b.attempts || [])[b.attempts ? b.attempts.length - 1 : 0];
          if (b.state === "delivered") message("Test delivered through " + name + ": " + (last ? last.answer : ""));
          else if (last && last.ok === false) message("Test through " + name + " failed (it will be retried): " + last.answer);
          else if (++tries > 60) message("Test through " + name + " is still waiting: is the notifier running?");
          else setTimeout(follow, 1000);
        });
      })();
    });
  }

  function saveChannel(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("channel-error");
    error.textContent = "";
    var body = { name: form.name.value.trim(), url: form.url.value.trim(), admin: form.admin.checked };
    if (form.team.value.trim()) body.team = form.team.value.trim();
    if (form.name.readOnly && !body.url) body.url = MASK;
    if (!body.name || !body.url) { error.textContent = "A channel needs a name and a URL."; return; }
    Vigie.api("POST", "/api/notify/channel", body).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        message("Channel " + body.name + " saved.");
        form.reset();
        channelMode(form, false);
        loadChannels();
      } else error.textContent = refusal(r);
    });
  }

  /* ---- rules */
  function loadRules() {
    return Vigie.api("GET", "/api/notify/rule").then(function (r) {
      if (r.status !== 200) throw new Error(refusal(r));
      Vigie.rows("#rules tbody", r.body.results, "rule", byName, function (tr, rule) {
        cell(tr, rule.name + (rule.enabled ? "" : " (off)"));
        cell(tr, rule.team || "");
        var match = Object.assign({}, rule.match);
        var least = match.min_severity;
        delete match.min_severity;
        cell(tr, (least ? least + " and worse; " : "") + scopeText(match) + " [" + rule.events.join(", ") + "]");
        cell(tr, rule.steps.map(function (s) {
          return (s.after_minutes ? "after " + s.after_minutes + " min: " : "") + s.channels.join(", ");
        }).join(" → "));
        cell(tr, rule.group_wait_seconds + " s", "num");
        cell(tr, rule.repeat_minutes ? rule.repeat_minutes + " min" : "never", "num");
        var actions = cell(tr, "");
        actions.className = "buttons";
        actions.appendChild(button("Edit", "edit", function () { editRule(rule); }));
        actions.appendChild(button("Remove", "remove", function () { remove("rule", rule.name); }));
      });
    });
  }

  /* The rule form filled with a rule; steps past the form's two are kept as they are. */
  var editing = null;
  function editRule(rule) {
    var form = document.getElementById("rule-form"), match = rule.match || {};
    form.reset();
    editing = rule;
    form.name.value = rule.name;
    form.team.value = rule.team || "";
    form.min_severity.value = match.min_severity || "";
    ["server", "provider", "application", "environment"].forEach(function (k) {
      form[k].value = (match[k] || []).join(", ");
    });
    form.querySelectorAll("input[name=events]").forEach(function (c) { c.checked = rule.events.indexOf(c.value) >= 0; });
    pick("channels1", rule.steps[0].channels);
    pick("channels2", rule.steps[1] ? rule.steps[1].channels : []);
    form.after2.value = rule.steps[1] ? rule.steps[1].after_minutes : "";
    form.group_wait_seconds.value = rule.group_wait_seconds;
    form.repeat_minutes.value = rule.repeat_minutes;
    message("Editing rule " + rule.name + ": change what you need and save it" +
      (rule.steps.length > 2 ? " (its steps after the second are kept as they are)." : "."));
    form.scrollIntoView({ block: "nearest" });
  }

  function saveRule(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("rule-error");
    error.textContent = "";
    var match = {};
    if (form.min_severity.value) match.min_severity = form.min_severity.value;
    ["server", "provider", "application", "environment"].forEach(function (k) {
      if (list(form[k].value).length) match[k] = list(form[k].value);
    });
    var steps = [{ channels: picked("channels1") }];
    if (picked("channels2").length)
      steps.push({ after_minutes: Number(form.after2.value || 15), channels: picked("channels2") });
    var same = editing && editing.name === form.name.value.trim();
    if (same && steps.length === 2) steps = steps.concat(editing.steps.slice(2));
    var body = {
      name: form.name.value.trim(), match: match, steps: steps,
      events: Array.prototype.filter.call(form.querySelectorAll("input[name=events]"), function (c) { return c.checked; })
        .map(function (c) { return c.value; }),
      group_wait_seconds: Number(form.group_wait_seconds.value || 0),
      repeat_minutes: Number(form.repeat_minutes.value || 0)
    };
    if (form.team.value.trim()) body.team = form.team.value.trim();
    if (same) body.enabled = editing.enabled;
    Vigie.api("POST", "/api/notify/rule", body).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        message("Rule " + body.name + " saved.");
        form.reset();
        editing = null;
        loadRules();
      } else error.textContent = refusal(r);
    });
  }

  /* ---- teams */
  function loadTeams() {
    return Vigie.api("GET", "/api/team").then(function (r) {
      if (r.status !== 200) throw new Error(refusal(r));
      Vigie.rows("#teams tbody", r.body.results, "team", byName, function (tr, team) {
        cell(tr, team.name);
        cell(tr, scopeText(team.scope));
        cell(tr, team.members.join(", "));
        cell(tr, "").appendChild(button("Remove", "remove", function () { remove("team", team.name); }));
      });
    });
  }

  function saveTeam(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("team-error");
    error.textContent = "";
    var scope = {};
    ["provider", "application", "environment", "server"].forEach(function (k) {
      if (list(form[k].value).length) scope[k] = list(form[k].value);
    });
    var body = { name: form.name.value.trim(), scope: scope, members: list(form.members.value) };
    Vigie.api("POST", "/api/team", body).then(function (r) {
      if (r.status === 200 || r.status === 201) {
        message("Team " + body.name + " saved.");
        form.reset();
        loadTeams();
      } else error.textContent = refusal(r);
    });
  }

  function remove(kind, name) {
    if (!window.confirm("Remove " + kind + " " + name + "?")) return;
    var path = kind === "team" ? "/api/team/" : "/api/notify/" + kind + "/";
    Vigie.api("DELETE", path + encodeURIComponent(name)).then(function (r) {
      message(r.status === 204 ? kind + " " + name + " removed." : "Refused: " + refusal(r));
      loadAll();
    });
  }

  function loadAll() {
    return Promise.all([loadChannels(), loadRules(), loadTeams()])
      .catch(function (err) { message("Cannot load: " + err.message); });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("channel-form").addEventListener("submit", saveChannel);
    document.getElementById("rule-form").addEventListener("submit", saveRule);
    document.getElementById("team-form").addEventListener("submit", saveTeam);
    Vigie.me.then(function (who) {
      if (Vigie.can(who, "admin")) loadAll();
      else if (who.state === "offline") Vigie.notice("The API cannot be reached: notifications are managed through it.");
      else Vigie.notice("Notifications are managed by admins: log in as an admin.");
    });
  });
})();
