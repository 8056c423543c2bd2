/* My account: who I am, and changing my own password (POST /api/me/password). */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("password-form");
  var error = document.getElementById("password-error"), done = document.getElementById("password-done");
  Vigie.me.then(function (who) {
    var line = document.getElementById("account-who");
    if (who.state === "user") {
      line.textContent = "Logged in as " + who.username + " (" + who.role + ").";
      form.username.value = who.username;
    } else if (who.state === "offline") {
      Vigie.notice("The API cannot be reached: the password is changed from the live site.");
    } else {
      Vigie.notice("Not logged in: log in to change your password.");
    }
  });
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = done.textContent = "";
    if (form.new.value !== form.again.value) { error.textContent = "The two new passwords differ."; return; }
    Vigie.api("POST", "/api/me/password", { current: form.current.value, new: form.new.value }).then(function (r) {
      if (r.status === 200) {
        done.textContent = "Password changed. " + (r.body.sessions_ended ? r.body.sessions_ended +
          " other browser session(s) ended. " : "") + (r.body.tokens_revoked ? r.body.tokens_revoked +
          " token(s) revoked: scripts need new ones." : "");
        form.reset();
      } else if (r.status === 403 && r.body && r.body.field === "current") {
        error.textContent = "The current password is wrong.";
      } else if (r.status === 400 && r.body && r.body.field === "new") {
        error.textContent = Vigie.explain(r.body, { "new password": "The new password", "new": "The new password" });
      } else if (r.status === 401) {
        error.textContent = "Your session has ended: log in again.";
      } else {
        error.textContent = "Not changed: " + ((r.body && r.body.error) || "the server answered " + r.status) + ".";
      }
    }, function () { error.textContent = "The server cannot be reached."; });
  });
});
