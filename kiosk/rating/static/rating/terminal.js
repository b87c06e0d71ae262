/* Hàng Chờ rating terminal: the tablet at a counter that asks the citizen for a rating.

   Screens: idle (counter and clerk) → rate (buttons and a countdown, after `rating_requested`) →
   reasons (for a low score) → thanks (or why it was not recorded) → idle. The server decides what may be
   rated: the page only offers what `rating_requested` / the snapshot's `open_request` opened, and posts
   POST /api/v1/ratings {ticket_id, token, score, reasons} with its device key. The terminal is outside the
   site room, so it connects with checkGaps: false. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("rating-config").textContent);
  const strings = config.strings;
  const THANKS_MS = 5000;
  const REFUSED_MS = 6000;
  const AUTO_SEND_BEFORE_MS = 1500;  // a low score with no "Send" pressed is still sent before time runs out
  let language = "vi";

  const state = {
    snapshot: null,
    offsetMs: 0,
    request: null,      // {ticket_id, number, expires_at, window_s}
    score: null,
    reasons: new Set(),
    screen: "idle",
    sending: false,
    backToIdleTimer: null,
  };

  const $ = (id) => document.getElementById(id);
  const t = (key) => (strings[language] && strings[language][key]) || strings.vi[key] || key;
  const format = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? ""));

  // ------------------------------------------------------------------ faces (SVG, no emoji fonts)

  const MOUTHS = {
    5: '<path d="M28 58 Q50 86 72 58 Z" fill="#1d2430"/>',
    4: '<path d="M31 61 Q50 78 69 61" fill="none" stroke="#1d2430" stroke-width="6" stroke-linecap="round"/>',
    3: '<path d="M33 67 L67 67" fill="none" stroke="#1d2430" stroke-width="6" stroke-linecap="round"/>',
    2: '<path d="M32 73 Q50 60 68 73" fill="none" stroke="#1d2430" stroke-width="6" stroke-linecap="round"/>',
    1: '<path d="M30 76 Q50 55 70 76" fill="none" stroke="#1d2430" stroke-width="6" stroke-linecap="round"/>' +
       '<path d="M27 31 L42 37 M73 31 L58 37" stroke="#1d2430" stroke-width="5" stroke-linecap="round"/>',
  };
  function face(score) {
    const eyes = score >= 5
      ? '<path d="M30 42 Q36 34 42 42 M58 42 Q64 34 70 42" fill="none" stroke="#1d2430" stroke-width="5" stroke-linecap="round"/>'
      : '<circle cx="36" cy="43" r="5.5" fill="#1d2430"/><circle cx="64" cy="43" r="5.5" fill="#1d2430"/>';
    return '<svg class="rt-face" viewBox="0 0 100 100" aria-hidden="true">' +
      '<circle cx="50" cy="50" r="46" fill="#fff7d6" stroke="#1d2430" stroke-width="3"/>' + eyes + (MOUTHS[score] || MOUTHS[3]) + "</svg>";
  }

  // ------------------------------------------------------------------ time

  function serverNow() { return Date.now() + state.offsetMs; }
  function remainingMs() {
    if (!state.request) return 0;
    const expires = Date.parse(state.request.expires_at || "");
    return Number.isNaN(expires) ? 0 : expires - serverNow();
  }

  // ------------------------------------------------------------------ screens

  function show(screen) {
    state.screen = screen;
    for (const name of ["setup", "idle", "rate", "reasons", "thanks", "refused"]) {
      $("screen-" + name).hidden = name !== screen;
    }
    document.body.dataset.screen = screen;
  }

  function backToIdleLater(delayMs) {
    clearTimeout(state.backToIdleTimer);
    state.backToIdleTimer = setTimeout(() => {
      // The next citizen starts in Vietnamese whatever the last one chose.
      if (language !== "vi") { language = "vi"; applyLanguage(); }
      goIdle();
    }, delayMs);
  }

  function goIdle() {
    clearTimeout(state.backToIdleTimer);
    state.request = null;
    state.score = null;
    state.reasons.clear();
    renderIdle();
    show("idle");
  }

  function renderIdle() {
    const snapshot = state.snapshot;
    if (!snapshot) return;
    const counter = snapshot.counter;
    $("idle-counter-number").textContent = String(counter.number);
    const clerk = counter.clerk;
    $("idle-clerk").hidden = !clerk;
    if (clerk) {
      $("idle-clerk-name").textContent = clerk.full_name;
      $("idle-clerk-title").textContent = clerk.title || "";
      $("idle-avatar").textContent = initials(clerk.full_name);
    }
    const status = $("idle-status");
    const message = !clerk ? t("no_clerk") : counter.status === "paused" ? t("counter_paused")
      : counter.status === "closed" ? t("counter_closed") : "";
    status.hidden = !message;
    status.textContent = message;
  }

  function initials(name) {
    // Vietnamese names put the given name last: "Nguyễn Thị Lan" → "L", with the family name's first letter.
    const words = String(name || "").trim().split(/\s+/).filter(Boolean);
    if (!words.length) return "";
    const last = words[words.length - 1][0];
    return (words.length > 1 ? words[0][0] + last : last).toUpperCase();
  }

  function renderRate() {
    const request = state.request;
    if (!request) return;
    $("rate-number").textContent = request.number || "";
    const clerk = state.snapshot && state.snapshot.counter.clerk;
    $("rate-question").textContent = clerk ? format("question_clerk", {name: clerk.full_name}) : t("question");
    const container = $("rate-buttons");
    container.replaceChildren();
    const buttons = (state.snapshot && state.snapshot.rating.buttons) || [];
    container.style.setProperty("--rt-columns", String(Math.max(1, buttons.length)));
    for (const button of buttons) {
      const element = document.createElement("button");
      element.type = "button";
      element.className = "rt-score rt-score-" + button.score;
      element.dataset.score = String(button.score);
      element.innerHTML = face(button.score);
      const label = document.createElement("span");
      label.className = "rt-score-label";
      label.textContent = language === "en" && button.label_en ? button.label_en : button.label;
      element.append(label);
      element.addEventListener("click", () => chooseScore(button.score));
      container.append(element);
    }
    tick();
  }

  function renderReasons() {
    const grid = $("reason-grid");
    grid.replaceChildren();
    for (const reason of (state.snapshot && state.snapshot.rating.reasons) || []) {
      const element = document.createElement("button");
      element.type = "button";
      element.className = "rt-reason";
      element.dataset.reason = reason.code;
      element.setAttribute("aria-pressed", String(state.reasons.has(reason.code)));
      const check = document.createElement("span");
      check.className = "rt-check";
      check.setAttribute("aria-hidden", "true");
      const label = document.createElement("span");
      label.textContent = language === "en" && reason.label_en ? reason.label_en : reason.label;
      element.append(check, label);
      element.addEventListener("click", () => {
        if (state.reasons.has(reason.code)) state.reasons.delete(reason.code);
        else state.reasons.add(reason.code);
        element.setAttribute("aria-pressed", String(state.reasons.has(reason.code)));
      });
      grid.append(element);
    }
    tick();
  }

  // ------------------------------------------------------------------ rating

  function openRequest(request) {
    if (!request || !request.ticket_id) return;
    if (state.sending) return;  // the answer of the current rating decides what comes next
    clearTimeout(state.backToIdleTimer);
    state.request = {ticket_id: request.ticket_id, number: request.number, expires_at: request.expires_at,
      window_s: request.window_s, token: request.token};
    state.score = null;
    state.reasons.clear();
    renderRate();
    show("rate");
  }

  function chooseScore(score) {
    if (state.sending || !state.request) return;
    state.score = score;
    const lowMax = state.snapshot ? state.snapshot.rating.low_score_max : 0;
    const hasReasons = state.snapshot && state.snapshot.rating.reasons.length > 0;
    if (score <= lowMax && hasReasons) {
      renderReasons();
      show("reasons");
      return;
    }
    send();
  }

  async function send() {
    if (state.sending || !state.request || state.score === null) return;
    state.sending = true;
    $("send-rating").disabled = true;
    // The window's token binds the rating to this citizen's window: a late tap never rates the next one.
    const body = {ticket_id: state.request.ticket_id, score: state.score, reasons: Array.from(state.reasons)};
    if (state.request.token) body.token = state.request.token;
    let answer;
    try {
      answer = await HangChoLive.api("POST", "/ratings", body, deviceKey);
    } catch (error) {
      answer = {ok: false, data: {message: t("network_error")}};
    }
    state.sending = false;
    $("send-rating").disabled = false;
    if (answer.ok) {
      show("thanks");
      backToIdleLater(THANKS_MS);
    } else {
      $("refused-text").textContent = (answer.data && answer.data.message) || t("network_error");
      show("refused");
      backToIdleLater(REFUSED_MS);
    }
    state.request = null;
  }

  $("send-rating").addEventListener("click", send);

  function tick() {
    if (!state.request || (state.screen !== "rate" && state.screen !== "reasons")) return;
    const remaining = remainingMs();
    if (state.screen === "reasons" && remaining <= AUTO_SEND_BEFORE_MS && !state.sending) {
      send();
      return;
    }
    if (remaining <= 0 && !state.sending) {
      goIdle();
      return;
    }
    // The clock offset comes from a snapshot that took a moment to arrive: never show more than the window.
    const windowS = state.request.window_s || 30;
    const seconds = Math.max(0, Math.min(windowS, Math.ceil(remaining / 1000)));
    const fraction = Math.max(0, Math.min(1, remaining / (windowS * 1000)));
    for (const [ring, label] of [["countdown-ring", "countdown-seconds"], ["countdown-ring-reasons", "countdown-seconds-reasons"]]) {
      $(ring).style.strokeDashoffset = String(100 - fraction * 100);
      $(label).textContent = String(seconds);
    }
    $("countdown-text").textContent = format("seconds_left", {seconds});
    document.body.classList.toggle("rt-hurry", seconds <= 5);
  }
  setInterval(tick, 250);

  // ------------------------------------------------------------------ language

  function applyLanguage() {
    document.documentElement.lang = language;
    document.querySelectorAll("[data-t]").forEach((element) => { element.textContent = t(element.dataset.t); });
    const toggle = $("rt-language");
    toggle.textContent = language === "vi" ? "English" : "Tiếng Việt";
    toggle.lang = language === "vi" ? "en" : "vi";
    document.title = t("title") + " · Hàng Chờ";
    renderIdle();
    if (state.screen === "rate") renderRate();
    if (state.screen === "reasons") renderReasons();
  }
  $("rt-language").addEventListener("click", () => {
    language = language === "vi" ? "en" : "vi";
    applyLanguage();
  });

  // ------------------------------------------------------------------ live connection

  function onSnapshot(snapshot) {
    const parsed = Date.parse(snapshot.server_time || "");
    if (!Number.isNaN(parsed)) state.offsetMs = parsed - Date.now();
    state.snapshot = snapshot;
    // The header comes with every snapshot: a reload during an open rating goes straight to the rating
    // screen and must still name the centre.
    $("rt-site").textContent = snapshot.site ? snapshot.site.centre_name : "";
    if (snapshot.counter && snapshot.counter.id !== config.counterId) {
      // The key decides the counter; say so, but serve the key's counter.
      console.warn(format("other_counter", {counter: snapshot.counter.number}));
    }
    const open = snapshot.open_request;
    if (open && (!state.request || state.request.ticket_id !== open.ticket_id)) {
      openRequest(open);
    } else if (!open && (state.screen === "rate" || state.screen === "reasons") && !state.sending) {
      goIdle();
    } else if (state.screen === "idle" || state.screen === "setup") {
      goIdle();
    }
  }

  function setup(message) {
    $("setup-text").textContent = message;
    show("setup");
  }

  const deviceKey = HangChoLive.deviceKey();
  applyLanguage();
  if (!deviceKey) {
    setup(t("no_key"));
    return;
  }
  const live = HangChoLive.connect({
    auth: {token: deviceKey},
    checkGaps: false,
    offlineText: t("offline"),
    onSnapshot,
    onAuthError() { setup(t("bad_key")); },
    on: {
      rating_requested(event) { openRequest(event); },
      rating_closed(event) {
        // Rated elsewhere (keypad, phone) or closed by the server: nothing left to rate here.
        if (state.request && event.ticket_id === state.request.ticket_id && !state.sending) goIdle();
      },
      counter_status() { live.requestSnapshot(); },  // the clerk's name and title come with the snapshot
    },
  });
  window.HangChoRating = {state, live};
})();
