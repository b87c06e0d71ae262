/* The log-in form posts to /login (no script needed for it to work). This only keeps it to one request at
   a time and drops a token another log-in left in this tab (the staff pages then fetch the new session's).

   The message line keeps its place and says "Đang đăng nhập…" while the request runs: hiding it at submit
   moved the language links under the pointer, so the second click of a double-click switched language. */
(function () {
  "use strict";
  const form = document.getElementById("login-form");
  if (!form) return;
  const button = form.querySelector("button[type=submit]");
  const message = document.getElementById("login-error");
  form.addEventListener("submit", (event) => {
    if (button.disabled) {
      event.preventDefault();  // a double-click: the first request is on its way
      return;
    }
    window.sessionStorage.removeItem("hangcho.staffToken");
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    if (form.dataset.busy) {
      message.textContent = form.dataset.busy;
      message.classList.add("is-busy");
      message.hidden = false;
    }
  });
})();
