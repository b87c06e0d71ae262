/* The province live board: one Socket.IO connection (namespace /province, websocket), the rows of every
   site on connect ("sites"), then each site's row as its events land ("site_state"). No polling: a local
   timer only re-words "last seen N minutes ago" and marks a site silent for too long as disconnected. */
(function (global) {
  "use strict";
  const {lang, t} = global.HangChoMessages("staff-messages");
  const board = document.getElementById("province-board");
  const staleMs = Number(board.dataset.staleS || 45) * 1000;
  const tbody = document.querySelector("#sites-table tbody");
  const labels = Array.from(document.querySelectorAll("#sites-table thead th")).map((th) => th.textContent.trim());
  const sites = new Map();
  let sortKey = "name";
  let sortDescending = false;

  const numbers = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB");

  function isConnected(site) {
    if (!site.connected || !site.last_seen_at) return false;
    return Date.now() - Date.parse(site.last_seen_at) <= staleMs;
  }

  function lastSeen(site) {
    if (!site.last_seen_at) return t("never_seen");
    const minutes = Math.floor((Date.now() - Date.parse(site.last_seen_at)) / 60000);
    if (minutes < 1) return t("last_seen_now");
    if (minutes < 120) return t("last_seen_minutes", {minutes});
    const hours = Math.floor(minutes / 60);
    if (hours < 48) return t("last_seen_hours", {hours});
    return t("last_seen_days", {days: Math.floor(hours / 24)});
  }

  function sortValue(site, key) {
    if (key === "connected") return isConnected(site) ? 1 : 0;
    // Overdue items weigh more than open ones: a site with one overdue action sorts above two fresh items.
    if (key === "red_items_open") return (site.red_items_overdue || 0) * 1000 + (site.red_items_open || 0);
    if (key === "name") return site.name.toLocaleLowerCase(lang);
    const value = site[key];
    return value === null || value === undefined ? -1 : value;
  }

  function cell(row, label, className, content) {
    const td = document.createElement("td");
    td.dataset.label = label;
    if (className) td.className = className;
    if (content instanceof Node) td.appendChild(content); else td.textContent = content;
    row.appendChild(td);
    return td;
  }

  function dateText(iso) {
    const parts = String(iso || "").split("-");
    return parts.length === 3 ? parts[2] + "/" + parts[1] + "/" + parts[0] : String(iso || "");
  }

  function redItemText(item) {
    const state = item.due ? t("red_due", {date: dateText(item.due)}) : t("red_no_action");
    return t("kind_" + item.kind) + " · " + t("red_week", {date: dateText(item.week_start)}) + " · " + state;
  }

  // The open red items of the site's leader's board: the count (and how many are overdue), the worst
  // item's label under it, every item in the tooltip.
  function redItems(site) {
    const box = document.createElement("div");
    const items = site.red_items || [];
    const count = document.createElement("span");
    count.className = "red-count";
    count.textContent = numbers.format(site.red_items_open || 0);
    box.appendChild(count);
    if (site.red_items_overdue) {
      const overdue = document.createElement("span");
      overdue.className = "red-overdue";
      overdue.textContent = t("red_overdue", {count: numbers.format(site.red_items_overdue)});
      box.appendChild(overdue);
    }
    if (items.length) {
      const first = document.createElement("span");
      first.className = "red-first";
      first.textContent = t("kind_" + items[0].kind) + (items.length > 1 ? " · " + t("red_more", {count: items.length - 1}) : "");
      box.appendChild(first);
      box.title = items.map(redItemText).join("\n");
    }
    return box;
  }

  function rowFor(site) {
    const online = isConnected(site);
    const row = document.createElement("tr");
    row.dataset.siteId = site.id;
    row.dataset.connected = online ? "yes" : "no";
    row.className = online ? "" : "site-offline";
    const name = document.createElement("div");
    const link = document.createElement("a");
    link.className = "site-link";
    link.href = "/province/sites/" + site.id;
    link.textContent = site.name;
    name.appendChild(link);
    if (site.site_name && site.site_name !== site.name) {
      /* The registered name is the province's official one; the site's own name, as it calls itself, beside it. */
      const own = document.createElement("span");
      own.className = "site-own-name";
      own.textContent = t("own_name", {name: site.site_name});
      name.appendChild(own);
    }
    if (site.demo) {
      const tag = document.createElement("span");
      tag.className = "demo-tag";
      tag.textContent = t("demo");
      name.appendChild(tag);
    }
    const code = document.createElement("span");
    code.className = "site-code";
    code.textContent = site.code;
    name.appendChild(code);
    cell(row, labels[0], "site-cell", name);
    const state = document.createElement("div");
    const badge = document.createElement("span");
    badge.className = "link-state " + (online ? "is-on" : "is-off");
    badge.textContent = online ? t("connected") : t("disconnected");
    state.appendChild(badge);
    const seen = document.createElement("span");
    seen.className = "last-seen";
    seen.textContent = online ? (site.lag_events ? t("lag", {count: numbers.format(site.lag_events)}) : "") : lastSeen(site);
    state.appendChild(seen);
    cell(row, labels[1], "link-cell", state);
    cell(row, labels[2], "num waiting-cell", numbers.format(site.waiting));
    cell(row, labels[3], "num", site.waiting ? t("minutes_short", {minutes: Math.floor(site.longest_wait_s / 60)}) : "–");
    cell(row, labels[4], "num", numbers.format(site.counters_open));
    cell(row, labels[5], "num issued-cell", numbers.format(site.issued_today));
    cell(row, labels[6], "num", numbers.format(site.served_today));
    cell(row, labels[7], "num", numbers.format(site.ratings_today));
    cell(row, labels[8], "num", site.satisfaction_today === null ? "–" : numbers.format(site.satisfaction_today) + " %");
    cell(row, labels[9], "num alerts-cell" + (site.open_alerts ? " has-alerts" : ""), numbers.format(site.open_alerts));
    cell(row, labels[10], "red-cell" + (site.red_items_open ? " has-red" : ""), redItems(site));
    return row;
  }

  function render(flashId) {
    const list = Array.from(sites.values());
    list.sort((a, b) => {
      const x = sortValue(a, sortKey), y = sortValue(b, sortKey);
      const order = x < y ? -1 : x > y ? 1 : a.name.localeCompare(b.name, lang);
      return sortDescending ? -order : order;
    });
    const rows = list.map((site) => {
      const row = rowFor(site);
      if (site.id === flashId) row.classList.add("site-flash");
      return row;
    });
    tbody.replaceChildren(...rows);
    document.getElementById("sites-empty").hidden = list.length > 0;
    const connected = list.filter(isConnected).length;
    const waiting = list.reduce((sum, site) => sum + (site.waiting || 0), 0);
    document.getElementById("province-summary").textContent =
      t("sites_summary", {total: numbers.format(list.length), connected: numbers.format(connected), waiting: numbers.format(waiting)});
    document.querySelectorAll("#sites-table .sort").forEach((button) => {
      if (button.dataset.sort === sortKey) button.setAttribute("aria-sort", sortDescending ? "descending" : "ascending");
      else button.removeAttribute("aria-sort");
    });
  }

  document.querySelectorAll("#sites-table .sort").forEach((button) => {
    button.addEventListener("click", () => {
      const key = button.dataset.sort;
      if (key === sortKey) sortDescending = !sortDescending;
      else { sortKey = key; sortDescending = key !== "name"; }
      render();
    });
  });

  const mark = document.createElement("div");
  mark.className = "hc-connection";
  mark.setAttribute("role", "status");
  mark.textContent = t("offline");
  mark.hidden = true;
  document.body.appendChild(mark);

  async function token(refresh) {
    let value = refresh ? null : global.sessionStorage.getItem("hangcho.staffToken");
    if (value) return value;
    const response = await fetch("/province/token", {credentials: "same-origin", headers: {Accept: "application/json"}});
    if (!response.ok) {
      global.location.assign("/login?next=" + encodeURIComponent(global.location.pathname));
      return null;
    }
    value = (await response.json()).token;
    global.sessionStorage.setItem("hangcho.staffToken", value);
    return value;
  }

  async function start() {
    const auth = {token: await token(false)};
    const socket = global.io("/province", {transports: ["websocket"], auth, reconnectionDelayMax: 5000});
    socket.on("connect", () => { mark.hidden = true; document.documentElement.dataset.connected = "yes"; });
    socket.on("disconnect", () => { mark.hidden = false; document.documentElement.dataset.connected = "no"; });
    socket.on("connect_error", async (error) => {
      mark.hidden = false;
      if (error && error.data && error.data.error === "not_authenticated") auth.token = await token(true);
    });
    socket.on("sites", (data) => {
      sites.clear();
      (data.sites || []).forEach((site) => sites.set(site.id, site));
      render();
      document.documentElement.dataset.ready = "yes";
    });
    socket.on("site_state", (site) => {
      sites.set(site.id, site);
      render(site.id);
    });
  }

  global.setInterval(() => render(), 30000);
  start();
})(window);
