/* The hall board: newest call (highlighted), latest calls, each counter's number and state, waiting
   counts per field, the site's local clock, the supervisor's notice line, and the voice call. */
(function (global) {
  "use strict";

  const config = JSON.parse(document.getElementById("display-config").textContent);
  const live = global.HangChoDisplayLive;
  const text = live.texts(config.strings, config.lang);
  const NOTICE_SPEED_PX_S = 110;
  const byId = (id) => document.getElementById(id);

  function element(tag, className, content) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (content !== undefined && content !== null) node.textContent = String(content);
    return node;
  }

  function counterLabel(number) {
    return text.t("counter") + " " + number;
  }

  function serviceName(service) {
    return text.lang === "en" && service.name_en ? service.name_en : service.name;
  }

  function renderHeader(state) {
    const site = state.site || {};
    byId("hall-centre").textContent = site.centre_name || site.name || "Hàng Chờ";
  }

  function renderNewest(state, change) {
    const newest = state.recent[0];
    const box = byId("newest");
    box.classList.toggle("is-empty", !newest);
    byId("newest-invite").textContent = newest ? text.t("invite") : text.t("no_calls");
    byId("newest-number").textContent = newest ? newest.number : "";
    byId("newest-number").dataset.ticketId = newest ? String(newest.id) : "";
    byId("newest-counter").textContent = newest ? newest.counter_number : "";
    box.dataset.digits = newest ? String(String(newest.number).length) : "0";
    const isCall = change.name === "ticket_called" || change.name === "ticket_recalled";
    if (isCall && newest && change.event.id === newest.id) {
      // Restart the attention animation (also on a recall of the same number).
      box.classList.remove("is-new");
      void box.offsetWidth;
      box.classList.add("is-new");
    }
  }

  function renderRecent(state) {
    const list = byId("recent-list");
    const rows = state.recent.slice(1, 7).map((call) => {
      const row = element("li", "hall-recent-row");
      row.dataset.ticketId = String(call.id);
      row.append(element("span", "hall-recent-number", call.number), element("span", "hall-recent-arrow", "→"),
                 element("span", "hall-recent-counter", counterLabel(call.counter_number)));
      return row;
    });
    list.replaceChildren(...rows);
    // Rows that do not fit entirely are hidden rather than cut in half.
    const bottom = list.parentElement.getBoundingClientRect().bottom;
    for (const row of rows) row.classList.toggle("is-clipped", row.getBoundingClientRect().bottom > bottom + 1);
  }

  function renderCounters(state) {
    const counters = Array.from(state.counters.values()).sort((a, b) => a.number - b.number);
    const rows = counters.map((counter) => {
      const row = element("li", "hall-counter is-" + counter.status);
      row.dataset.counterId = String(counter.id);
      row.append(element("span", "hall-counter-label", counterLabel(counter.number)));
      if (counter.status === "paused" || counter.status === "closed") {
        row.append(element("span", "hall-counter-state", text.t(counter.status)));
      } else {
        const current = counter.current_ticket;
        const number = element("span", "hall-counter-number", current ? current.number : "—");
        if (current) number.dataset.ticketId = String(current.id);
        row.append(number);
      }
      // The ticket this counter calls next (the head of the server's calling order): citizens can get ready.
      if (counter.status !== "closed" && counter.next) {
        const next = element("span", "hall-counter-next", text.t("next") + ": ");
        next.append(element("strong", "", counter.next.number));
        next.dataset.ticketId = String(counter.next.id);
        row.append(next);
      }
      return row;
    });
    byId("counter-list").replaceChildren(...rows);
  }

  function renderFields(state) {
    const rows = state.services.map((service) => {
      const row = element("li", "hall-field");
      row.dataset.serviceId = String(service.id);
      row.append(element("span", "hall-field-name", serviceName(service)),
                 element("span", "hall-field-count", service.waiting || 0));
      return row;
    });
    const list = byId("field-list");
    list.replaceChildren(...rows);
  }

  /* Long lists (many fields or counters) go to two columns rather than off the screen. */
  function fitSide() {
    const side = document.querySelector(".hall-side");
    const overflowing = () => side.scrollHeight > side.clientHeight + 1;
    byId("field-list").classList.remove("is-two-columns");
    byId("counter-list").classList.remove("is-two-columns");
    // Counters first: "Quầy 4  1005" fits half the width, a field's name ("Lao động – Việc làm") does not.
    if (overflowing()) byId("counter-list").classList.add("is-two-columns");
    if (overflowing()) byId("field-list").classList.add("is-two-columns");
  }

  let shownNotice = null;
  function renderNotice(state) {
    const notice = (state.notice || "").trim();
    const box = byId("notice");
    box.hidden = !notice || !byId("caption").hidden;
    if (notice === shownNotice) return;
    shownNotice = notice;
    byId("notice-text").textContent = notice;
    byId("notice-copy").textContent = notice;
    box.dataset.notice = notice;
    global.requestAnimationFrame(() => {
      // A short notice stands still; a long one scrolls at a constant speed whatever its length.
      const width = byId("notice-text").offsetWidth;
      box.classList.toggle("is-static", width <= box.clientWidth);
      const track = byId("notice-track");
      track.style.animationDuration = Math.max(8, width / NOTICE_SPEED_PX_S) + "s";
      track.style.animationName = "none";
      void track.offsetWidth;
      track.style.animationName = "";
    });
  }

  function render(state, change) {
    if (change.name === "snapshot") renderHeader(state);
    renderNewest(state, change);
    renderRecent(state);
    renderCounters(state);
    renderFields(state);
    renderNotice(state);
    fitSide();  // counters, hints and counts change what fits
  }

  function showCaption(captionText) {
    const caption = byId("caption");
    caption.hidden = !captionText;
    byId("caption-text").textContent = captionText || "";
    byId("notice").hidden = Boolean(captionText) || !shownNotice;
    document.documentElement.dataset.speaking = captionText ? "yes" : "no";
  }

  /* Whether the browser lets the board speak, told to the server (the dashboard shows "sound blocked"
     under device health) when it changes and again after every reconnect. */
  let sound = null;
  let connection = null;
  function reportSound() {
    if (!sound || !connection) return;
    connection.live.emit("display_health", {sound}).then((answer) => {
      global.HangChoDisplay.soundReport = Object.assign({sent: sound}, answer);
    });
  }

  document.documentElement.lang = text.lang;
  global.HangChoVoice.init({
    onCaption: showCaption,
    onLockChange(locked) {
      byId("audio-unlock").hidden = !locked;
      const now = locked ? "blocked" : "ok";
      if (now !== sound) {
        sound = now;
        reportSound();
      }
    },
  });
  byId("audio-unlock").addEventListener("click", () => { byId("audio-unlock").hidden = true; });

  connection = live.connectDisplay({
    text,
    render,
    onSnapshot(state) {
      reportSound();
      if (state.voice && state.voice.enabled !== false) {
        global.HangChoVoice.preload("/display/voice/packs/" + encodeURIComponent(state.voice.pack || "default") + "/");
      }
    },
    onCall(name, event) { global.HangChoVoice.announce(name === "ticket_recalled" ? "recalled" : "called", event); },
  });
  if (document.fonts) document.fonts.ready.then(fitSide);
  if (connection) {
    live.startClock(connection.state, text.lang, (clock) => {
      byId("clock-time").textContent = clock.time;
      byId("clock-date").textContent = clock.date;
    });
  }
})(window);
