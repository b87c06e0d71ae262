/* The dashboard's "link to the province server" panel: GET /api/v1/uplink now and every 15 s. The
   link's health lives in the database (the uplink may run in another server process), so it is read,
   not pushed; the queue's own live data still comes only over Socket.IO. */
(function (global) {
  "use strict";
  const lang = document.documentElement.lang === "en" ? "en" : "vi";
  const catalogue = JSON.parse(document.getElementById("uplink-messages").textContent);
  const status = document.getElementById("uplink-status");
  const note = document.getElementById("uplink-note");

  function t(key, params) {
    const text = (catalogue[lang] && catalogue[lang][key]) || catalogue.vi[key] || key;
    return params ? text.replace(/%\((\w+)\)s/g, (m, name) => (name in params ? String(params[name]) : m)) : text;
  }

  async function refresh() {
    const token = await global.HangChoStaff.staffToken();
    const response = await fetch("/api/v1/uplink", {headers: {Authorization: "Bearer " + token, Accept: "application/json"}});
    if (!response.ok) return;
    const health = await response.json();
    let text;
    let state;
    if (!health.enabled) { text = t("disabled"); state = "disabled"; }
    else if (health.connected && health.last_error) { text = t("refused", {error: health.last_error}); state = "refused"; }
    else if (health.connected) {
      text = health.lag_events ? t("behind", {count: health.lag_events}) : t("current");
      state = health.lag_events ? "behind" : "current";
    } else {
      text = t("down", {count: health.lag_events, minutes: Math.floor(health.lag_s / 60)});
      state = "down";
    }
    status.textContent = text;
    status.dataset.state = state;
    status.className = state === "down" || state === "refused" ? "error-text" : "muted";
    note.hidden = state !== "down";
  }

  refresh();
  global.setInterval(refresh, 15000);
})(window);
