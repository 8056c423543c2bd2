/* Users page (admins): the users, their roles; add one, change a role, reset a
   password, end a user's browser sessions, remove a user. The API checks again. */
"use strict";
(function () {
  var RULES = { roles: ["viewer", "operator", "admin"], password_min: 8 };   /* until the API's arrive */
  var who = null;

  function message(text) { document.getElementById("users-message").textContent = text; }

  /* An API refusal in the page's words. */
  function refusal(r, doing) {
    if (r.status === 401) return "Your session has ended: log in again.";
    if (r.status === 403) return "Only an admin can " + doing + ".";
    return "Cannot " + doing + ": " + ((r.body && r.body.error) || "the server answered " + r.status) + ".";
  }

  var button = Vigie.button;

  function roleSelect(user) {
    var select = document.createElement("select");
    select.className = "role";
    select.setAttribute("aria-label", "Role of " + user.username);
    RULES.roles.forEach(function (role) {
      var option = document.createElement("option");
      option.textContent = role;
      option.selected = role === user.role;
      select.appendChild(option);
    });
    select.disabled = user.username === who.username;   // an admin's own role is changed by another admin
    select.addEventListener("change", function () {
      var role = select.value;
      Vigie.api("PATCH", "/api/user/" + encodeURIComponent(user.username), { role: role }).then(function (r) {
        message(r.status === 200 ? user.username + " is now " + role + "." : refusal(r, "change a role"));
        load();
      });
    });
    return select;
  }

  /* An inline form under the user's row: the new password, typed twice nowhere else. */
  function resetPassword(user, tr) {
    var open = tr.nextElementSibling;
    if (open && open.classList.contains("reset-row")) { open.remove(); return; }
    var row = document.createElement("tr"), td = document.createElement("td");
    row.className = "reset-row";
    td.colSpan = 4;
    var form = document.createElement("form");
    form.className = "inline";
    var label = document.createElement("label");
    label.textContent = "New password for " + user.username + " ";
    var input = document.createElement("input");
    input.type = "password";
    input.name = "password";
    input.autocomplete = "new-password";
    input.minLength = RULES.password_min;
    input.placeholder = "at least " + RULES.password_min + " characters";
    label.appendChild(input);
    form.appendChild(label);
    var set = document.createElement("button");
    set.type = "submit";
    set.textContent = "Set password";
    form.appendChild(set);
    form.appendChild(document.createTextNode(" Their browser sessions and tokens end."));
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (input.value.length < RULES.password_min) {
        message("Not changed: a password has at least " + RULES.password_min + " characters.");
        return;
      }
      Vigie.api("PATCH", "/api/user/" + encodeURIComponent(user.username), { password: input.value }).then(function (r) {
        message(r.status === 200 ? "Password of " + user.username + " reset; " + r.body.sessions_ended +
                " browser session(s) and " + r.body.tokens_revoked + " token(s) ended." : refusal(r, "reset a password"));
        if (r.status === 200) row.remove();
      });
    });
    td.appendChild(form);
    row.appendChild(td);
    tr.after(row);
    input.focus();
  }

  function endSessions(user) {
    Vigie.api("DELETE", "/api/user/" + encodeURIComponent(user.username) + "/sessions").then(function (r) {
      message(r.status === 200 ? user.username + ": " + r.body.sessions_ended + " browser session(s) ended."
                               : refusal(r, "end sessions"));
    });
  }

  function remove(user) {
    if (!window.confirm("Remove user " + user.username + "? Their tokens stop working.")) return;
    Vigie.api("DELETE", "/api/user/" + encodeURIComponent(user.username)).then(function (r) {
      message(r.status === 204 ? "User " + user.username + " removed." : refusal(r, "remove a user"));
      load();
    });
  }

  function show(users) {
    Vigie.rows("#users tbody", users, "user", function (user) { return user.username; }, function (tr, user) {
      var name = Vigie.cell(tr, user.username + (user.username === who.username ? " (you)" : ""));
      if (user.service) {   /* a part of Vigie uses it: the API refuses to remove it */
        var note = document.createElement("span");
        note.className = "sub service";
        note.textContent = " service account: " + user.service;
        name.appendChild(note);
      }
      Vigie.cell(tr, roleSelect(user));
      Vigie.cell(tr, Vigie.timeElement(user.created_at));
      var actions = Vigie.cell(tr, "");
      actions.className = "buttons";
      actions.appendChild(button("Reset password", "reset", function () { resetPassword(user, tr); }));
      actions.appendChild(button("End sessions", "end-sessions", function () { endSessions(user); }));
      if (user.username !== who.username && !user.service) actions.appendChild(button("Remove", "remove", function () { remove(user); }));
    });
  }

  function load() {
    return Vigie.api("GET", "/api/user").then(function (r) {
      if (r.status !== 200) { message(refusal(r, "list the users")); return; }
      show(r.body.results);
    }, function () { message("The server cannot be reached."); });
  }

  function add(event) {
    event.preventDefault();
    var form = event.target, error = document.getElementById("user-error");
    error.textContent = "";
    var user = { username: form.username.value.trim(), role: form.role.value, password: form.password.value };
    if (user.password.length < RULES.password_min) {
      error.textContent = "The password needs at least " + RULES.password_min + " characters.";
      return;
    }
    Vigie.api("POST", "/api/user", user).then(function (r) {
      if (r.status === 201) {
        message("User " + user.username + " added as " + user.role + ".");
        form.reset();
        load();
      } else if (r.status === 409) {
        error.textContent = "A user named " + user.username + " already exists.";
      } else if (r.status === 400) {
        error.textContent = Vigie.explain(r.body, { username: "User name", password: "Password", role: "Role" });
      } else {
        error.textContent = refusal(r, "add a user");
      }
    }, function () { error.textContent = "The server cannot be reached."; });
  }

  /* The rules of POST /api/user, from the API's OpenAPI document. */
  function useRules(schema) {
    var p = schema.properties || {}, form = document.getElementById("user-form");
    RULES.roles = (p.role && p.role.enum) || RULES.roles;
    RULES.password_min = (p.password && p.password.minLength) || RULES.password_min;
    RULES.username_pattern = p.username && p.username.pattern;
    form.password.minLength = RULES.password_min;
    form.password.placeholder = "at least " + RULES.password_min + " characters";
    form.role.textContent = "";
    RULES.roles.forEach(function (role) {
      var option = document.createElement("option");
      option.textContent = role;
      option.selected = role === "viewer";
      form.role.appendChild(option);
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.getElementById("user-form").addEventListener("submit", add);
    Vigie.me.then(function (w) {
      who = w;
      if (Vigie.can(w, "admin")) Vigie.rules("NewUser").then(useRules).then(load);
      else if (w.state === "user") message("Only an admin sees and manages the users. Your own password: My account.");
      else if (w.state === "offline") Vigie.notice("The API cannot be reached: users are managed from the live site.");
      else Vigie.notice("Not logged in: log in as an admin to manage users.");
    });
  });
})();
