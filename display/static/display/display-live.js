/* Hàng Chờ displays: the state both display pages show, kept from `snapshot` + events, and the
   connection to the server (HangChoLive: websocket only, snapshot on every connect, refetch on a seq
   gap). No polling and no periodic HTTP: after the page and the voice pack have loaded, everything
   arrives over the socket.

   window.HangChoDisplay.applied lists what the page applied ({name, seq, id, at: Date.now() after the
   DOM was updated, renderMs: time spent applying it}), for tests and the latency benchmark. */
(function (global) {
  "use strict";

  /* The page's strings in its language (the page renders both; see server/i18n.py `catalogue`). */
  function texts(catalogue, lang) {
    const table = (catalogue && (catalogue[lang] || catalogue.vi)) || {};
    return {
      lang,
      t(key) { return table[key] !== undefined ? table[key] : key; },
      format(key, params) {
        return this.t(key).replace(/\{(\w+)\}/g, (whole, name) => (params[name] !== undefined ? String(params[name]) : whole));
      },
    };
  }

  /* The live state of a site as the displays need it. `apply` is idempotent for a given event: the
     connection drops duplicates by seq, and every change here sets values rather than adding to them. */
  class BoardState {
    constructor() {
      this.site = null;
      this.services = [];
      this.counters = new Map();
      this.recent = [];
      this.recentLimit = 8;
      this.notice = "";
      this.voice = {};
      this.serverOffsetMs = 0;
      this.timezone = "Asia/Ho_Chi_Minh";
    }

    fromSnapshot(snapshot) {
      this.site = snapshot.site || null;
      this.timezone = (snapshot.site && snapshot.site.timezone) || this.timezone;
      if (snapshot.server_time) this.serverOffsetMs = Date.parse(snapshot.server_time) - Date.now();
      this.services = (snapshot.services || []).filter((service) => service.active !== false)
        .map((service) => Object.assign({}, service));
      this.counters = new Map((snapshot.counters || []).map((counter) => [counter.id, Object.assign({}, counter)]));
      this.recent = (snapshot.recent_calls || []).map((call) => Object.assign({}, call));
      this.recentLimit = Math.max(this.recent.length, Number((snapshot.settings || {}).recent_calls) || 8);
      this.notice = snapshot.notice || "";
      this.voice = snapshot.voice || {};
    }

    now() { return new Date(Date.now() + this.serverOffsetMs); }

    applyWaiting(waiting) {
      if (!waiting) return;
      for (const service of this.services) {
        const count = waiting[String(service.id)];
        if (typeof count === "number") service.waiting = count;
      }
    }

    clearTicket(ticketId, exceptCounterId) {
      for (const counter of this.counters.values()) {
        if (counter.id !== exceptCounterId && counter.current_ticket && counter.current_ticket.id === ticketId) {
          counter.current_ticket = null;
        }
      }
    }

    /* Each counter's next ticket (the head of its calling order), for the counters the event touched. */
    applyNext(next) {
      if (!next) return;
      for (const [counterId, ticket] of Object.entries(next)) {
        const counter = this.counters.get(Number(counterId));
        if (counter) counter.next = ticket;
      }
    }

    /* Returns "snapshot" when only a fresh snapshot can bring the state up to date. */
    apply(name, event) {
      if (event) this.applyNext(event.next);
      switch (name) {
        case "ticket_issued":
        case "ticket_cancelled":
          this.applyWaiting(event.waiting);
          return "applied";
        case "ticket_called":
        case "ticket_recalled": {
          this.applyWaiting(event.waiting);
          const counter = this.counters.get(event.counter_id);
          if (!counter) return "snapshot";
          this.clearTicket(event.id, counter.id);
          counter.current_ticket = {id: event.id, number: event.number, status: "called", service_id: event.service_id,
                                    called_at: event.called_at};
          this.recent = this.recent.filter((call) => call.id !== event.id);
          this.recent.unshift({id: event.id, number: event.number, service_id: event.service_id, counter_id: event.counter_id,
                               counter_number: event.counter_number, called_at: event.called_at});
          this.recent.length = Math.min(this.recent.length, this.recentLimit);
          return "applied";
        }
        case "ticket_started": {
          const counter = this.counters.get(event.counter_id);
          if (counter && counter.current_ticket && counter.current_ticket.id === event.id) counter.current_ticket.status = "serving";
          return "applied";
        }
        case "ticket_finished":
        case "ticket_skipped":
        case "ticket_transferred":
          this.clearTicket(event.id, null);
          this.applyWaiting(event.waiting);
          return "applied";
        case "counter_status": {
          const counter = this.counters.get(event.counter_id);
          if (!counter) return "snapshot";
          counter.status = event.status;
          counter.pause_reason = event.pause_reason || null;
          return "applied";
        }
        case "notice_changed":
          if (typeof event.notice !== "string") return "snapshot";
          this.notice = event.notice;
          return "applied";
        case "tickets_expired":
        case "settings_changed":
          return "snapshot";
        default:
          return "ignored";
      }
    }
  }

  /* Formats the server's local time (the site's time zone, not the TV's). */
  function clockText(state, lang) {
    const now = state.now();
    const locale = lang === "en" ? "en-GB" : "vi-VN";
    try {
      return {
        time: new Intl.DateTimeFormat(locale, {timeZone: state.timezone, hour: "2-digit", minute: "2-digit", hour12: false}).format(now),
        date: new Intl.DateTimeFormat(locale, {timeZone: state.timezone, weekday: "long", day: "2-digit", month: "2-digit", year: "numeric"}).format(now),
      };
    } catch (unknownZone) {
      return {time: now.toTimeString().slice(0, 5), date: now.toDateString()};
    }
  }

  /* Ticks on each new minute of the local clock only: timers, never requests. */
  function startClock(state, lang, render) {
    function tick() {
      render(clockText(state, lang));
      global.setTimeout(tick, 1000 - ((Date.now() + state.serverOffsetMs) % 1000) + 5);
    }
    tick();
  }

  /* Shows a full-screen message (no key, key refused) in place of the board. */
  function showProblem(text) {
    let box = document.getElementById("display-problem");
    if (!box) {
      box = document.createElement("div");
      box.id = "display-problem";
      box.className = "display-problem";
      box.setAttribute("role", "alert");
      document.body.appendChild(box);
    }
    box.textContent = text;
    box.hidden = false;
  }

  /* Connects a display page. `render(state, change)` redraws; `onCall(event)` gets every call event. */
  function connectDisplay(options) {
    const state = new BoardState();
    const text = options.text;
    const record = {applied: [], snapshots: 0, state};
    global.HangChoDisplay = record;
    const key = global.HangChoLive.deviceKey();
    if (!key) {
      showProblem(text.t("no_key"));
      return null;
    }
    let live = null;
    function applied(name, event, startedAt) {
      const entry = {name, seq: event ? event.seq : null, id: event ? event.id : null, at: Date.now(),
                     renderMs: performance.now() - startedAt};
      record.applied.push(entry);
      if (record.applied.length > 500) record.applied.splice(0, record.applied.length - 500);
      document.documentElement.dataset.lastApplied = name + ":" + (entry.seq === null ? "" : entry.seq);
    }
    live = global.HangChoLive.connect({
      auth: {token: key},
      offlineText: text.t("offline"),
      onSnapshot(snapshot) {
        const startedAt = performance.now();
        state.fromSnapshot(snapshot);
        record.snapshots += 1;
        const problem = document.getElementById("display-problem");
        if (problem) problem.hidden = true;
        options.render(state, {name: "snapshot"});
        applied("snapshot", snapshot, startedAt);
        if (options.onSnapshot) options.onSnapshot(state, snapshot);
      },
      onAnyEvent(name, event) {
        const startedAt = performance.now();
        const outcome = state.apply(name, event);
        if (outcome === "snapshot") {
          live.requestSnapshot();
          return;
        }
        if (outcome !== "applied") return;
        options.render(state, {name, event});
        applied(name, event, startedAt);
        if ((name === "ticket_called" || name === "ticket_recalled") && options.onCall) options.onCall(name, event, state);
      },
      onAuthError(error) {
        if (error && error.error !== "no_site") showProblem(text.t("bad_key"));
      },
    });
    record.live = live;
    return {state, live};
  }

  global.HangChoDisplayLive = {texts, BoardState, clockText, startClock, connectDisplay};
})(window);
