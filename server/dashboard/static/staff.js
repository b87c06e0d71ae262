/* Shared helpers of the staff pages (dashboard, reports, admin): messages from the page's catalogue,
   the staff token for the API and Socket.IO, and formatting of numbers, durations and times. */
(function (global) {
  "use strict";
  const lang = document.documentElement.lang === "en" ? "en" : "vi";
  const messages = document.getElementById("staff-messages");
  const catalogue = messages ? JSON.parse(messages.textContent) : {};

  /* t("key", {name: value}) → the message in the page's language with %(name)s filled in. */
  function t(key, params) {
    const text = (catalogue[lang] && catalogue[lang][key]) || (catalogue.vi && catalogue.vi[key]) || key;
    return fill(text, params);
  }

  function fill(text, params) {
    if (!params) return text;
    return text.replace(/%\((\w+)\)s/g, (match, name) => (name in params && params[name] !== null && params[name] !== undefined ? String(params[name]) : match));
  }

  /* The staff token of this tab: kept by /login in sessionStorage, or fetched with the session cookie. */
  async function staffToken(refresh) {
    let token = refresh ? null : global.sessionStorage.getItem("hangcho.staffToken");
    if (token) return token;
    const response = await fetch("/dashboard/token", {credentials: "same-origin", headers: {"Accept": "application/json"}});
    if (!response.ok) { goToLogin(); return null; }
    token = (await response.json()).token;
    if (token) global.sessionStorage.setItem("hangcho.staffToken", token);
    return token;
  }

  function goToLogin() {
    global.sessionStorage.removeItem("hangcho.staffToken");
    global.location.assign("/login?next=" + encodeURIComponent(global.location.pathname + global.location.search));
  }

  async function api(method, path, body) {
    const token = await staffToken();
    const answer = await global.HangChoLive.api(method, path, body, token);
    if (answer.status === 401) goToLogin();
    return answer;
  }

  const numberFormat = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB");
  function number(value) { return value === null || value === undefined ? "–" : numberFormat.format(value); }

  /* 75 → "1:15", 3725 → "1:02:05" */
  function duration(seconds) {
    if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return "–";
    const total = Math.max(0, Math.round(seconds));
    const hours = Math.floor(total / 3600), minutes = Math.floor((total % 3600) / 60), rest = total % 60;
    const two = (n) => String(n).padStart(2, "0");
    return hours ? `${hours}:${two(minutes)}:${two(rest)}` : `${minutes}:${two(rest)}`;
  }

  function percent(fraction) {
    return fraction === null || fraction === undefined ? "–" : `${numberFormat.format(Math.round(fraction * 1000) / 10)} %`;
  }

  function element(tag, attributes, ...children) {
    const node = document.createElement(tag);
    for (const [name, value] of Object.entries(attributes || {})) {
      if (value === null || value === undefined || value === false) continue;
      if (name === "class") node.className = value;
      else if (name === "text") node.textContent = value;
      else if (name.startsWith("on")) node.addEventListener(name.slice(2), value);
      else node.setAttribute(name, value === true ? "" : value);
    }
    for (const child of children.flat()) {
      if (child === null || child === undefined || child === false) continue;
      node.append(child instanceof Node ? child : document.createTextNode(String(child)));
    }
    return node;
  }

  /* The staff bar's "Log out": revokes the token (bearer, or the cookie with the page's CSRF token). */
  const logoutButton = document.getElementById("logout-button");
  if (logoutButton) {
    logoutButton.addEventListener("click", async () => {
      const token = global.sessionStorage.getItem("hangcho.staffToken");
      try { await global.HangChoLive.api("POST", "/auth/logout", undefined, token); } catch (ignored) { /* leave anyway */ }
      global.sessionStorage.removeItem("hangcho.staffToken");
      global.location.assign("/login?next=" + encodeURIComponent(global.location.pathname));
    });
  }

  global.HangChoStaff = {lang, t, fill, staffToken, goToLogin, api, number, duration, percent, element};
})(window);
