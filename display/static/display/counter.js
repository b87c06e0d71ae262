/* One counter's display: its current number, huge, and the call line; "Tạm dừng" when paused.
   Silent by default (the hall board speaks); `?voice=1` makes it announce this counter's calls. */
(function (global) {
  "use strict";

  const config = JSON.parse(document.getElementById("display-config").textContent);
  const live = global.HangChoDisplayLive;
  const text = live.texts(config.strings, config.lang);
  const withVoice = new URLSearchParams(global.location.search).get("voice") === "1";
  const byId = (id) => document.getElementById(id);

  /* The call line with the number and the counter emphasised, built from the translated template. */
  function callLine(number, counterNumber) {
    const parts = text.t("call_line").split(/(\{number\}|\{counter\})/);
    return parts.filter((part) => part !== "").map((part) => {
      if (part === "{number}" || part === "{counter}") {
        const strong = document.createElement("strong");
        strong.textContent = String(part === "{number}" ? number : counterNumber);
        return strong;
      }
      return document.createTextNode(part);
    });
  }

  function render(state, change) {
    const counter = state.counters.get(config.counterId);
    const screen = byId("counter-screen");
    const numberBox = byId("counter-number");
    const stateBox = byId("counter-state");
    const reasonBox = byId("counter-reason");
    if (!counter) {
      screen.dataset.status = "missing";
      numberBox.textContent = "";
      stateBox.hidden = false;
      stateBox.textContent = "";
      reasonBox.hidden = false;
      reasonBox.textContent = text.t("no_counter");
      byId("counter-line").replaceChildren();
      return;
    }
    const stopped = counter.status === "paused" || counter.status === "closed";
    const current = stopped ? null : counter.current_ticket;
    // An open counter with nobody called says it is ready, so the screen never looks switched off.
    const idle = !stopped && !current;
    screen.dataset.status = idle ? "idle" : counter.status;
    numberBox.hidden = stopped || idle;
    numberBox.textContent = current ? current.number : "";
    numberBox.dataset.ticketId = current ? String(current.id) : "";
    stateBox.hidden = !stopped && !idle;
    stateBox.textContent = stopped ? text.t(counter.status) : idle ? text.t("idle") : "";
    stateBox.classList.toggle("is-closed", counter.status === "closed");
    stateBox.classList.toggle("is-idle", idle);
    reasonBox.hidden = !(counter.status === "paused" && counter.pause_reason);
    reasonBox.textContent = counter.status === "paused" ? counter.pause_reason || "" : "";
    const line = current ? callLine(current.number, counter.number) : idle ? [document.createTextNode(text.t("idle_hint"))] : [];
    byId("counter-line").replaceChildren(...line);
    const isCall = change.name === "ticket_called" || change.name === "ticket_recalled";
    if (isCall && current && change.event.id === current.id) {
      numberBox.classList.remove("is-new");
      void numberBox.offsetWidth;
      numberBox.classList.add("is-new");
    }
  }

  document.documentElement.lang = text.lang;
  if (withVoice) {
    global.HangChoVoice.init({onLockChange(locked) { byId("audio-unlock").hidden = !locked; }});
    byId("audio-unlock").addEventListener("click", () => { byId("audio-unlock").hidden = true; });
  }
  live.connectDisplay({
    text,
    render,
    onSnapshot(state) {
      if (withVoice && state.voice && state.voice.enabled !== false) {
        global.HangChoVoice.preload("/display/voice/packs/" + encodeURIComponent(state.voice.pack || "default") + "/");
      }
    },
    onCall(name, event) {
      if (withVoice && event.counter_id === config.counterId) {
        global.HangChoVoice.announce(name === "ticket_recalled" ? "recalled" : "called", event);
      }
    },
  });
})(window);
