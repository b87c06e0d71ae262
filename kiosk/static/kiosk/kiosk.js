/* The kiosk touchscreen: choose a field (optionally a priority category first), get a number.

   Truth comes from the server only: the fields, waiting counts and the issuing state from the Socket.IO
   snapshot and events; the number from the answer to POST /tickets (never shown before the server
   confirmed it). One Idempotency-Key per tap, reused when the same request is retried, so a retry can
   never create a second ticket. Printing never blocks: the number shows at once and the print result
   arrives later (or does not, which the kiosk treats as "not printed"). See docs/kiosk.md.
*/
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("kiosk-config").textContent);
  const homeLanguage = document.documentElement.lang === "en" ? "en" : "vi";
  const texts = KioskTexts.create(config.texts, homeLanguage);
  const t = texts.t;
  const $ = (id) => document.getElementById(id);
  const root = $("kiosk");

  const state = {
    key: HangChoLive.deviceKey(),
    live: null,
    connected: false,
    authRefused: false,
    startedAt: Date.now(),
    snapshot: null,
    serverOffsetMs: 0,
    services: [],            // the snapshot's fields, updated by events
    categories: [],
    issuing: {open: false, reason: null, opens_at: null, closes_at: null},
    settings: Object.assign({}, config.defaults),
    flow: "home",            // home | priority | visit | busy | confirmation | problem
    askVisit: false,         // the site asks "đến lần thứ mấy" before issuing
    visitServiceId: null,    // the field chosen, while the question is on screen
    nav: {group: null, page: 0, priority: null},
    request: null,           // the last POST /tickets: {key, serviceId, priority, language}
    current: null,           // the confirmed ticket on screen
    printResults: new Map(), // job id → print_result that arrived before the POST answer
    timers: {},
  };

  // ------------------------------------------------------------------ time

  function serverNow() { return Date.now() + state.serverOffsetMs; }
  function timeZone() { return (state.snapshot && state.snapshot.site && state.snapshot.site.timezone) || "Asia/Ho_Chi_Minh"; }

  function setTimer(name, delayMs, action) {
    clearTimeout(state.timers[name]);
    state.timers[name] = setTimeout(action, Math.max(0, Math.min(delayMs, 2147483000)));
  }
  function clearTimer(name) { clearTimeout(state.timers[name]); delete state.timers[name]; }

  /* Open now, by the last state the server gave and the instant it said that state ends. */
  function issuingOpenNow() {
    const issuing = state.issuing;
    if (!issuing.open) return false;
    return !(issuing.closes_at && serverNow() >= Date.parse(issuing.closes_at));
  }

  /* Ask for a fresh snapshot right after the instant the issuing state changes (closes_at or
     opens_at). One timer, re-armed by each snapshot: no polling. */
  function armIssuingTimer() {
    const target = state.issuing.open ? state.issuing.closes_at : state.issuing.opens_at;
    if (!target) { clearTimer("issuing"); return; }
    const delay = Date.parse(target) - serverNow() + 1000;
    setTimer("issuing", Math.max(1000, delay), () => {
      render();
      if (state.live) state.live.requestSnapshot();
    });
  }

  /* After any event: if the closing instant has passed meanwhile, get the state again now. */
  function recheckIssuing() {
    const issuing = state.issuing;
    if (issuing.open && issuing.closes_at && serverNow() >= Date.parse(issuing.closes_at) && state.live) {
      state.live.requestSnapshot();
    }
  }

  // ------------------------------------------------------------------ screens

  function screenName() {
    if (!state.key || state.authRefused) return "unregistered";
    if (state.flow === "busy" || state.flow === "confirmation" || state.flow === "problem") return state.flow;
    if (!state.connected || !state.snapshot) {
      return !state.snapshot && Date.now() - state.startedAt < 4000 ? "connecting" : "offline";
    }
    if (!issuingOpenNow()) return "closed";
    return state.flow;
  }

  function render() {
    const name = screenName();
    root.dataset.screen = name;
    document.querySelectorAll(".k-screen").forEach((section) => { section.hidden = section.dataset.screen !== name; });
    $("language-toggle").textContent = texts.language === "vi" ? "English" : "Tiếng Việt";
    $("language-toggle").lang = texts.language === "vi" ? "en" : "vi";
    const mark = document.querySelector(".hc-connection"); // the shared "connection lost" mark
    if (mark) mark.textContent = t("connection_lost");
    renderHeader();
    if (name === "home") renderHome();
    else if (name === "priority") renderCategories();
    else if (name === "visit") renderVisit();
    else if (name === "confirmation") renderConfirmation();
    else if (name === "closed") renderClosed();
    else if (name === "problem") renderProblem();
    else if (name === "unregistered") {
      $("unregistered-text").textContent = state.authRefused ? t("invalid_key") : t("unregistered_text");
    }
    saveConfirmation();
  }

  function renderHeader() {
    const snapshot = state.snapshot;
    if (snapshot && snapshot.site) {
      $("centre-name").textContent = snapshot.site.centre_name || "Hàng Chờ";
      $("site-name").textContent = snapshot.site.name || "";
    }
    const notice = snapshot && snapshot.notice;
    $("notice").hidden = !notice;
    $("notice").textContent = notice || "";
    renderClock();
  }

  function renderClock() {
    const now = new Date(serverNow()).toISOString();
    $("clock").innerHTML = "";
    const time = document.createElement("span");
    time.className = "k-clock-time";
    time.textContent = KioskTexts.localTime(now, timeZone());
    const date = document.createElement("span");
    date.className = "k-clock-date";
    date.textContent = KioskTexts.localDate(now, timeZone());
    $("clock").append(time, date);
  }

  // ------------------------------------------------------------------ fields, groups, pages

  function activeServices() { return state.services.filter((service) => service.active !== false); }

  function groupsOf(services) {
    const groups = new Map();
    for (const service of services) {
      const key = service.group || "";
      if (!groups.has(key)) groups.set(key, []);
      groups.get(key).push(service);
    }
    // Fields without a group go last, under "Other fields".
    if (groups.has("") && groups.size > 1) {
      const other = groups.get("");
      groups.delete("");
      groups.set("", other);
    }
    return groups;
  }

  function quotaUsed(service) {
    return service.quota_reached === true ||
      (service.daily_quota !== null && service.daily_quota !== undefined && service.issued_today >= service.daily_quota);
  }
  /* No counter that is open or paused serves the field now: it is shown, greyed, and not issued. */
  function notServed(service) { return service.availability === "not_served"; }
  function unavailable(service) { return quotaUsed(service) || notServed(service); }

  /* How many tiles fit: measured on the real screen with the real names, so portrait and landscape
     both get big tiles and no name is ever cut. */
  function measureGrid(withPager, items) {
    const grid = $("tiles");
    $("pager").hidden = !withPager;
    grid.replaceChildren();
    grid.style.gridTemplateRows = "";
    const box = grid.getBoundingClientRect();
    const columns = box.width >= 1000 ? 3 : box.width >= 460 ? 2 : 1;
    grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
    // The tallest of these tiles at this column width sets the row height.
    const probes = items.map((item) => {
      const tile = tileFor(item);
      tile.style.alignSelf = "start";
      return tile;
    });
    grid.replaceChildren(...probes);
    const tileHeight = Math.max(64, ...probes.map((tile) => tile.getBoundingClientRect().height));
    grid.replaceChildren();
    const gap = parseFloat(getComputedStyle(grid).rowGap) || 16;
    const rows = Math.max(1, Math.floor((box.height + gap) / (tileHeight + gap)));
    return {columns, rows, size: columns * rows};
  }

  function pageItems(items) {
    let layout = measureGrid(false, items);
    let paged = false;
    if (items.length > layout.size) {
      layout = measureGrid(true, items);
      paged = true;
    }
    const pages = Math.max(1, Math.ceil(items.length / layout.size));
    state.nav.page = Math.min(Math.max(0, state.nav.page), pages - 1);
    const start = state.nav.page * layout.size;
    return {items: items.slice(start, start + layout.size), layout, pages, paged};
  }

  function renderHome() {
    const services = activeServices();
    const nav = state.nav;
    const groups = groupsOf(services);
    const category = state.categories.find((c) => c.code === nav.priority);
    if (nav.group !== null && !groups.has(nav.group)) nav.group = null;
    const chrome = () => {
      $("priority-banner").hidden = !category;
      $("priority-banner-text").textContent = category ? t("priority_for", {category: texts.name(category)}) : "";
      $("priority-entry").hidden = Boolean(category) || state.categories.length === 0 || nav.group !== null;
      $("home-back").hidden = !(nav.group !== null || category);
    };
    chrome();
    const flat = services.map((service) => ({kind: "service", service}));
    const grouped = groups.size >= 2 && services.length > measureGrid(false, flat).size;
    if (!grouped && nav.group !== null) { nav.group = null; chrome(); }

    let tiles;
    if (grouped && nav.group === null) {
      $("home-title").textContent = t("choose_group");
      tiles = Array.from(groups, ([group, members]) => ({kind: "group", group, members}));
    } else {
      $("home-title").textContent = t("choose_field");
      tiles = grouped ? groups.get(nav.group).map((service) => ({kind: "service", service})) : flat;
    }
    const page = pageItems(tiles);
    const grid = $("tiles");
    grid.style.gridTemplateColumns = `repeat(${page.layout.columns}, minmax(0, 1fr))`;
    // Few tiles stay tile-sized (at most a third of the height each) instead of filling the screen.
    const rowsUsed = Math.max(1, Math.ceil(page.items.length / page.layout.columns));
    const rows = page.paged ? page.layout.rows : Math.max(rowsUsed, Math.min(page.layout.rows, 3));
    grid.style.gridTemplateRows = `repeat(${rows}, minmax(0, 1fr))`;
    grid.replaceChildren(...page.items.map(tileFor));
    $("pager").hidden = !page.paged;
    $("previous-page").disabled = nav.page <= 0;
    $("next-page").disabled = nav.page >= page.pages - 1;
    $("page-label").textContent = t("page_of", {page: nav.page + 1, pages: page.pages});
  }

  function tileFor(item) {
    const button = document.createElement("button");
    button.type = "button";
    const title = document.createElement("span");
    title.className = "k-tile-name";
    const detail = document.createElement("span");
    detail.className = "k-tile-detail";
    if (item.kind === "group") {
      button.className = "k-tile k-tile-group";
      button.dataset.group = item.group;
      title.textContent = item.group || t("other_fields");
      detail.textContent = t("group_count", {count: item.members.length});
      button.addEventListener("click", () => {
        state.nav.groupPage = state.nav.page; // "Back" returns to this page of groups
        state.nav.group = item.group;
        state.nav.page = 0;
        render();
      });
    } else {
      const service = item.service;
      button.className = "k-tile k-tile-service";
      button.dataset.serviceId = service.id;
      title.textContent = texts.name(service);
      detail.textContent = waitingText(service);
      if (unavailable(service)) {
        button.classList.add("k-tile-used");
        button.setAttribute("aria-disabled", "true");
      }
      button.addEventListener("click", () => chooseService(service.id));
    }
    button.append(title, detail);
    return button;
  }

  function waitingText(service) {
    if (quotaUsed(service)) return t("quota_used");
    if (notServed(service)) return t("not_served_now");
    // Served only by paused counters: offered, saying so (the clerk is on a short break).
    if (service.availability === "paused") return t("counter_paused_wait");
    return service.waiting > 0 ? t("waiting_count", {count: service.waiting}) : t("nobody_waiting");
  }

  /* Live counts change only the text of the tiles on screen (a finger may be on one of them). */
  function refreshCounts() {
    document.querySelectorAll("#tiles .k-tile-service").forEach((tile) => {
      const service = state.services.find((s) => String(s.id) === tile.dataset.serviceId);
      if (!service) return;
      tile.querySelector(".k-tile-detail").textContent = waitingText(service);
      tile.classList.toggle("k-tile-used", unavailable(service));
      if (unavailable(service)) tile.setAttribute("aria-disabled", "true"); else tile.removeAttribute("aria-disabled");
    });
  }

  function renderCategories() {
    const grid = $("categories");
    const columns = grid.getBoundingClientRect().width >= 1000 ? 3 : grid.getBoundingClientRect().width >= 460 ? 2 : 1;
    grid.style.gridTemplateColumns = `repeat(${columns}, minmax(0, 1fr))`;
    grid.replaceChildren(...state.categories.map((category) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "k-tile k-tile-category";
      button.dataset.category = category.code;
      const title = document.createElement("span");
      title.className = "k-tile-name";
      title.textContent = texts.name(category);
      button.append(title);
      button.addEventListener("click", () => {
        state.nav = {group: null, page: 0, priority: category.code};
        state.flow = "home";
        armIdle();
        render();
      });
      return button;
    }));
  }

  // ------------------------------------------------------------------ issuing a number

  function chooseService(serviceId) {
    const service = state.services.find((s) => s.id === serviceId);
    if (!service) return;
    if (quotaUsed(service)) {
      showProblem("quota", {field: texts.name(service)});
      return;
    }
    if (notServed(service)) {
      showProblem("refused", {message: t("not_served_text", {field: texts.name(service)})});
      return;
    }
    if (state.askVisit) {
      state.visitServiceId = serviceId;
      state.flow = "visit";
      armIdle();
      render();
      return;
    }
    issue({key: KioskTexts.uuid(), serviceId, priority: state.nav.priority, language: texts.language});
  }

  function renderVisit() {
    const service = state.services.find((s) => s.id === state.visitServiceId);
    $("visit-field").textContent = service ? texts.name(service) : "";
  }

  document.querySelectorAll(".k-visit-choice").forEach((button) => button.addEventListener("click", () => {
    const serviceId = state.visitServiceId;
    state.visitServiceId = null;
    if (!serviceId) { goHome(); return; }
    issue({key: KioskTexts.uuid(), serviceId, priority: state.nav.priority, language: texts.language,
           visit: Number(button.dataset.visit)});
  }));
  $("visit-back").addEventListener("click", () => { state.visitServiceId = null; state.flow = "home"; render(); });

  async function issue(request) {
    if (!state.connected || !issuingOpenNow()) { render(); return; }
    state.request = request;
    state.flow = "busy";
    clearTimer("idle");
    render();
    const answer = await postTicket(request);
    const data = answer.data || {};
    if (answer.ok && data.number && data.id) {
      showConfirmation(data, request);
      return;
    }
    if (answer.status === 401) {
      state.authRefused = true;
      state.flow = "home";
      render();
      return;
    }
    if (answer.status === 409 && data.error === "issuing_closed") {
      state.issuing = {open: false, reason: data.reason || "outside_hours", opens_at: data.opens_at || null, closes_at: null};
      armIssuingTimer();
      state.live.requestSnapshot();
      goHome();
      return;
    }
    const service = state.services.find((s) => s.id === request.serviceId);
    if (answer.status === 409 && data.error === "quota_reached") {
      if (service) service.quota_reached = true;
      showProblem("quota", {field: service ? texts.name(service) : ""});
      return;
    }
    if (answer.status === 409 && data.error === "service_not_served") {
      if (service) service.availability = "not_served";
      showProblem("refused", {message: data.message || t("not_served_text", {field: service ? texts.name(service) : ""})});
      return;
    }
    if (answer.status === 0 || answer.status >= 500) {
      showProblem("unreachable");
      return;
    }
    // Refused for another reason (field withdrawn, unknown priority…): say what the server said.
    if (state.live) state.live.requestSnapshot();
    showProblem("refused", {message: data.message || ""});
  }

  /* POST /tickets, two attempts with the same Idempotency-Key; {ok, status (0 = no answer), data}. */
  async function postTicket(request) {
    const fields = {service_id: request.serviceId, priority: request.priority || null, language: request.language};
    if (request.visit) fields.visit = request.visit;
    const body = JSON.stringify(fields);
    for (let attempt = 1; attempt <= 2; attempt += 1) {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), state.settings.request_timeout_s * 1000);
      try {
        const response = await fetch("/api/v1/tickets?lang=" + texts.language, {
          method: "POST",
          headers: {
            "Accept": "application/json",
            "Content-Type": "application/json",
            "Authorization": "Bearer " + state.key,
            "Idempotency-Key": request.key,
          },
          body,
          signal: controller.signal,
          cache: "no-store",
        });
        let data = null;
        try { data = await response.json(); } catch (notJson) { data = null; }
        if (response.status >= 500 && attempt < 2) { await pause(800); continue; }
        return {ok: response.ok, status: response.status, data};
      } catch (noAnswer) {
        if (attempt < 2) { await pause(800); continue; }
        return {ok: false, status: 0, data: null};
      } finally {
        clearTimeout(timer);
      }
    }
    return {ok: false, status: 0, data: null};
  }

  function pause(ms) { return new Promise((resolve) => setTimeout(resolve, ms)); }

  // ------------------------------------------------------------------ confirmation and printing

  /* The number on screen survives a reload of the page (a power blip, a technician's F5): it is kept
     in this tab's sessionStorage until the confirmation ends, with its print state and its deadline. */
  const SAVED_CONFIRMATION = "hangcho.kiosk.confirmation";

  function saveConfirmation() {
    try {
      if (state.flow === "confirmation" && state.current) {
        window.sessionStorage.setItem(SAVED_CONFIRMATION, JSON.stringify(
          {current: state.current, countdownEnd: state.countdownEnd, language: texts.language}));
      } else {
        window.sessionStorage.removeItem(SAVED_CONFIRMATION);
      }
    } catch (storageFull) {
      // Nothing to do: without storage a reload shows the start screen, as before.
    }
  }

  function restoreConfirmation() {
    let saved = null;
    try { saved = JSON.parse(window.sessionStorage.getItem(SAVED_CONFIRMATION) || "null"); } catch (unreadable) { saved = null; }
    if (!saved || !saved.current || !(saved.countdownEnd > Date.now())) {
      saveConfirmation();
      return;
    }
    state.current = saved.current;
    state.current.reprinting = Boolean(saved.current.reprinting);
    state.flow = "confirmation";
    if (saved.language && saved.language !== texts.language) texts.setLanguage(saved.language);
    startCountdown((saved.countdownEnd - Date.now()) / 1000);
    if (state.current.print === "pending") watchPrint();  // its print_result may still come
  }

  function showConfirmation(ticket, request) {
    const service = state.services.find((s) => s.id === ticket.service_id);
    state.current = {
      ticket,
      service,
      category: state.categories.find((c) => c.code === (ticket.priority || request.priority)),
      print: ticket.print_job_id ? "pending" : "none",
      jobId: ticket.print_job_id || null,
      reprinting: false,
    };
    state.flow = "confirmation";
    const early = state.current.jobId && state.printResults.get(state.current.jobId);
    if (early) applyPrintResult(early);
    else if (state.current.print === "pending") watchPrint();
    startCountdown(state.current.print === "none" ? state.settings.print_problem_confirmation_s : state.settings.confirmation_s);
    render();
  }

  function watchPrint() {
    setTimer("print", state.settings.print_wait_s * 1000, () => {
      if (state.current && state.current.print === "pending") {
        state.current.print = state.current.reprinting ? "reprint_failed" : "unknown";
        onPrintProblem();
      }
    });
  }

  function onPrintResult(result) {
    state.printResults.set(result.job_id, result);
    if (state.printResults.size > 50) state.printResults.delete(state.printResults.keys().next().value);
    if (state.current && state.current.jobId === result.job_id) applyPrintResult(result);
  }

  function applyPrintResult(result) {
    clearTimer("print");
    if (result.ok) {
      state.current.print = "printed";
      render();
      return;
    }
    state.current.print = state.current.reprinting ? "reprint_failed" : "failed";
    onPrintProblem();
  }

  function onPrintProblem() {
    // The number stays on screen longer, and only the Done button takes it away.
    extendCountdown(state.settings.print_problem_confirmation_s);
    render();
  }

  async function reprint() {
    const current = state.current;
    if (!current || current.print === "pending") return;
    current.print = "pending";
    current.reprinting = true;
    render();
    let answer;
    try {
      answer = await HangChoLive.api("POST", `/tickets/${current.ticket.id}/reprint`, undefined, state.key);
    } catch (noAnswer) {
      answer = {ok: false, status: 0, data: null};
    }
    if (state.current !== current) return;
    if (answer.ok && answer.data && answer.data.print_job_id) {
      current.jobId = answer.data.print_job_id;
      const early = state.printResults.get(current.jobId);
      if (early) applyPrintResult(early); else watchPrint();
    } else {
      current.print = "reprint_failed";
      onPrintProblem();
    }
    extendCountdown(state.settings.print_problem_confirmation_s);
    render();
  }

  function printProblem() {
    return state.current && ["failed", "unknown", "none", "reprint_failed"].includes(state.current.print);
  }

  function renderConfirmation() {
    const current = state.current;
    if (!current) return;
    const ticket = current.ticket;
    $("ticket-number").textContent = ticket.number;
    $("ticket-field").textContent = current.service ? texts.name(current.service) : "";
    $("ticket-priority").hidden = !current.category;
    $("ticket-priority").textContent = current.category ? t("priority_for", {category: texts.name(current.category)}) : "";
    $("ticket-ahead").textContent = ticket.ahead > 0 ? t("ahead", {count: ticket.ahead}) : t("you_are_next");
    $("ticket-wait").textContent = t("estimated_wait", {wait: texts.wait(ticket.estimated_wait_s, ticket.ahead)});
    const lines = {
      pending: current.reprinting ? t("printing_again") : t("printing"),
      printed: t("printed"),
      failed: t("print_failed"),
      unknown: t("print_unknown"),
      none: t("no_printer"),
      reprint_failed: t("reprint_failed"),
    };
    $("print-status").dataset.print = current.print;
    $("print-line").textContent = lines[current.print];
    const problem = printProblem();
    $("print-problem").hidden = !problem;
    document.querySelector(".k-confirmation").toggleAttribute("data-problem", Boolean(problem));
    $("reprint").hidden = current.print === "none" || !ticket.print_job_id;
    $("reprint").disabled = current.print === "pending";
    if (problem && ticket.public_url) {
      const token = ticket.public_url.split("/t/").pop();
      const source = `/t/${encodeURIComponent(token)}/qr.svg`;
      if ($("ticket-qr").getAttribute("src") !== source) $("ticket-qr").src = source;
    }
    renderCountdown();
  }

  function startCountdown(seconds) {
    state.countdownEnd = Date.now() + seconds * 1000;
    clearInterval(state.timers.countdown);
    state.timers.countdown = setInterval(() => {
      if (Date.now() >= state.countdownEnd) { goHome(); return; }
      renderCountdown();
    }, 250);
  }

  function extendCountdown(seconds) {
    state.countdownEnd = Math.max(state.countdownEnd || 0, Date.now() + seconds * 1000);
  }

  function renderCountdown() {
    const left = Math.max(0, Math.ceil((state.countdownEnd - Date.now()) / 1000));
    const text = t("back_in", {seconds: left});
    $("countdown").textContent = printProblem() ? text : `${t("tap_to_finish")}\n${text}`;
  }

  // ------------------------------------------------------------------ problems and closed hours

  function showProblem(kind, params) {
    state.problem = {kind, params: params || {}};
    state.flow = "problem";
    armIdle();
    render();
  }

  function renderProblem() {
    const problem = state.problem || {kind: "unreachable", params: {}};
    const titles = {unreachable: "problem_title", quota: "quota_title", refused: "refused_title"};
    $("problem-title").textContent = t(titles[problem.kind]);
    $("problem-text").textContent = problem.kind === "quota" ? t("quota_text", problem.params)
      : problem.kind === "refused" ? (problem.params.message || "") : t("unreachable");
    $("problem-advice").textContent = problem.kind === "unreachable" ? "" : t("choose_other");
    $("problem-advice").hidden = problem.kind === "unreachable";
    $("problem-retry").hidden = problem.kind !== "unreachable";
    $("problem-back").classList.toggle("k-action-primary", problem.kind !== "unreachable");
  }

  function renderClosed() {
    const issuing = state.issuing;
    // Still "open" by the last snapshot: its closing instant passed and the new state is on its way.
    const stillOpenByServer = issuing.open;
    $("closed-reason").textContent = stillOpenByServer ? "" : t("closed_" + (issuing.reason || "outside_hours"));
    $("closed-reason").hidden = stillOpenByServer;
    const zone = timeZone();
    let opens = "";
    if (!stillOpenByServer && issuing.opens_at) {
      const today = KioskTexts.localDay(new Date(serverNow()), zone);
      const tomorrow = KioskTexts.localDay(new Date(serverNow() + 86400000), zone);
      const day = KioskTexts.localDay(new Date(issuing.opens_at), zone);
      const time = KioskTexts.localTime(issuing.opens_at, zone);
      opens = day === today ? t("opens_today", {time}) : day === tomorrow ? t("opens_tomorrow", {time})
        : t("opens_on", {time, date: KioskTexts.localDate(issuing.opens_at, zone)});
    }
    $("closed-opens").textContent = opens;
    $("closed-opens").hidden = !opens;
    $("closed-advice").textContent = opens ? t("come_back") : t("ask_staff");
  }

  // ------------------------------------------------------------------ navigation

  function goHome() {
    clearInterval(state.timers.countdown);
    clearTimer("print");
    clearTimer("idle");
    state.current = null;
    state.problem = null;
    state.flow = "home";
    state.nav = {group: null, page: 0, priority: null};
    if (texts.language !== homeLanguage) texts.setLanguage(homeLanguage);
    render();
  }

  /* A half-finished choice (inside a group, on page 2, in the priority path, a problem message) goes
     back to the start when nobody touches the screen for a while: the next citizen starts clean. */
  function armIdle() {
    setTimer("idle", state.settings.idle_reset_s * 1000, () => {
      const atStart = state.flow === "home" && state.nav.group === null && state.nav.page === 0 && !state.nav.priority
        && texts.language === homeLanguage;
      if ((state.flow === "home" || state.flow === "priority" || state.flow === "visit" || state.flow === "problem") && !atStart) goHome();
    });
  }

  function wire() {
    $("language-toggle").addEventListener("click", () => {
      texts.setLanguage(texts.language === "vi" ? "en" : "vi");
      render();
    });
    $("previous-page").addEventListener("click", () => { state.nav.page -= 1; render(); });
    $("next-page").addEventListener("click", () => { state.nav.page += 1; render(); });
    $("home-back").addEventListener("click", () => {
      if (state.nav.group !== null) { state.nav.group = null; state.nav.page = state.nav.groupPage || 0; }
      else if (state.nav.priority) { state.nav = {group: null, page: 0, priority: null}; state.flow = "priority"; }
      render();
    });
    $("priority-entry").addEventListener("click", () => { state.flow = "priority"; render(); });
    $("priority-back").addEventListener("click", () => { state.flow = "home"; state.nav.priority = null; render(); });
    $("cancel-priority").addEventListener("click", () => { state.nav = {group: null, page: 0, priority: null}; render(); });
    $("done").addEventListener("click", (event) => { event.stopPropagation(); goHome(); });
    $("reprint").addEventListener("click", (event) => { event.stopPropagation(); reprint(); });
    document.querySelector(".k-confirmation").addEventListener("click", (event) => {
      if (printProblem() || event.target.closest("button")) return;
      goHome();
    });
    $("problem-retry").addEventListener("click", () => { if (state.request) issue(state.request); });
    $("problem-back").addEventListener("click", goHome);
    document.addEventListener("pointerdown", armIdle, {passive: true});
    window.addEventListener("resize", () => render());
    // The header clock (local display only; the server is never asked).
    setInterval(renderClock, 15000);
    // A kiosk is not a web browser: no text selection, no context menu, no pinch zoom.
    document.addEventListener("contextmenu", (event) => event.preventDefault());
  }

  // ------------------------------------------------------------------ live data

  function applySnapshot(snapshot) {
    state.snapshot = snapshot;
    if (snapshot.server_time) state.serverOffsetMs = Date.parse(snapshot.server_time) - Date.now();
    state.services = (snapshot.services || []).map((service) => Object.assign({}, service));
    state.categories = snapshot.priority_categories || [];
    state.issuing = snapshot.issuing || {open: false, reason: null, opens_at: null, closes_at: null};
    state.settings = Object.assign({}, config.defaults, (snapshot.kiosk && snapshot.kiosk.settings) || {});
    state.askVisit = Boolean(snapshot.ask_visit);
    armIssuingTimer();
    render();
  }

  function applyWaiting(payload) {
    if (!payload || !payload.waiting) return;
    for (const [serviceId, count] of Object.entries(payload.waiting)) {
      const service = state.services.find((s) => String(s.id) === serviceId);
      if (service) service.waiting = count;
    }
  }

  function afterEvent() {
    recheckIssuing();
    if (screenName() === "home") refreshCounts();
    else if (screenName() === "closed" && issuingOpenNow()) render();
  }

  function connect() {
    if (!state.key) { render(); return; }
    state.live = HangChoLive.connect({
      auth: {token: state.key},
      offlineText: t("connection_lost"),
      onSnapshot: applySnapshot,
      onConnectionChange(connected) {
        state.connected = connected;
        render();
      },
      onAuthError(error) {
        if (error.error === "not_authenticated" || error.error === "invalid_token") {
          state.authRefused = true;
          render();
        }
      },
      on: {
        ticket_issued(event) {
          applyWaiting(event);
          const service = state.services.find((s) => s.id === event.service_id);
          if (service) service.issued_today = (service.issued_today || 0) + 1;
        },
        ticket_called: applyWaiting,
        ticket_recalled: applyWaiting,
        ticket_transferred: applyWaiting,
        ticket_cancelled: applyWaiting,
        tickets_expired() { state.live.requestSnapshot(); },
        counter_status(event) {
          // Which fields are served changes with the counters: open, paused or none.
          for (const [serviceId, availability] of Object.entries(event.availability || {})) {
            const service = state.services.find((s) => String(s.id) === serviceId);
            if (service) service.availability = availability;
          }
        },
        settings_changed() { state.live.requestSnapshot(); },
        notice_changed() { state.live.requestSnapshot(); },
        print_result: onPrintResult,
      },
      onAnyEvent: afterEvent,
    });
    // Not connected after a few seconds: say so (the socket keeps trying by itself).
    setTimeout(() => { if (!state.snapshot) render(); }, 4200);
  }

  texts.apply(document);
  wire();
  restoreConfirmation();
  render();
  connect();
})();
