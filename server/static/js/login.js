/* The log-in form posts to /login (no script needed). A token another log-in left in this tab is
   dropped first, so the staff pages fetch the new session's token instead of trying the old one. */
(function () {
  "use strict";
  document.getElementById("login-form").addEventListener("submit", () => {
    window.sessionStorage.removeItem("hangcho.staffToken");
  });
})();
