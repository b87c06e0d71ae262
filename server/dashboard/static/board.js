/* The supervisors' live board: everything comes from the Socket.IO snapshot and the events after it
   (no polling). Timers tick locally from the server's clock offset. */
(function () {
  "use strict";
  const {t, fill, staffToken, goToLogin, api, number, duration, element} = window.HangChoStaff;
  const root = document.getElementById("dashboard");
  const canAct = root.dataset.canAct === "yes";
  const state = {
    site: null, timezone: "Asia/Ho_Chi_Minh", services: [], counters: new Map(), devices: new Map(),
    alerts: [], waiting: new Map(), waitingCounts: {}, today: null, serverOffset: 0, notice: "", buttons: [],
  };
  const charts = {};

  // ------------------------------------------------------------------ time helpers

  function now() { return Date.now() + state.serverOffset; }
  function hourOf(iso) {
    if (!iso) return null;
    const text = new Intl.DateTimeFormat("en-GB", {timeZone: state.timezone, hour: "2-digit", hourCycle: "h23"}).format(new Date(iso));
    return parseInt(text, 10) % 24;
  }
  function clockText(iso) {
    return new Intl.DateTimeFormat(window.HangChoStaff.lang === "vi" ? "vi-VN" : "en-GB",
      {timeZone: state.timezone, hour: "2-digit", minute: "2-digit"}).format(iso ? new Date(iso) : new Date(now()));
  }
  function secondsBetween(laterIso, earlierIso) { return (new Date(laterIso) - new Date(earlierIso)) / 1000; }

  // ------------------------------------------------------------------ snapshot

  function applySnapshot(snapshot) {
    state.serverOffset = new Date(snapshot.server_time).getTime() - Date.now();
    state.site = snapshot.site;
    state.timezone = (snapshot.site && snapshot.site.timezone) || state.timezone;
    state.services = snapshot.services || [];
    state.waitingCounts = Object.fromEntries(state.services.map((s) => [String(s.id), s.waiting]));
    state.counters = new Map((snapshot.counters || []).map((c) => [c.id, c]));
    state.devices = new Map((snapshot.devices || []).map((d) => [d.id, d]));
    state.alerts = snapshot.alerts || [];
    state.waiting = new Map((snapshot.waiting_tickets || []).map((w) => [w.id, w]));
    state.today = snapshot.today;
    state.notice = snapshot.notice || "";
    state.buttons = snapshot.rating_buttons || [];
    document.getElementById("site-name").textContent = snapshot.site ? snapshot.site.centre_name : "";
    document.getElementById("site-line").textContent = snapshot.site ? `${snapshot.site.label} · ${snapshot.site.name}` : "";
    renderAll();
    loadComments();
    loadFlags();
  }

  // ------------------------------------------------------------------ citizens' comments

  const COMMENT_DAYS = 7;
  let commentsLoading = null;

  /* The site's local date `daysBack` days before now, as YYYY-MM-DD (en-CA formats dates that way). */
  function localDate(daysBack) {
    return new Intl.DateTimeFormat("en-CA", {timeZone: state.timezone, year: "numeric", month: "2-digit", day: "2-digit"})
      .format(new Date(now() - daysBack * 86400000));
  }

  /* Comments are read from the report API (not kept in the snapshot); a new rating reloads them. */
  function loadComments() {
    if (commentsLoading) return commentsLoading;
    const query = `from=${localDate(COMMENT_DAYS - 1)}&to=${localDate(0)}&limit=20`;
    commentsLoading = api("GET", `/reports/comments?${query}`).then((answer) => {
      commentsLoading = null;
      renderComments(answer.ok ? answer.data.comments : null, answer.ok ? "" : (answer.data && answer.data.message) || String(answer.status));
    });
    return commentsLoading;
  }

  /* Today's rating flags (read from the API, like the comments; a new rating reloads them): the ratings
     figure is shown with and without the flagged ratings (docs/ratings.md). */
  let flagsLoading = null;
  let flagged = new Map();  // rating id → score
  function loadFlags() {
    if (flagsLoading) return flagsLoading;
    flagsLoading = api("GET", `/ratings/flags?from=${localDate(0)}&to=${localDate(0)}`).then((answer) => {
      flagsLoading = null;
      if (!answer.ok) return;
      flagged = new Map(answer.data.map((flag) => [flag.rating_id, flag.score]));
      renderKpis();
    });
    return flagsLoading;
  }

  function renderComments(comments, problem) {
    const list = document.getElementById("comment-list");
    const empty = document.getElementById("comments-empty");
    list.replaceChildren();
    empty.hidden = !comments || comments.length > 0;
    if (!comments) {
      list.append(element("li", {class: "comment-item muted"}, t("comments_failed", {message: problem})));
      return;
    }
    for (const comment of comments) {
      const where = [
        t("comment_ticket", {number: comment.number}),
        window.HangChoStaff.lang === "en" && comment.service_name_en ? comment.service_name_en : comment.service_name,
        comment.counter_number ? t("comment_counter", {number: comment.counter_number}) : t("comment_no_counter"),
        comment.clerk_name,
      ].filter(Boolean).join(" · ");
      const low = comment.score <= 3;
      list.append(element("li", {class: "comment-item", "data-rating-id": comment.rating_id},
        element("div", {class: "comment-head"},
          element("span", {class: `comment-score score-${comment.score}${low ? " is-low" : ""}`},
            t("comment_score", {score: comment.score, label: t(`score_${comment.score}`)})),
          element("span", {class: "comment-where"}, where),
          element("time", {class: "comment-time muted", datetime: comment.created_at}, commentTime(comment.created_at))),
        comment.reason_labels.length ? element("p", {class: "comment-reasons"}, comment.reason_labels.join(" · ")) : null,
        element("blockquote", {class: "comment-text"}, comment.comment)));
    }
  }

  /* "03/12 16:43": day/month as both languages write it here, then the local time. */
  function commentTime(iso) {
    const parts = Object.fromEntries(new Intl.DateTimeFormat("en-GB", {timeZone: state.timezone, day: "2-digit", month: "2-digit"})
      .formatToParts(new Date(iso)).map((part) => [part.type, part.value]));
    return `${parts.day}/${parts.month} ${clockText(iso)}`;
  }

  function serviceFigures(serviceId) {
    const key = String(serviceId);
    if (!state.today.services[key]) state.today.services[key] = {issued: 0, served: 0, wait_sum_s: 0, wait_count: 0};
    return state.today.services[key];
  }
  function counterFigures(counterId) {
    const key = String(counterId);
    if (!state.today.counters[key]) state.today.counters[key] = {served: 0, no_show: 0};
    return state.today.counters[key];
  }

  // ------------------------------------------------------------------ events

  function updateWaitingCounts(payload) {
    if (payload.waiting) Object.assign(state.waitingCounts, payload.waiting);
  }

  const handlers = {
    ticket_issued(p) {
      state.waiting.set(p.id, {id: p.id, number: p.number, service_id: p.service_id, issued_at: p.issued_at, priority_level: p.priority_level});
      serviceFigures(p.service_id).issued += 1;
      const hour = hourOf(p.issued_at);
      if (hour !== null) state.today.issued_by_hour[hour] += 1;
      updateWaitingCounts(p);
      renderFields(); renderKpis(); updateCharts();
    },
    ticket_called(p) { called(p, true); },
    ticket_recalled(p) { called(p, false); },
    ticket_started(p) {
      const counter = state.counters.get(p.counter_id);
      if (counter && counter.current_ticket && counter.current_ticket.id === p.id) {
        counter.current_ticket.status = "serving";
        counter.current_ticket.started_at = new Date(now()).toISOString();
      }
      renderCounters();
    },
    ticket_finished(p) {
      clearCounter(p);
      serviceFigures(p.service_id).served += 1;
      if (p.counter_id) counterFigures(p.counter_id).served += 1;
      renderCounters(); renderFields(); renderKpis();
    },
    ticket_skipped(p) {
      clearCounter(p);
      if (p.counter_id) counterFigures(p.counter_id).no_show += 1;
      renderCounters();
    },
    ticket_transferred(p) {
      clearCounter(p);
      state.waiting.set(p.id, {id: p.id, number: p.number, service_id: p.to_service_id || p.service_id, issued_at: p.issued_at, priority_level: p.priority_level});
      updateWaitingCounts(p);
      renderCounters(); renderFields(); renderKpis();
    },
    ticket_cancelled(p) {
      state.waiting.delete(p.id);
      updateWaitingCounts(p);
      renderFields(); renderKpis();
    },
    tickets_expired() { live.requestSnapshot(); },
    counter_status(p) {
      const counter = state.counters.get(p.counter_id);
      if (!counter) { live.requestSnapshot(); return; }
      counter.status = p.status;
      counter.pause_reason = p.pause_reason;
      counter.status_changed_at = new Date(now()).toISOString();
      counter.clerk = p.clerk_id ? {id: p.clerk_id, full_name: p.clerk_name} : null;
      renderCounters();
    },
    rating_received(p) {
      state.today.scores[String(p.score)] = (state.today.scores[String(p.score)] || 0) + 1;
      state.today.ratings += 1;
      renderKpis(); updateCharts();
      loadComments();
      loadFlags();
    },
    device_status(p) {
      const device = state.devices.get(p.device_id);
      if (!device) { live.requestSnapshot(); return; }
      if (p.device === `${p.kind}:${p.device_id}`) {
        device.status = p.status;
        device.status_message = p.message;
      } else {
        device.hardware = Object.assign({}, device.hardware, {[p.device]: {status: p.status, message: p.message}});
      }
      renderDevices();
    },
    alert(p) {
      state.alerts = [p, ...state.alerts.filter((a) => a.alert_id !== p.alert_id)];
      renderAlerts();
    },
    alert_acknowledged(p) {
      state.alerts = state.alerts.filter((a) => a.alert_id !== p.alert_id);
      renderAlerts();
    },
    // The situation is over by itself (the device is back, the wait is short again).
    alert_resolved(p) {
      state.alerts = state.alerts.filter((a) => a.alert_id !== p.alert_id);
      renderAlerts();
    },
    notice_changed(p) { state.notice = p.notice || ""; renderNotice(); },
    settings_changed() { live.requestSnapshot(); },
  };

  function called(p, firstCallEvent) {
    const waited = state.waiting.get(p.id);
    state.waiting.delete(p.id);
    if (firstCallEvent && p.call_count === 1 && p.issued_at && p.called_at) {
      const seconds = Math.max(0, secondsBetween(p.called_at, p.issued_at));
      const figures = serviceFigures(p.service_id);
      figures.wait_sum_s += seconds; figures.wait_count += 1;
      const hour = hourOf(p.called_at);
      if (hour !== null) { state.today.wait_sum_by_hour[hour] += seconds; state.today.wait_count_by_hour[hour] += 1; }
    }
    const counter = state.counters.get(p.counter_id);
    if (counter) {
      counter.current_ticket = {id: p.id, number: p.number, status: "called", service_id: p.service_id,
        called_at: p.called_at || new Date(now()).toISOString(), started_at: null, issued_at: p.issued_at || (waited && waited.issued_at)};
    }
    updateWaitingCounts(p);
    renderCounters(); renderFields(); renderKpis(); updateCharts();
  }

  function clearCounter(p) {
    const counter = state.counters.get(p.counter_id);
    if (counter && counter.current_ticket && counter.current_ticket.id === p.id) counter.current_ticket = null;
  }

  // ------------------------------------------------------------------ rendering

  function renderAll() {
    renderKpis(); renderFields(); renderCounters(); renderAlerts(); renderDevices(); renderNotice(); buildCharts();
  }

  function serviceName(id) {
    const service = state.services.find((s) => s.id === id);
    if (!service) return t("unknown_field", {id});
    return window.HangChoStaff.lang === "en" && service.name_en ? service.name_en : service.name;
  }

  function totals() {
    let issued = 0, served = 0, waitSum = 0, waitCount = 0;
    for (const figures of Object.values(state.today.services)) {
      issued += figures.issued; served += figures.served; waitSum += figures.wait_sum_s; waitCount += figures.wait_count;
    }
    const waiting = Object.values(state.waitingCounts).reduce((sum, n) => sum + (n || 0), 0);
    return {issued, served, waiting, averageWait: waitCount ? waitSum / waitCount : null};
  }

  function renderKpis() {
    const sums = totals();
    document.getElementById("kpi-waiting").textContent = number(sums.waiting);
    document.getElementById("kpi-issued").textContent = number(sums.issued);
    document.getElementById("kpi-served").textContent = number(sums.served);
    document.getElementById("kpi-wait").textContent = duration(sums.averageWait);
    const scores = state.today.scores;
    const count = state.today.ratings;
    const sum = Object.entries(scores).reduce((total, [score, n]) => total + Number(score) * n, 0);
    document.getElementById("kpi-ratings").textContent = count ? `${number(count)} (${(sum / count).toFixed(1)})` : "0";
    const flags = document.getElementById("kpi-ratings-flags");
    if (flags) {
      const flaggedSum = [...flagged.values()].reduce((total, score) => total + score, 0);
      const kept = count - flagged.size;
      flags.hidden = flagged.size === 0;
      flags.textContent = flagged.size ? t("flagged_today", {count: number(flagged.size),
        average: kept > 0 ? ((sum - flaggedSum) / kept).toFixed(1) : "–"}) : "";
    }
  }

  function oldestWaiting(serviceId) {
    let oldest = null;
    for (const ticket of state.waiting.values()) {
      if (ticket.service_id === serviceId && (!oldest || ticket.issued_at < oldest.issued_at)) oldest = ticket;
    }
    return oldest;
  }

  function renderFields() {
    const body = document.querySelector("#fields-table tbody");
    body.replaceChildren();
    for (const service of state.services) {
      if (!service.active && !state.waitingCounts[String(service.id)]) continue;
      const figures = state.today.services[String(service.id)] || {issued: 0, served: 0, wait_sum_s: 0, wait_count: 0};
      const waiting = state.waitingCounts[String(service.id)] || 0;
      const oldest = oldestWaiting(service.id);
      const longest = oldest
        ? element("span", {class: "timer", "data-since": oldest.issued_at, title: oldest.number}, duration((now() - new Date(oldest.issued_at)) / 1000))
        : element("span", {class: "muted"}, "–");
      const longWait = oldest && (now() - new Date(oldest.issued_at)) / 1000 > 1800;
      body.append(element("tr", {"data-service-id": service.id, class: longWait ? "row-warning" : null},
        element("th", {scope: "row"}, serviceName(service.id)),
        element("td", {class: "num waiting-count"}, number(waiting)),
        element("td", {class: "num"}, longest),
        element("td", {class: "num"}, duration(figures.wait_count ? figures.wait_sum_s / figures.wait_count : null)),
        element("td", {class: "num issued-count"}, number(figures.issued)),
        element("td", {class: "num served-count"}, number(figures.served)),
      ));
    }
  }

  function renderCounters() {
    const list = document.getElementById("counter-cards");
    list.replaceChildren();
    for (const counter of [...state.counters.values()].sort((a, b) => a.number - b.number)) {
      const ticket = counter.current_ticket;
      let activity;
      if (ticket) {
        const since = ticket.status === "serving" && ticket.started_at ? ticket.started_at : ticket.called_at;
        activity = element("p", {class: `counter-activity ${ticket.status}`},
          element("span", {class: "ticket-number"}, t(ticket.status === "serving" ? "serving" : "calling", {number: ticket.number})),
          element("span", {class: "timer", "data-since": since}, duration((now() - new Date(since)) / 1000)));
      } else {
        activity = element("p", {class: "counter-activity idle"}, t(counter.status === "open" ? "idle" : `status_${counter.status}`));
      }
      const figures = state.today.counters[String(counter.id)] || {served: 0};
      list.append(element("li", {class: `counter-card status-${counter.status}`, "data-counter-id": counter.id},
        element("div", {class: "counter-head"},
          element("h3", {}, t("counter", {number: counter.number})),
          element("span", {class: `status-badge status-${counter.status}`}, t(`status_${counter.status}`))),
        element("p", {class: "counter-clerk"}, counter.clerk ? counter.clerk.full_name : t("no_clerk")),
        counter.status === "paused" && counter.pause_reason ? element("p", {class: "muted pause-reason"}, counter.pause_reason) : null,
        activity,
        element("p", {class: "muted counter-served"}, t("served_count", {count: number(figures.served)})),
      ));
    }
  }

  function alertText(alert) {
    const template = alert.template ? t(`alert:${alert.template}`) : null;
    if (!template || template === `alert:${alert.template}`) return alert.message;
    const params = Object.assign({}, alert.params || {});
    if (params.service_id !== undefined && params.service_name === undefined) params.service_name = serviceName(params.service_id);
    if (params.service_id !== undefined) params.service_id = serviceName(params.service_id);
    if (params.status) params.status = t(`state_${params.status}`);
    if (params.error) params.error = t(`error_${params.error}`);
    if (params.device && /^[a-z-]+:\d+$/.test(params.device)) {
      const [role, id] = params.device.split(":");
      params.device = t(`role_${role}`, {id});
    }
    return fill(template, params);
  }

  async function acknowledge(alertId, button) {
    button.disabled = true;
    const answer = await api("POST", `/alerts/${alertId}/acknowledge`);
    if (!answer.ok) {
      button.disabled = false;
      button.textContent = t("failed", {message: answer.data ? answer.data.message : answer.status});
      return;
    }
    state.alerts = state.alerts.filter((a) => a.alert_id !== alertId);
    renderAlerts();
  }

  function renderAlerts() {
    const list = document.getElementById("alert-list");
    list.replaceChildren();
    for (const alert of state.alerts) {
      const button = canAct ? element("button", {class: "btn btn-secondary btn-small", type: "button"}, t("acknowledge")) : null;
      if (button) button.addEventListener("click", () => acknowledge(alert.alert_id, button));
      list.append(element("li", {class: `alert-item severity-${alert.severity}`, "data-alert-id": alert.alert_id, "data-kind": alert.kind},
        element("div", {class: "alert-body"},
          element("span", {class: "alert-kind"}, t(`alert_${alert.kind}`)),
          element("span", {class: "alert-time"}, clockText(alert.created_at)),
          element("p", {class: "alert-message"}, alertText(alert))),
        button));
    }
    const count = document.getElementById("alert-count");
    count.textContent = String(state.alerts.length);
    count.classList.toggle("is-zero", state.alerts.length === 0);
    document.getElementById("alerts-empty").hidden = state.alerts.length > 0;
  }

  function deviceStatusBadge(status) {
    const known = ["online", "offline", "paper_out", "error"].includes(status) ? status : "unknown";
    return element("span", {class: `status-badge device-${known}`}, t(`device_${known}`));
  }

  function renderDevices() {
    const list = document.getElementById("device-list");
    list.replaceChildren();
    for (const device of state.devices.values()) {
      const hardware = Object.entries(device.hardware || {}).map(([role, health]) => {
        if (role === "sound") {
          // A hall board's browser that blocks autoplay cannot call anyone aloud until someone taps it.
          const blocked = health.status === "blocked";
          return element("li", {class: "hardware-item", "data-role": role},
            element("span", {}, t("role_sound")),
            element("span", {class: `status-badge device-${blocked ? "blocked" : "online"}`},
              t(blocked ? "sound_blocked" : "sound_on")));
        }
        const [kind, id] = role.split(":");
        return element("li", {class: "hardware-item", "data-role": role},
          element("span", {}, t(`role_${kind}`, {id})), deviceStatusBadge(health.status));
      });
      list.append(element("li", {class: "device-item", "data-device-id": device.id},
        element("div", {class: "device-line"},
          element("span", {class: "device-name"}, device.name,
            element("small", {class: "muted"}, t(`kind_${device.kind}`))),
          device.revoked ? element("span", {class: "status-badge device-revoked"}, t("device_revoked")) : deviceStatusBadge(device.status)),
        hardware.length ? element("ul", {class: "hardware-list"}, hardware) : null));
    }
  }

  function renderNotice() {
    const input = document.getElementById("notice-input");
    if (input && document.activeElement !== input) input.value = state.notice;
    const text = document.getElementById("notice-text");
    if (text) text.textContent = state.notice || "–";
  }

  // ------------------------------------------------------------------ charts

  function hourRange() {
    let first = 7, last = 17;
    state.today.issued_by_hour.forEach((count, hour) => { if (count) { first = Math.min(first, hour); last = Math.max(last, hour); } });
    const range = [];
    for (let hour = first; hour <= last; hour += 1) range.push(hour);
    return range;
  }

  function chartData() {
    const hours = hourRange();
    const waits = hours.map((h) => state.today.wait_count_by_hour[h] ? Math.round(state.today.wait_sum_by_hour[h] / state.today.wait_count_by_hour[h] / 6) / 10 : null);
    return {
      labels: hours.map((h) => `${h}h`),
      issued: hours.map((h) => state.today.issued_by_hour[h]),
      waits,
      scores: [5, 4, 3, 2, 1].map((s) => state.today.scores[String(s)] || 0),
    };
  }

  function buildCharts() {
    if (!window.Chart) return;
    document.getElementById("chart-hours-title").textContent = t("tickets_per_hour");
    document.getElementById("chart-wait-title").textContent = t("wait_per_hour");
    document.getElementById("chart-ratings-title").textContent = t("rating_mix");
    const data = chartData();
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
    Chart.defaults.font.size = 16;
    Chart.defaults.color = "#111418";
    const common = {responsive: true, maintainAspectRatio: false, animation: false, plugins: {legend: {display: false}}};
    if (!charts.hours) {
      charts.hours = new Chart(document.getElementById("chart-hours"), {type: "bar",
        data: {labels: data.labels, datasets: [{label: t("tickets"), data: data.issued, backgroundColor: "#0b3d91"}]},
        options: {...common, scales: {y: {beginAtZero: true, ticks: {precision: 0}}}}});
      charts.wait = new Chart(document.getElementById("chart-wait"), {type: "line",
        data: {labels: data.labels, datasets: [{label: t("minutes"), data: data.waits, borderColor: "#8a4b00", backgroundColor: "#8a4b00", spanGaps: true, tension: 0.2, pointRadius: 4}]},
        options: {...common, scales: {y: {beginAtZero: true}}}});
      charts.ratings = new Chart(document.getElementById("chart-ratings"), {type: "bar",
        data: {labels: [5, 4, 3, 2, 1].map((s) => t(`score_${s}`)), datasets: [{label: t("rating_mix"), data: data.scores,
          backgroundColor: ["#1b6e20", "#4c8c2b", "#8a6d00", "#b35c00", "#b3261e"]}]},
        options: {...common, indexAxis: "y", scales: {x: {beginAtZero: true, ticks: {precision: 0}}}}});
    }
    updateCharts();
  }

  function updateCharts() {
    if (!charts.hours) return;
    const data = chartData();
    charts.hours.data.labels = data.labels; charts.hours.data.datasets[0].data = data.issued;
    charts.wait.data.labels = data.labels; charts.wait.data.datasets[0].data = data.waits;
    charts.ratings.data.datasets[0].data = data.scores;
    for (const chart of Object.values(charts)) chart.update("none");
    const s = state.today.scores;
    document.getElementById("official-line").textContent = t("official_summary",
      {rat: number(s["5"] || 0), hai: number(s["4"] || 0), khong: number((s["3"] || 0) + (s["2"] || 0) + (s["1"] || 0))});
  }

  // ------------------------------------------------------------------ the notice form

  const form = document.getElementById("notice-form");
  if (form) {
    const status = document.getElementById("notice-status");
    async function saveNotice(text) {
      const answer = await api("PUT", "/notice", {notice: text});
      status.textContent = answer.ok ? t(text ? "notice_saved" : "notice_cleared") : t("failed", {message: answer.data ? answer.data.message : answer.status});
      status.className = answer.ok ? "muted" : "error-text";
      if (answer.ok) { state.notice = text; renderNotice(); }
    }
    form.addEventListener("submit", (event) => { event.preventDefault(); saveNotice(document.getElementById("notice-input").value.trim()); });
    document.getElementById("notice-clear").addEventListener("click", () => { document.getElementById("notice-input").value = ""; saveNotice(""); });
  }

  // ------------------------------------------------------------------ timers and the connection

  function tick() {
    document.getElementById("clock").textContent = clockText();
    for (const timer of document.querySelectorAll(".timer[data-since]")) {
      timer.textContent = duration((now() - new Date(timer.dataset.since)) / 1000);
    }
  }
  setInterval(tick, 1000);

  let live = null;
  let retriedToken = false;
  async function start() {
    const token = await staffToken();
    if (!token) return;
    live = HangChoLive.connect({
      auth: {token},
      offlineText: t("offline"),
      onSnapshot(snapshot) { applySnapshot(snapshot); document.documentElement.dataset.ready = "yes"; tick(); },
      on: handlers,
      onAuthError: async () => {
        // A token from an earlier log-in (another tab logged out): fetch this session's token once.
        live.socket.disconnect();
        if (retriedToken) { goToLogin(); return; }
        retriedToken = true;
        const fresh = await staffToken(true);
        if (fresh) { live.socket.auth = {token: fresh}; live.socket.connect(); }
      },
    });
  }
  start();
})();
