/* The staff log-in form: POST /api/v1/auth/login, keep the token for the live pages, go on to `next`.

   One request at a time: the button is disabled until the answer comes, and the message line keeps its
   place (it says "Đang đăng nhập…" meanwhile). Hiding it at submit moved the language links under the
   pointer, so the second click of a double-click switched language and lost the log-in. */
(function () {
  "use strict";
  const form = document.getElementById("login-form");
  if (!form) return;
  const message = document.getElementById("login-error");
  const button = form.querySelector("button[type=submit]");

  function say(text, isError) {
    message.textContent = text;
    message.classList.toggle("is-busy", !isError);
    message.hidden = false;
    if (isError) {
      button.disabled = false;  // only a refusal gives the form back; a success stays busy while leaving
      form.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (button.disabled) return;
    button.disabled = true;
    form.setAttribute("aria-busy", "true");
    say(form.dataset.busy, false);
    const body = {username: form.username.value, password: form.password.value};
    try {
      const response = await fetch("/api/v1/auth/login?lang=" + encodeURIComponent(form.dataset.lang || "vi"), {
        method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body), credentials: "same-origin"});
      const data = await response.json();
      if (!response.ok) {
        say(data.message, true);
        return;
      }
      sessionStorage.setItem("hangcho.staffToken", data.token);
      const target = form.dataset.next || "/";
      window.location.assign(target.startsWith("/") && !target.startsWith("/login") ? target : "/");
    } catch (error) {
      say(form.dataset.unreachable, true);
    }
  });
})();
