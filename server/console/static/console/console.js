/* Hàng Chờ counter console: one clerk, one counter.

   Live state comes over Socket.IO (HangChoLive.connect with the staff token): the clerk's snapshot is
   the counter snapshot; events update the waiting list directly or trigger a refetch of
   GET /api/v1/counters/<id>/snapshot (debounced). Every action is one REST call; a refusal (409
   ticket_handled_elsewhere, invalid_transition, …) is shown prominently in the server's words.
   The console never handles ratings: a clerk does not see a rating live. */
(function () {
  "use strict";

  const config = JSON.parse(document.getElementById("console-config").textContent);
  const strings = config.strings;
  const token = config.staffToken || window.sessionStorage.getItem("hangcho.staffToken") || "";
  const STORED_COUNTER = "hangcho.consoleCounter";
  let language = config.language === "en" ? "en" : "vi";

  const state = {
    counterId: null,      // the counter this console works
    snapshot: null,       // the latest counter snapshot applied
    appliedSeq: -1,       // seq of that snapshot
    highestEventSeq: -1,  // highest seq of an event seen, to spot a stale refetch
    offsetMs: 0,          // server time − browser time
    waiting: [],
    noShows: [],
    busy: false,
    chooserCounters: [],
  };

  const $ = (id) => document.getElementById(id);
  const t = (key) => (strings[language] && strings[language][key]) || strings.vi[key] || key;
  const format = (key, values) => t(key).replace(/\{(\w+)\}/g, (_, name) => (values[name] ?? ""));

  // ------------------------------------------------------------------ language

  function applyLanguage() {
    document.documentElement.lang = language;
    document.querySelectorAll("[data-t]").forEach((element) => { element.textContent = t(element.dataset.t); });
    const toggle = $("language-toggle");
    toggle.textContent = language === "vi" ? "English" : "Tiếng Việt";
    toggle.lang = language === "vi" ? "en" : "vi";
    document.title = t("title") + " · Hàng Chờ";
    render();
  }

  $("language-toggle").addEventListener("click", () => {
    language = language === "vi" ? "en" : "vi";
    document.cookie = "hangcho_lang=" + language + "; path=/; max-age=31536000; samesite=lax";
    applyLanguage();
  });

  // ------------------------------------------------------------------ messages

  let noticeTimer = null;
  function showError(message) {
    $("error-text").textContent = message;
    $("error-box").hidden = false;
    $("notice-box").hidden = true;
  }
  function clearError() { $("error-box").hidden = true; }
  $("error-close").addEventListener("click", clearError);

  function showNotice(message) {
    const box = $("notice-box");
    box.textContent = message;
    box.hidden = false;
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => { box.hidden = true; }, 6000);
  }

  // ------------------------------------------------------------------ the API

  async function call(method, path, body) {
    let answer;
    try {
      answer = await HangChoLive.api(method, path, body, token);
    } catch (error) {
      showError(t("network_error"));
      return null;
    }
    if (answer.status === 401) {
      window.location.assign("/login?next=/counter");
      return null;
    }
    if (!answer.ok) {
      showError((answer.data && answer.data.message) || t("network_error"));
      scheduleRefetch();
      return null;
    }
    clearError();
    return answer.data || {};
  }

  // ------------------------------------------------------------------ time

  function serverNow() { return Date.now() + state.offsetMs; }
  function noteServerTime(serverTime) {
    const parsed = Date.parse(serverTime || "");
    if (!Number.isNaN(parsed)) state.offsetMs = parsed - Date.now();
  }
  function duration(fromIso, toMs) {
    const from = Date.parse(fromIso || "");
    if (Number.isNaN(from)) return "–";
    const seconds = Math.max(0, Math.floor((toMs - from) / 1000));
    const hours = Math.floor(seconds / 3600);
    const minutes = Math.floor((seconds % 3600) / 60);
    const rest = String(seconds % 60).padStart(2, "0");
    return hours ? `${hours}:${String(minutes).padStart(2, "0")}:${rest}` : `${minutes}:${rest}`;
  }
  function minutesSince(iso) {
    const from = Date.parse(iso || "");
    if (Number.isNaN(from)) return "";
    return Math.max(0, Math.floor((serverNow() - from) / 60000)) + " " + t("minutes_short");
  }

  // ------------------------------------------------------------------ snapshot and events

  function serviceName(serviceId) {
    const services = (state.snapshot && state.snapshot.services) || [];
    const service = services.find((s) => s.id === serviceId);
    if (!service) return "";
    return language === "en" && service.name_en ? service.name_en : service.name;
  }
  function myServiceIds() {
    return (state.snapshot && state.snapshot.counter && state.snapshot.counter.service_ids) || [];
  }
  /* The waiting list is shown in the order the server's calling order gives (priority, fairness, field
     order, transfers to this counter): never re-sorted here, refetched when the line changes. */
  function touchesMyLine(event) {
    return myServiceIds().includes(event.service_id) || myServiceIds().includes(event.to_service_id) ||
      event.to_counter_id === state.counterId || state.waiting.some((ticket) => ticket.id === event.id);
  }

  function applyCounterSnapshot(snapshot) {
    if (!snapshot || !snapshot.counter) return;
    if (typeof snapshot.seq === "number" && snapshot.seq < state.appliedSeq) return;
    noteServerTime(snapshot.server_time);
    const counter = snapshot.counter;
    if (config.user.role === "clerk" && counter.clerk && counter.clerk.id !== config.user.id && counter.status !== "closed") {
      // Someone else now works this counter (or this clerk opened another one elsewhere).
      state.counterId = null;
      window.sessionStorage.removeItem(STORED_COUNTER);
      showChooser(snapshot.counters || []);
      return;
    }
    state.counterId = counter.id;
    state.snapshot = snapshot;
    state.appliedSeq = typeof snapshot.seq === "number" ? snapshot.seq : state.appliedSeq;
    state.waiting = (snapshot.waiting || []).slice();
    state.noShows = (snapshot.no_shows || []).slice();
    if (state.highestEventSeq > state.appliedSeq) scheduleRefetch();  // the answer predates an event
    showMain();
    render();
  }

  let refetchTimer = null;
  let refetching = false;
  function scheduleRefetch() {
    if (state.counterId === null) return;
    clearTimeout(refetchTimer);
    refetchTimer = setTimeout(refetch, 120);
  }
  async function refetch() {
    if (state.counterId === null) return;
    if (refetching) { scheduleRefetch(); return; }
    refetching = true;
    try {
      const answer = await HangChoLive.api("GET", `/counters/${state.counterId}/snapshot`, undefined, token);
      if (answer.ok) applyCounterSnapshot(answer.data);
      else if (answer.status === 401) window.location.assign("/login?next=/counter");
    } catch (error) {
      // The connection mark already says we are offline; the next (re)connect brings a snapshot.
    } finally {
      refetching = false;
    }
  }

  function seen(event) {
    if (event && typeof event.seq === "number" && !event.transient) {
      state.highestEventSeq = Math.max(state.highestEventSeq, event.seq);
      return event.seq <= state.appliedSeq;  // already in the snapshot we show
    }
    return false;
  }
  function concernsMe(event) { return state.counterId !== null && event.counter_id === state.counterId; }
  function removeWaiting(ticketId) { state.waiting = state.waiting.filter((ticket) => ticket.id !== ticketId); }

  const handlers = {
    ticket_issued(event) {
      if (seen(event) || state.counterId === null) return;
      if (touchesMyLine(event)) scheduleRefetch();
    },
    ticket_called(event) {
      if (seen(event)) return;
      const mine = concernsMe(event) || touchesMyLine(event);
      removeWaiting(event.id);
      renderLists();
      if (mine) scheduleRefetch();
    },
    ticket_recalled(event) { if (seen(event)) return; if (concernsMe(event)) scheduleRefetch(); },
    ticket_skipped(event) { if (!seen(event) && concernsMe(event)) scheduleRefetch(); },
    ticket_started(event) { if (!seen(event) && concernsMe(event)) scheduleRefetch(); },
    ticket_finished(event) { if (!seen(event) && concernsMe(event)) scheduleRefetch(); },
    ticket_transferred(event) {
      if (seen(event)) return;
      if (concernsMe(event) || touchesMyLine(event)) scheduleRefetch();
    },
    ticket_cancelled(event) {
      if (seen(event)) return;
      const mine = touchesMyLine(event);
      removeWaiting(event.id);
      renderLists();
      if (mine) scheduleRefetch();
    },
    tickets_expired(event) { if (!seen(event)) scheduleRefetch(); },
    counter_status(event) { if (!seen(event) && concernsMe(event)) scheduleRefetch(); },
  };

  function onSnapshot(snapshot) {
    noteServerTime(snapshot.server_time);
    if (snapshot.counter && (state.counterId === null || snapshot.counter.id === state.counterId)) {
      applyCounterSnapshot(snapshot);
      return;
    }
    if (state.counterId !== null) {
      scheduleRefetch();  // a supervisor's socket snapshot is the dashboard's: fetch the counter's
      return;
    }
    const wanted = Number(new URLSearchParams(window.location.search).get("counter") || window.sessionStorage.getItem(STORED_COUNTER) || 0);
    const counters = snapshot.counters || [];
    const known = counters.find((counter) => counter.id === wanted);
    if (known && config.user.role !== "clerk") {
      workCounter(known);
      return;
    }
    showChooser(counters);
  }

  // ------------------------------------------------------------------ choosing a counter

  function showChooser(counters) {
    state.chooserCounters = counters;
    $("console-main").hidden = true;
    $("counter-chooser").hidden = false;
    $("change-counter").hidden = true;
    $("close-counter").hidden = true;
    $("counter-status").hidden = true;
    $("counter-title").textContent = t("title");
    $("chooser-hint").dataset.t = config.user.role === "clerk" ? "choose_hint" : "choose_hint_supervisor";
    $("chooser-hint").textContent = t($("chooser-hint").dataset.t);
    renderChooser();
  }

  function renderChooser() {
    const list = $("chooser-list");
    list.replaceChildren();
    for (const counter of state.chooserCounters) {
      const item = document.createElement("li");
      const button = document.createElement("button");
      button.type = "button";
      button.className = "chooser-counter";
      const takenByOther = counter.clerk && counter.clerk.id !== config.user.id && counter.status !== "closed";
      button.disabled = config.user.role === "clerk" && Boolean(takenByOther);
      const title = document.createElement("strong");
      title.textContent = `${t("counter_no")} ${counter.number}`;
      const detail = document.createElement("span");
      detail.textContent = takenByOther ? format("counter_taken", {name: counter.clerk.full_name}) : t("counter_free");
      const status = document.createElement("span");
      status.className = "status-pill status-" + counter.status;
      status.textContent = t("counter_" + counter.status);
      button.append(title, detail, status);
      button.addEventListener("click", () => workCounter(counter));
      item.append(button);
      list.append(item);
    }
  }

  async function workCounter(counter) {
    const mine = counter.clerk && counter.clerk.id === config.user.id;
    if (counter.status === "closed" || (config.user.role === "clerk" && !mine)) {
      const opened = await call("POST", `/counters/${counter.id}/open`);
      if (!opened) return;
      showNotice(format("done_opened", {counter: counter.number}));
    }
    const joined = await live.emit("join_counter", {counter_id: counter.id});
    if (!joined || !joined.ok) {
      showError((joined && joined.message) || t("network_error"));
      return;
    }
    state.counterId = counter.id;
    state.appliedSeq = -1;
    window.sessionStorage.setItem(STORED_COUNTER, String(counter.id));
    await refetch();
  }

  $("change-counter").addEventListener("click", async () => {
    const answer = await call("GET", "/counters");
    if (answer) {
      state.counterId = null;
      window.sessionStorage.removeItem(STORED_COUNTER);
      showChooser(answer);
    }
  });

  // ------------------------------------------------------------------ rendering

  function showMain() {
    $("counter-chooser").hidden = true;
    $("console-main").hidden = false;
    $("change-counter").hidden = false;
    $("close-counter").hidden = false;
  }

  function current() {
    const counter = state.snapshot && state.snapshot.counter;
    return counter ? counter.current_ticket : null;
  }

  function render() {
    if (!state.snapshot) {
      if (!$("counter-chooser").hidden) renderChooser();
      return;
    }
    const counter = state.snapshot.counter;
    $("counter-title").textContent = `${t("counter_no")} ${counter.number}`;
    const pill = $("counter-status");
    pill.hidden = false;
    pill.className = "status-pill status-" + counter.status;
    pill.textContent = t("counter_" + counter.status);
    const banner = $("paused-banner");
    banner.hidden = counter.status === "open";
    banner.textContent = counter.status === "paused" ? format("paused_banner", {reason: counter.pause_reason || ""})
      : counter.status === "closed" ? t("closed_banner") : "";
    renderCurrent();
    renderButtons();
    renderLists();
  }

  function renderCurrent() {
    const ticket = current();
    $("current-empty").hidden = Boolean(ticket);
    $("current-ticket").hidden = !ticket;
    if (!ticket) { showDossierForm(false); dossier.ticketId = null; return; }
    $("current-number").textContent = ticket.number;
    $("current-field").textContent = serviceName(ticket.service_id);
    $("current-status").textContent = ticket.status === "serving" ? t("status_serving") : t("status_called");
    $("current-status").className = "current-status status-" + ticket.status;
    $("current-priority").hidden = !(ticket.priority_level > 0);
    $("current-priority").textContent = t("priority");
    $("call-count").textContent = ticket.call_count != null ? String(ticket.call_count) : "1";
    renderDossier(ticket);
    $("current-note").hidden = !ticket.transfer_note;
    $("current-note").textContent = ticket.transfer_note ? `${t("transfer_note_label")}: ${ticket.transfer_note}` : "";
    tick();
  }

  function tick() {
    const ticket = current();
    const now = serverNow();
    if (ticket) {
      const waitedUntil = ticket.started_at ? Date.parse(ticket.started_at) : now;
      $("timer-waited").textContent = duration(ticket.issued_at, waitedUntil);
      if (ticket.status === "serving") {
        $("timer-second-label").textContent = t("served");
        $("timer-second").textContent = duration(ticket.started_at, now);
      } else {
        $("timer-second-label").textContent = t("since_call");
        $("timer-second").textContent = duration(ticket.called_at, now);
      }
    }
    document.querySelectorAll("[data-waited-since]").forEach((element) => {
      element.textContent = minutesSince(element.dataset.waitedSince);
    });
  }
  setInterval(tick, 1000);

  function renderButtons() {
    const counter = state.snapshot && state.snapshot.counter;
    const ticket = current();
    const open = counter && counter.status === "open";
    const status = ticket ? ticket.status : null;
    const enabled = {
      call_next: Boolean(open),
      recall: status === "called",
      skip: status === "called",
      start: status === "called",
      finish: status === "called" || status === "serving",
      transfer: status === "called" || status === "serving",
      pause: Boolean(counter) && counter.status !== "closed",
    };
    for (const [action, on] of Object.entries(enabled)) {
      $("act-" + action).disabled = !on || state.busy;
    }
    const paused = counter && counter.status === "paused";
    $("pause-label").textContent = paused ? t("resume") : t("pause");
    $("pause-label").dataset.t = paused ? "resume" : "pause";
    $("act-pause").classList.toggle("act-resume", Boolean(paused));
    if (counter && counter.status === "closed") {
      $("act-call_next").disabled = false;  // the call button opens a closed counter first
      $("act-call_next").querySelector("[data-t]").textContent = t("open_counter");
    } else {
      $("act-call_next").querySelector("[data-t]").textContent = t("call_next");
    }
  }

  function ticketRow(ticket, withRecall) {
    const item = document.createElement("li");
    item.className = "ticket-row" + (ticket.priority_level > 0 ? " is-priority" : "");
    item.dataset.ticketId = String(ticket.id);
    const number = document.createElement("span");
    number.className = "row-number";
    number.textContent = ticket.number;
    const info = document.createElement("span");
    info.className = "row-info";
    const field = document.createElement("span");
    field.className = "row-field";
    field.textContent = serviceName(ticket.service_id);
    info.append(field);
    if (ticket.priority_level > 0) {
      const badge = document.createElement("span");
      badge.className = "badge-priority";
      badge.textContent = t("priority");
      info.append(badge);
    }
    if (ticket.target_counter_id && ticket.target_counter_id === state.counterId) {
      const badge = document.createElement("span");
      badge.className = "badge-reserved";
      badge.textContent = t("reserved");
      info.append(badge);
    }
    item.append(number, info);
    if (withRecall) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "row-recall";
      button.textContent = t("recall_no_show");
      button.disabled = !(state.snapshot && state.snapshot.counter.status === "open") || state.busy;
      button.addEventListener("click", () => recallNoShow(ticket));
      item.append(button);
    } else {
      const waited = document.createElement("span");
      waited.className = "row-waited";
      waited.dataset.waitedSince = ticket.issued_at;
      waited.textContent = minutesSince(ticket.issued_at);
      item.append(waited);
    }
    return item;
  }

  function renderLists() {
    if (!state.snapshot) return;
    $("waiting-list").replaceChildren(...state.waiting.map((ticket) => ticketRow(ticket, false)));
    $("waiting-count").textContent = String(state.waiting.length);
    $("waiting-empty").hidden = state.waiting.length > 0;
    $("no-show-list").replaceChildren(...state.noShows.map((ticket) => ticketRow(ticket, true)));
    $("no-show-count").textContent = String(state.noShows.length);
    $("no-shows-empty").hidden = state.noShows.length > 0;
  }

  // ------------------------------------------------------------------ actions

  async function act(work) {
    if (state.busy || state.counterId === null) return;
    state.busy = true;
    renderButtons();
    try {
      await work();
    } finally {
      state.busy = false;
      renderButtons();
      renderLists();
      scheduleRefetch();
    }
  }

  const actions = {
    call_next: () => act(async () => {
      const counter = state.snapshot.counter;
      if (counter.status === "closed") {
        if (await call("POST", `/counters/${counter.id}/open`)) showNotice(format("done_opened", {counter: counter.number}));
        return;
      }
      const ticket = await call("POST", `/counters/${state.counterId}/call-next`);
      if (ticket) showNotice(format("done_called", {number: ticket.number}));
    }),
    recall: () => ticketAction("recall", "done_recalled"),
    skip: () => ticketAction("skip", "done_skipped"),
    start: () => ticketAction("start", "done_started"),
    finish: () => ticketAction("finish", "done_finished"),
    transfer: () => openTransfer(),
    pause: () => {
      const counter = state.snapshot && state.snapshot.counter;
      if (!counter) return;
      if (counter.status === "paused") {
        act(async () => { if (await call("POST", `/counters/${counter.id}/resume`)) showNotice(t("done_resumed")); });
      } else {
        openPause();
      }
    },
  };

  function ticketAction(verb, doneKey) {
    const ticket = current();
    if (!ticket) return;
    return act(async () => {
      const answer = await call("POST", `/tickets/${ticket.id}/${verb}`);
      if (answer) showNotice(format(doneKey, {number: answer.number || ticket.number}));
    });
  }

  function recallNoShow(ticket) {
    return act(async () => {
      const answer = await call("POST", `/tickets/${ticket.id}/recall`, {counter_id: state.counterId});
      if (answer) showNotice(format("done_recalled", {number: answer.number || ticket.number}));
    });
  }

  document.querySelectorAll(".act").forEach((button) => {
    button.addEventListener("click", () => { if (!button.disabled) actions[button.dataset.action](); });
  });

  $("close-counter").addEventListener("click", () => {
    const counter = state.snapshot && state.snapshot.counter;
    if (!counter || !window.confirm(t("confirm_close"))) return;
    act(async () => { if (await call("POST", `/counters/${counter.id}/close`)) showNotice(t("done_closed")); });
  });

  $("log-out").addEventListener("click", async () => {
    try { await HangChoLive.api("POST", "/auth/logout", undefined, token); } catch (ignored) { /* leave anyway */ }
    window.sessionStorage.removeItem("hangcho.staffToken");
    window.sessionStorage.removeItem(STORED_COUNTER);
    window.location.assign("/login?next=/counter");
  });

  // ------------------------------------------------------------------ dialogs

  function openTransfer() {
    const ticket = current();
    if (!ticket) return;
    $("transfer-note").value = "";
    document.querySelector('input[name="transfer-kind"][value="field"]').checked = true;
    fillTransferTargets();
    $("transfer-dialog").showModal();
    $("transfer-target").focus();
  }

  function fillTransferTargets() {
    const kind = document.querySelector('input[name="transfer-kind"]:checked').value;
    const select = $("transfer-target");
    const ticket = current();
    const options = [];
    if (kind === "field") {
      for (const service of state.snapshot.services || []) {
        if (!service.active || (ticket && service.id === ticket.service_id)) continue;
        options.push([service.id, language === "en" && service.name_en ? service.name_en : service.name]);
      }
    } else {
      for (const counter of state.snapshot.counters || []) {
        if (counter.id === state.counterId) continue;
        const clerk = counter.clerk ? " – " + counter.clerk.full_name : "";
        options.push([counter.id, `${t("counter_no")} ${counter.number}${clerk} (${t("counter_" + counter.status)})`]);
      }
    }
    select.replaceChildren(...options.map(([value, label]) => {
      const option = document.createElement("option");
      option.value = String(value);
      option.textContent = label;
      return option;
    }));
  }
  document.querySelectorAll('input[name="transfer-kind"]').forEach((radio) => radio.addEventListener("change", fillTransferTargets));
  $("transfer-cancel").addEventListener("click", () => $("transfer-dialog").close());
  $("transfer-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const ticket = current();
    const target = Number($("transfer-target").value);
    if (!ticket || !target) return;
    const kind = document.querySelector('input[name="transfer-kind"]:checked').value;
    const body = {note: $("transfer-note").value.trim()};
    body[kind === "field" ? "service_id" : "counter_id"] = target;
    $("transfer-dialog").close();
    act(async () => {
      const answer = await call("POST", `/tickets/${ticket.id}/transfer`, body);
      if (answer) showNotice(format("done_transferred", {number: answer.number || ticket.number}));
    });
  });

  let chosenReason = null;
  function openPause() {
    chosenReason = null;
    $("pause-other").value = "";
    $("pause-error").hidden = true;
    document.querySelectorAll(".reason-choice").forEach((button) => button.setAttribute("aria-pressed", "false"));
    $("pause-dialog").showModal();
    const first = document.querySelector(".reason-choice");
    if (first) first.focus();
  }
  document.querySelectorAll(".reason-choice").forEach((button) => {
    button.addEventListener("click", () => {
      chosenReason = button.dataset.reason;
      document.querySelectorAll(".reason-choice").forEach((other) => other.setAttribute("aria-pressed", String(other === button)));
      $("pause-other").value = "";
    });
  });
  $("pause-other").addEventListener("input", () => {
    if ($("pause-other").value.trim()) {
      chosenReason = null;
      document.querySelectorAll(".reason-choice").forEach((other) => other.setAttribute("aria-pressed", "false"));
    }
  });
  $("pause-cancel").addEventListener("click", () => $("pause-dialog").close());
  $("pause-form").addEventListener("submit", (event) => {
    event.preventDefault();
    // Preset reasons are stored in Vietnamese, the language of the centre's records.
    const reason = $("pause-other").value.trim() || (chosenReason ? strings.vi[chosenReason] : "");
    if (!reason) {
      $("pause-error").textContent = t("pause_reason_needed");
      $("pause-error").hidden = false;
      return;
    }
    $("pause-dialog").close();
    act(async () => {
      if (await call("POST", `/counters/${state.counterId}/pause`, {reason})) showNotice(t("done_paused"));
    });
  });

  // ------------------------------------------------------------------ the dossier behind the visit

  /* One field and one key: the code typed, or scanned by a USB barcode scanner (which types it and
     presses Enter), then Enter. The outcome defaults to "received"; "returned" asks for the papers. */
  const dossier = {ticketId: null, saved: null};

  function chosenOutcome() {
    const checked = document.querySelector('input[name="dossier-outcome"]:checked');
    return checked ? checked.value : "received";
  }

  function renderDossier(ticket) {
    const form = $("dossier-form");
    showDossierForm(ticket.status === "called" || ticket.status === "serving");
    if (dossier.ticketId !== ticket.id) {
      dossier.ticketId = ticket.id;
      dossier.saved = null;
      $("dossier-code").value = ticket.dossier_code || "";
      document.querySelector('input[name="dossier-outcome"][value="received"]').checked = true;
      document.querySelectorAll('input[name="dossier-missing"]').forEach((box) => { box.checked = false; });
      $("dossier-saved").hidden = true;
    }
    $("dossier-missing").hidden = chosenOutcome() !== "returned";
    document.querySelectorAll(".missing-label").forEach((label) => {
      label.textContent = language === "en" ? label.dataset.en : label.dataset.vi;
    });
    if (dossier.saved) showDossierSaved(dossier.saved);
  }

  function showDossierForm(shown) {
    $("dossier-form").hidden = !shown;
    $("console-main").classList.toggle("has-dossier", shown);
  }

  function showDossierSaved(visit) {
    const lines = [format("dossier_saved", {code: visit.code, outcome: t("outcome_" + visit.outcome)})];
    if (visit.repeat) lines.push(format("dossier_repeat", {n: visit.visit_number}));
    if (visit.breach) lines.push(t("dossier_breach"));
    const box = $("dossier-saved");
    box.textContent = lines.join(" ");
    box.classList.toggle("is-breach", Boolean(visit.breach));
    box.hidden = false;
  }

  document.querySelectorAll('input[name="dossier-outcome"]').forEach((radio) => radio.addEventListener("change", () => {
    $("dossier-missing").hidden = chosenOutcome() !== "returned";
  }));

  $("dossier-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const ticket = current();
    const code = $("dossier-code").value.trim();
    if (!ticket || !code) { $("dossier-code").focus(); return; }
    const outcome = chosenOutcome();
    const missing = Array.from(document.querySelectorAll('input[name="dossier-missing"]:checked')).map((box) => box.value);
    if (outcome === "returned" && missing.length === 0) {
      $("dossier-missing").hidden = false;
      showError(t("missing_needed"));
      const first = document.querySelector('input[name="dossier-missing"]');
      if (first) first.focus();
      return;
    }
    act(async () => {
      const body = {code, outcome, missing};
      const keyField = $("dossier-citizen-key");
      if (keyField && keyField.value.trim()) body.citizen_key = keyField.value.trim();
      const visit = await call("POST", `/tickets/${ticket.id}/dossier`, body);
      if (keyField) keyField.value = "";  // the number leaves the screen; only its code is kept
      if (!visit) return;
      dossier.saved = visit;
      $("dossier-code").value = visit.code;
      showDossierSaved(visit);
      $("dossier-code").blur();  // the letter shortcuts work again
    });
  });
  // Enter on an outcome or a paper saves too (the form's own submit covers the code field).
  $("dossier-form").addEventListener("keydown", (event) => {
    if (event.key === "Enter" && event.target.tagName === "INPUT" && event.target.type !== "text" && event.target.id !== "dossier-code") {
      event.preventDefault();
      $("dossier-form").requestSubmit();
    }
  });

  /* A barcode scanner types far faster than a person: printable keys less than SCAN_GAP_MS apart,
     outside any field, are a scan and go into the dossier field instead of being taken as shortcuts
     (a code holding an X must not finish the ticket). A single letter still acts, SCAN_GAP_MS later. */
  const SCAN_GAP_MS = 35;
  const scan = {buffer: "", last: 0, pending: null};
  function dossierFieldUsable() { return !$("dossier-form").hidden && !$("console-main").hidden; }
  function takeScannedKey(key) {
    const now = performance.now();
    const burst = scan.buffer && now - scan.last < SCAN_GAP_MS;
    scan.last = now;
    if (!burst) {
      scan.buffer = key;
      return false;
    }
    clearTimeout(scan.pending);
    scan.pending = null;
    scan.buffer += key;
    const field = $("dossier-code");
    field.value = scan.buffer;
    field.focus();
    field.setSelectionRange(field.value.length, field.value.length);
    return true;
  }

  // ------------------------------------------------------------------ my weeks (never live, never per ticket)

  function minutesAndSeconds(seconds) {
    if (seconds === null || seconds === undefined) return t("trend_none");
    const whole = Math.round(seconds);
    return `${Math.floor(whole / 60)}:${String(whole % 60).padStart(2, "0")}`;
  }
  function share(value) { return value === null || value === undefined ? t("trend_none") : Math.round(value * 100) + "%"; }
  function shortDate(iso) { return iso.split("-").reverse().slice(0, 2).join("/"); }

  function cell(text, className, sub) {
    const td = document.createElement("td");
    if (className) td.className = className;
    const main = document.createElement("span");
    main.textContent = text;
    td.append(main);
    if (sub) {
      const small = document.createElement("small");
      small.textContent = sub;
      td.append(small);
    }
    return td;
  }

  async function openTrend() {
    const trend = await call("GET", "/me/weekly-summary");
    if (!trend) return;
    $("trend-note").textContent = format("trend_note", {min: trend.min_ratings});
    const rows = trend.weeks.map((week) => {
      const row = document.createElement("tr");
      const label = document.createElement("th");
      label.scope = "row";
      label.textContent = `${shortDate(week.from)} – ${shortDate(week.to)}`;
      const reasons = week.top_reasons.map((reason) => (language === "en" ? reason.label_en : reason.label)).join(", ");
      row.append(
        label,
        cell(String(week.served), "num", format("trend_site", {value: week.site_median_served ?? t("trend_none")})),
        cell(minutesAndSeconds(week.service_p50_s), "num", format("trend_site", {value: minutesAndSeconds(week.site_median_service_p50_s)})),
        week.enough_ratings
          ? cell(share(week.satisfaction_rate), "num", format("trend_site", {value: share(week.site_median_satisfaction_rate)}))
          : cell(format("trend_not_enough", {min: trend.min_ratings}), "num trend-muted"),
        cell(week.enough_ratings ? (reasons || t("trend_none")) : t("trend_none")),
      );
      return row;
    });
    document.querySelector("#trend-table tbody").replaceChildren(...rows);
    $("trend-dialog").showModal();
  }
  $("my-week").addEventListener("click", openTrend);
  $("trend-close").addEventListener("click", () => $("trend-dialog").close());

  // ------------------------------------------------------------------ keyboard

  const SHORTCUTS = {
    F1: "call_next", n: "call_next", F2: "recall", r: "recall", F3: "skip", v: "skip", F4: "start", b: "start",
    F6: "finish", x: "finish", F7: "transfer", c: "transfer", F8: "pause", p: "pause",
  };
  document.addEventListener("keydown", (event) => {
    if (event.ctrlKey || event.altKey || event.metaKey) return;  // Ctrl+R, Ctrl+C… keep their meaning
    if (document.querySelector("dialog[open]")) return;         // typing a note or a reason
    const target = event.target;
    const typing = target && (target.isContentEditable || ["INPUT", "TEXTAREA", "SELECT"].includes(target.tagName));
    const isFunctionKey = /^F\d+$/.test(event.key);
    if (typing && !isFunctionKey) return;
    if (event.key === "F9") {
      event.preventDefault();
      if (dossierFieldUsable()) $("dossier-code").focus();
      return;
    }
    if (!isFunctionKey && event.key.length === 1 && dossierFieldUsable()) {
      if (takeScannedKey(event.key)) { event.preventDefault(); return; }
      const later = SHORTCUTS[event.key.toLowerCase()];
      if (later) {
        event.preventDefault();
        clearTimeout(scan.pending);
        scan.pending = setTimeout(() => { scan.pending = null; press(later); }, SCAN_GAP_MS);
      }
      return;
    }
    const action = SHORTCUTS[isFunctionKey ? event.key : event.key.toLowerCase()];
    if (!action) return;
    event.preventDefault();
    press(action);
  });

  function press(action) {
    if ($("console-main").hidden) return;
    const button = $("act-" + action);
    if (button && !button.disabled) {
      button.classList.add("is-pressed");
      setTimeout(() => button.classList.remove("is-pressed"), 150);
      actions[action]();
    }
  }

  // ------------------------------------------------------------------ start

  if (!token) {
    window.location.assign("/login?next=/counter");
    return;
  }
  const live = HangChoLive.connect({
    auth: {token},
    onSnapshot,
    on: handlers,
    offlineText: t("offline"),
    onAuthError() { window.location.assign("/login?next=/counter"); },
  });
  window.HangChoConsole = {state, live};
  applyLanguage();
})();
