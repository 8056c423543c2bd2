/* The login form: POST /api/login, then back to where the user came from. */
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  var form = document.getElementById("login-form");
  var error = document.getElementById("login-error");
  Vigie.me.then(function (who) {
    if (who.state === "offline") {
      Vigie.notice("The API cannot be reached from this copy of the site: logging in is not possible here.");
      form.querySelector("button").disabled = true;
    }
  });
  var params = new URLSearchParams(location.search);
  function target() {
    /* only a page of this site: the URL the browser would go to must keep this origin
       (a browser drops tabs and reads "\\" as "/", so "/\\evil" would leave it) */
    var next = params.get("next") || "";
    if (next.charAt(0) === "/") {
      var url = new URL(next, location.href);
      if (url.origin === location.origin) return url.pathname + url.search + url.hash;
    }
    return Vigie.root + "index.html";
  }
  form.next.value = target();
  if (params.get("failed")) error.textContent = params.get("failed") === "throttled" ?
    "Too many failed logins: try again in a few minutes." : "Wrong user name or password.";
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    error.textContent = "";
    Vigie.api("POST", "/api/login", { username: form.username.value, password: form.password.value }).then(function (r) {
      if (r.status === 200) { location.href = target(); return; }
      error.textContent = (r.body && r.body.error) || ("Login failed (HTTP " + r.status + ")");
    }, function () { error.textContent = "The API cannot be reached."; });
  });
});
