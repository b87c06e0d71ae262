/* The citizens' /wait page: one public Socket.IO connection (namespace /wait, websocket): every centre's
   waits on connect ("wait_times"), then one centre's row whenever it changes ("site_waits"). No polling:
   a local timer only marks a centre silent for too long as not connected. */
(function (global) {
  "use strict";
  const {lang, t} = global.HangChoMessages("wait-messages");
  const page = document.getElementById("wait-page");
  const staleMs = Number(page.dataset.staleS || 45) * 1000;
  const select = document.getElementById("field-select");
  const list = document.getElementById("wait-list");
  const empty = document.getElementById("wait-empty");
  const status = document.getElementById("wait-status");
  const sites = new Map();
  const STORAGE_KEY = "hangcho-wait-field";
  // Times in the province's own zone, whatever the phone's (a visitor's phone may still be on another zone).
  const times = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB",
    {hour: "2-digit", minute: "2-digit", timeZone: page.dataset.timezone || "Asia/Ho_Chi_Minh"});


  let skewMs = 0;  // the phone's clock minus the server's (a phone's clock may be minutes off)

  function isConnected(site) {
    if (!site.connected || !site.updated_at) return false;
    return Date.now() - skewMs - Date.parse(site.updated_at) <= staleMs;
  }

  /* A field reported by a centre but missing from the list (no province catalogue): offer it too. */
  function offer(field) {
    if (Array.from(select.options).some((option) => option.value === field.code)) return;
    const option = document.createElement("option");
    option.value = field.code;
    option.textContent = field.name;
    select.appendChild(option);
  }

  function entries(code) {
    const found = [];
    sites.forEach((site) => {
      const field = site.fields.find((item) => item.code === code);
      if (field) found.push({site, field, online: isConnected(site)});
    });
    const serving = (entry) => (entry.online && entry.field.counters_serving > 0 ? 0 : entry.online ? 1 : 2);
    found.sort((a, b) => serving(a) - serving(b) || a.field.estimated_wait_s - b.field.estimated_wait_s
      || a.field.waiting - b.field.waiting || a.site.name.localeCompare(b.site.name, lang));
    return found;
  }

  function line(className, text) {
    const element = document.createElement("div");
    element.className = className;
    element.textContent = text;
    return element;
  }

  function card(entry, best) {
    const item = document.createElement("li");
    item.className = "wait-card" + (best ? " is-best" : "") + (entry.online ? "" : " is-offline");
    item.dataset.siteCode = entry.site.code;
    item.dataset.connected = entry.online ? "yes" : "no";
    if (best) item.appendChild(line("wait-best", t("shortest")));
    item.appendChild(line("wait-site", entry.site.name));
    const wait = entry.field.estimated_wait_s;
    const serving = entry.field.counters_serving > 0;
    item.appendChild(line("wait-figure", !serving ? "—" : wait > 0 ? t("minutes", {minutes: Math.round(wait / 60)}) : t("no_wait")));
    const details = [t("waiting", {count: entry.field.waiting})];
    const counters = entry.field.counters_serving;
    details.push(!serving ? t("no_counter") : counters === 1 ? t("counter_one") : t("counters", {count: counters}));
    item.appendChild(line("wait-detail", details.join(" · ")));
    if (!entry.online) {
      const when = entry.site.updated_at ? times.format(new Date(entry.site.updated_at)) : "";
      item.appendChild(line("wait-offline", when ? t("disconnected", {time: when}) : t("never")));
    }
    return item;
  }

  function render() {
    const code = select.value;
    list.replaceChildren();
    if (!code) { empty.hidden = true; return; }
    const found = entries(code);
    found.forEach((entry, index) => {
      list.appendChild(card(entry, index === 0 && entry.online && entry.field.counters_serving > 0));
    });
    empty.hidden = found.length > 0;
  }

  function remember(site) {
    sites.set(site.site_id, site);
    site.fields.forEach(offer);
  }

  const params = new URLSearchParams(global.location.search);
  let stored = null;
  try { stored = global.localStorage.getItem(STORAGE_KEY); } catch (e) { stored = null; }
  const wanted = params.get("field") || stored;

  function choose() {
    if (wanted && !select.value && Array.from(select.options).some((option) => option.value === wanted)) {
      select.value = wanted;
    }
  }

  select.addEventListener("change", () => {
    try { global.localStorage.setItem(STORAGE_KEY, select.value); } catch (e) { /* private mode */ }
    render();
  });

  const socket = global.io("/wait", {transports: ["websocket"]});
  socket.on("wait_times", (data) => {
    if (data.server_time) skewMs = Date.now() - Date.parse(data.server_time);
    sites.clear();
    (data.sites || []).forEach(remember);
    choose();
    status.textContent = "";
    render();
    document.documentElement.dataset.ready = "yes";
  });
  socket.on("site_waits", (site) => {
    remember(site);
    choose();
    render();
  });
  socket.on("disconnect", () => { status.textContent = t("offline"); });
  socket.on("connect", () => { status.textContent = ""; });
  choose();
  global.setInterval(render, 30000);
})(window);
