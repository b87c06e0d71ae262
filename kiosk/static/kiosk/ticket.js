/* The citizen's phone page behind the ticket's QR code: live position, the counter when called, and
   after service one rating with the ticket's token.

   The socket (auth {ticket_token}) joins the rooms ticket:<id> and site:<site>; events are only hints:
   when one concerns this ticket or its field, the page fetches its public view again (debounced).
   Served by the province server (config.namespace "/phone"), the same page follows the ticket there:
   a rating is relayed to the site, and may be answered 202 "kept, the result will be shown here" while
   the site is away; the view's rating_status then says pending, accepted or refused.
*/
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("phone-config").textContent);
  const texts = KioskTexts.create(config.texts, document.documentElement.lang === "en" ? "en" : "vi");
  const t = texts.t;
  const $ = (id) => document.getElementById(id);
  const token = config.token;

  const state = {
    view: config.ticket,
    rating: {step: null, score: null, reasons: new Set(), justRated: false, error: ""},
    fetchNumber: 0,
    refetchTimer: null,
    lastStatus: config.ticket.status,
  };

  // ------------------------------------------------------------------ the ticket

  function render() {
    const view = state.view;
    const zone = (view.site && view.site.timezone) || "Asia/Ho_Chi_Minh";
    $("phone").dataset.status = view.status;
    $("language-toggle").textContent = texts.language === "vi" ? "English" : "Tiếng Việt";
    $("language-toggle").lang = texts.language === "vi" ? "en" : "vi";
    $("centre-name").textContent = (view.site && view.site.centre_name) || "";
    $("ticket-number").textContent = view.number;
    $("ticket-field").textContent = texts.name(view, "service_name");
    $("ticket-issued").textContent = view.issued_at
      ? t("issued_at", {time: `${KioskTexts.localTime(view.issued_at, zone)} · ${KioskTexts.localDate(view.issued_at, zone)}`}) : "";
    const counter = view.counter_number;
    let main = "";
    let detail = "";
    let extra = "";
    switch (view.status) {
      case "waiting":
        main = view.ahead > 0 ? t("ahead_many", {count: view.ahead}) : t("you_are_next");
        detail = t("estimated_wait", {wait: texts.wait(view.estimated_wait_s, view.ahead)});
        break;
      case "called":
        main = t("called", {counter});
        if (view.clerk_name) detail = t("clerk", {name: view.clerk_name});
        break;
      case "serving":
        main = t("serving", {counter});
        if (view.clerk_name) detail = t("clerk", {name: view.clerk_name});
        break;
      case "done":
        main = t("done");
        break;
      case "no_show":
        main = t("no_show", {counter});
        break;
      case "cancelled":
        main = t("cancelled");
        break;
      default:
        main = t("expired");
    }
    if (view.site_connected === false && view.as_of && ["waiting", "called", "serving"].includes(view.status)) {
      extra = t("as_of", {time: KioskTexts.localTime(view.as_of, zone)}); // the central's copy may be behind
    }
    $("status-main").textContent = main;
    $("status-detail").textContent = detail;
    $("status-detail").hidden = !detail;
    $("status-extra").textContent = extra;
    $("status-extra").hidden = !extra;
    const mark = document.querySelector(".hc-connection"); // the shared "connection lost" mark
    if (mark) mark.textContent = t("connection_lost");
    document.title = view.status === "called" ? `${main} · ${view.number}` : `${t("page_title")} ${view.number} · Hàng Chờ`;
    renderRating();
  }

  function announceCall(previous, next) {
    if (next === "called" && previous !== "called" && navigator.vibrate) {
      try { navigator.vibrate([400, 150, 400]); } catch (ignored) { /* not allowed before a touch */ }
    }
  }

  async function refetch() {
    const number = ++state.fetchNumber;
    let answer;
    try {
      answer = await HangChoLive.api("GET", `/public/tickets/${encodeURIComponent(token)}`);
    } catch (noAnswer) {
      return; // the socket's reconnect brings a snapshot, and with it another refetch
    }
    if (number !== state.fetchNumber || !answer.ok || !answer.data) return; // a newer fetch is on its way
    const previous = state.view.status;
    state.view = answer.data;
    announceCall(previous, state.view.status);
    render();
  }

  function scheduleRefetch() {
    clearTimeout(state.refetchTimer);
    state.refetchTimer = setTimeout(refetch, 300);
  }

  /* Whether an event may change what this page shows: its own ticket, its field's queue, counters. */
  function concernsMe(name, payload) {
    const view = state.view;
    if (!payload) return false;
    if (payload.id === view.id || payload.ticket_id === view.id) return true;
    if (name === "counter_status" || name === "tickets_expired") return view.status === "waiting" || name === "tickets_expired";
    const fields = [payload.service_id, payload.from_service_id, payload.to_service_id];
    return view.status === "waiting" && fields.includes(view.service_id);
  }

  // ------------------------------------------------------------------ rating

  function ratingStep() {
    const view = state.view;
    const rating = state.rating;
    if (rating.step === "pending" && view.rating_status && view.rating_status !== "pending") {
      rating.step = null; // the site's verdict came: thank them, or say why it was not recorded
      rating.justRated = view.rating_status === "accepted";
    }
    if (rating.step) return rating.step;
    if (view.rating_status === "pending") return "pending";
    if (view.rating_status === "refused" && !view.rated) return "refused";
    if (view.rated) return rating.justRated ? "thanks" : "already";
    if (view.can_rate) return "choose";
    return null;
  }

  function renderRating() {
    const step = ratingStep();
    const block = $("rating");
    block.hidden = step === null;
    if (step === null) return;
    const shown = {already: "thanks", pending: "thanks", refused: "error"}[step] || step;
    block.querySelectorAll(".p-rating-step").forEach((element) => { element.hidden = element.dataset.step !== shown; });
    const settings = state.view.rating || {buttons: [], reasons: [], low_score_max: 3};
    if (step === "choose") {
      $("scores").replaceChildren(...settings.buttons.map((button) => {
        const element = document.createElement("button");
        element.type = "button";
        element.className = `p-score p-score-${button.score}`;
        element.dataset.score = button.score;
        element.textContent = texts.name(button, "label");
        element.addEventListener("click", () => chooseScore(button.score));
        return element;
      }));
    }
    if (step === "reasons") {
      const chosen = settings.buttons.find((button) => button.score === state.rating.score);
      $("chosen-score").textContent = chosen ? texts.name(chosen, "label") : "";
      $("chosen-score").className = `p-chosen p-score-${state.rating.score}`;
      $("reasons").replaceChildren(...settings.reasons.map((reason) => {
        const element = document.createElement("button");
        element.type = "button";
        element.className = "p-reason";
        element.dataset.reason = reason.code;
        element.setAttribute("aria-pressed", state.rating.reasons.has(reason.code) ? "true" : "false");
        element.textContent = texts.name(reason, "label");
        element.addEventListener("click", () => {
          if (state.rating.reasons.has(reason.code)) state.rating.reasons.delete(reason.code);
          else state.rating.reasons.add(reason.code);
          element.setAttribute("aria-pressed", state.rating.reasons.has(reason.code) ? "true" : "false");
        });
        return element;
      }));
    }
    if (step === "thanks" || step === "already" || step === "pending") {
      $("rating-thanks").textContent = {already: t("already_rated"), pending: t("rating_pending")}[step] || t("thanks");
    }
    if (step === "error") $("rating-error").textContent = state.rating.error || t("rating_failed");
    if (step === "refused") {
      const code = `refused_${state.view.rating_error}`;
      $("rating-error").textContent = t("rating_refused", {reason: t(t(code) === code ? "refused_other" : code)});
      $("rating-retry").hidden = !state.view.can_rate;
    } else {
      $("rating-retry").hidden = false;
    }
  }

  function chooseScore(score) {
    const settings = state.view.rating || {low_score_max: 3};
    state.rating.score = score;
    if (score <= settings.low_score_max && (settings.reasons || []).length) {
      state.rating.step = "reasons";
      state.rating.reasons.clear();
      renderRating();
      return;
    }
    sendRating();
  }

  async function sendRating() {
    const rating = state.rating;
    const body = {token, score: rating.score, reasons: Array.from(rating.reasons), comment: $("comment").value.trim()};
    rating.step = "sending";
    renderRating();
    let answer;
    try {
      answer = await HangChoLive.api("POST", "/ratings", body);
    } catch (noAnswer) {
      answer = {ok: false, status: 0, data: null};
    }
    if (answer.status === 202) {
      // The province server keeps it until the site is back; the verdict comes with a later view.
      rating.step = "pending";
      state.view.rating_status = "pending";
      state.view.can_rate = false;
    } else if (answer.ok) {
      rating.step = "thanks";
      rating.justRated = true;
      state.view.rated = true;
      state.view.can_rate = false;
    } else if (answer.status === 409 && answer.data && answer.data.error === "already_rated") {
      // Rated meanwhile (another phone, the counter's terminal): thank them all the same.
      rating.step = "already";
      state.view.rated = true;
      state.view.can_rate = false;
    } else {
      rating.step = "error";
      rating.error = answer.data && answer.data.message ? `${t("rating_failed")} (${answer.data.message})` : t("rating_failed");
    }
    renderRating();
  }

  // ------------------------------------------------------------------ wiring

  $("language-toggle").addEventListener("click", () => {
    texts.setLanguage(texts.language === "vi" ? "en" : "vi");
    render();
  });
  $("send-rating").addEventListener("click", sendRating);
  $("change-score").addEventListener("click", () => { state.rating.step = null; renderRating(); });
  $("rating-retry").addEventListener("click", () => { state.rating.step = null; renderRating(); });

  texts.apply(document);
  render();
  HangChoLive.connect({
    url: config.namespace || undefined,
    auth: {ticket_token: token},
    offlineText: t("connection_lost"),
    onSnapshot: scheduleRefetch,
    onAnyEvent(name, payload) { if (concernsMe(name, payload)) scheduleRefetch(); },
  });
})();
