/* Hàng Chờ voice player: plays each call's clips gaplessly with Web Audio, one call after another.

   - A voice pack (manifest.json + clips, served by this server: no internet) is fetched and decoded
     ONCE per page; AudioBuffers are cached.
   - A call's clips are scheduled back to back on the AudioContext timeline (sample-exact, no gaps).
   - Calls are QUEUED: a call that arrives while another plays waits its turn; none is cut off, and the
     next one never starts on the audio timeline before the previous one ended.
   - A recall is a new call: it is announced again.
   - Browser speech (a Vietnamese voice of speechSynthesis) is only the fallback when the pack or one
     of the call's clips cannot be loaded. Without a Vietnamese voice the call is shown, not spoken.
   - Browsers keep audio off until a user gesture unless started with autoplay allowed: the page then
     shows a one-time "tap to turn on the sound" banner, and calls wait (stale ones are dropped).

   State for tests: window.HangChoVoice = {queue, history, playing, unlocked, …};
   history entries: {id, number, counter, kind, clips, text, mode, queuedAt, startedAt, endedAt}
   (times from Date.now(); audioStart/audioEnd on the AudioContext clock). */
(function (global) {
  "use strict";

  const STALE_MS = 90 * 1000;     // a call still unspoken after this long is dropped (audio was locked)
  const LEAD_S = 0.06;             // schedule slightly ahead so the first clip is never clipped
  const GAP_BETWEEN_CALLS_S = 0.35;
  const WATCHDOG_MS = 2500;        // if "ended" never comes (no audio device), go on after this much more
  const HISTORY_LIMIT = 200;

  const queue = [];
  const history = [];
  const dropped = [];
  const packs = new Map();         // pack url → Promise of {ok, clips: {id: {buffer, gain, offset, duration}}, error}
  let playing = null;
  let audio = null;
  let lastAudioEnd = 0;
  let captionHandler = () => {};
  let lockHandler = () => {};

  function context() {
    if (audio) return audio;
    const AudioContextClass = global.AudioContext || global.webkitAudioContext;
    if (!AudioContextClass) return null;
    audio = new AudioContextClass({latencyHint: "playback"});
    audio.addEventListener("statechange", () => {
      lockHandler(!isUnlocked());
      pump();
    });
    return audio;
  }

  function isUnlocked() {
    const ctx = context();
    return ctx === null || ctx.state === "running";
  }

  function clipUrl(base, file) {
    return base + file.split("/").map(encodeURIComponent).join("/");
  }

  /* Loads and decodes a pack once; a failed load is forgotten so that the next call tries again. */
  function loadPack(url) {
    if (packs.has(url)) return packs.get(url);
    const ctx = context();
    const loading = (async () => {
      if (!ctx) return {ok: false, clips: {}, error: "no Web Audio"};
      const response = await fetch(url + "manifest.json", {credentials: "same-origin"});
      if (!response.ok) throw new Error("manifest " + response.status);
      const manifest = await response.json();
      const clips = {};
      const entries = Object.entries(manifest.clips || {});
      await Promise.all(entries.map(async ([id, entry]) => {
        try {
          const file = await fetch(clipUrl(url, entry.file), {credentials: "same-origin"});
          if (!file.ok) throw new Error(entry.file + " " + file.status);
          const buffer = await ctx.decodeAudioData(await file.arrayBuffer());
          const offset = Math.max(0, Number(entry.trim_start_ms || 0) / 1000);
          const duration = Math.max(0, buffer.duration - offset - Math.max(0, Number(entry.trim_end_ms || 0) / 1000));
          clips[id] = {buffer, offset, duration, gain: Math.pow(10, Number(entry.gain_db || 0) / 20)};
        } catch (error) {
          console.warn("voice clip " + id + " cannot be used:", error);
        }
      }));
      return {ok: true, clips, name: manifest.name || ""};
    })().catch((error) => {
      console.warn("voice pack " + url + " cannot be loaded:", error);
      packs.delete(url);
      return {ok: false, clips: {}, error: String(error)};
    });
    packs.set(url, loading);
    return loading;
  }

  /* Schedules the clips back to back; resolves when the last one has ended. */
  function playClips(entry, pack, ids) {
    const ctx = context();
    return new Promise((resolve) => {
      const start = Math.max(ctx.currentTime + LEAD_S, lastAudioEnd > 0 ? lastAudioEnd + GAP_BETWEEN_CALLS_S : 0);
      let at = start;
      let last = null;
      for (const id of ids) {
        const clip = pack.clips[id];
        const source = ctx.createBufferSource();
        source.buffer = clip.buffer;
        const gain = ctx.createGain();
        gain.gain.value = clip.gain;
        source.connect(gain).connect(ctx.destination);
        source.start(at, clip.offset, clip.duration);
        at += clip.duration;
        last = source;
      }
      lastAudioEnd = at;
      entry.audioStart = start;
      entry.audioEnd = at;
      entry.startedAt = Date.now() + (start - ctx.currentTime) * 1000;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        entry.endedAt = Math.max(Date.now(), entry.startedAt);
        resolve();
      };
      if (last) last.onended = finish;
      global.setTimeout(finish, (at - ctx.currentTime) * 1000 + WATCHDOG_MS);
    });
  }

  function vietnameseVoice() {
    if (!global.speechSynthesis) return null;
    const voices = global.speechSynthesis.getVoices().filter((voice) => /^vi\b|^vi[-_]/i.test(voice.lang));
    // Local voices only: a call must never depend on the internet.
    return voices.find((voice) => voice.localService) || null;
  }

  /* Fallback: the caption text said `times` times by a local Vietnamese voice, if there is one. */
  function speak(entry, text, times) {
    const voice = vietnameseVoice();
    entry.startedAt = Date.now();
    if (!voice) {
      entry.mode = "caption";
      return new Promise((resolve) => global.setTimeout(() => { entry.endedAt = Date.now(); resolve(); }, 4000));
    }
    entry.mode = "speech";
    return new Promise((resolve) => {
      let remaining = times;
      let finished = false;
      const finish = () => {
        if (finished) return;
        finished = true;
        entry.endedAt = Date.now();
        resolve();
      };
      const once = () => {
        const utterance = new SpeechSynthesisUtterance(text);
        utterance.lang = voice.lang;
        utterance.voice = voice;
        utterance.rate = 0.9;
        utterance.onend = () => { remaining -= 1; if (remaining > 0) once(); else finish(); };
        utterance.onerror = finish;
        global.speechSynthesis.speak(utterance);
      };
      once();
      // About 80 ms per character, generously; speech engines sometimes never send "end".
      global.setTimeout(finish, text.length * 80 * times + WATCHDOG_MS + 2000);
    });
  }

  async function play(call) {
    const entry = {
      id: call.id, seq: call.seq, number: call.number, counter: call.counter, kind: call.kind,
      clips: call.clips.slice(), text: call.text, mode: "", queuedAt: call.queuedAt, startedAt: null, endedAt: null,
    };
    history.push(entry);
    if (history.length > HISTORY_LIMIT) history.splice(0, history.length - HISTORY_LIMIT);
    playing = entry;
    const pack = call.clips.length && call.packUrl ? await loadPack(call.packUrl) : {ok: false, clips: {}};
    const playable = pack.ok && call.clips.length > 0 && call.clips.every((id) => pack.clips[id]);
    captionHandler(call.text, entry);
    try {
      if (playable) {
        entry.mode = "clips";
        await playClips(entry, pack, call.clips);
      } else {
        const times = call.clips.filter((id) => id === "pause").length + 1;
        await speak(entry, call.text, times);
      }
    } finally {
      captionHandler(null, entry);
    }
  }

  async function pump() {
    if (playing || queue.length === 0 || !isUnlocked()) return;
    const call = queue.shift();
    if (Date.now() - call.queuedAt > STALE_MS) {
      dropped.push(call);
      pump();
      return;
    }
    playing = {id: call.id};  // taken synchronously: a second pump() must not start another call
    try {
      await play(call);
    } catch (error) {
      console.warn("voice call failed:", error);
    } finally {
      playing = null;
      pump();
    }
  }

  /* Queues the announcement of a ticket_called / ticket_recalled event. */
  function announce(kind, event) {
    const announcement = event.announcement;
    if (!announcement || announcement.enabled === false) return false;
    queue.push({
      id: event.id, seq: event.seq, number: event.number, counter: event.counter_number, kind,
      clips: Array.isArray(announcement.clips) ? announcement.clips : [],
      text: announcement.text || "", packUrl: announcement.pack_url || "", queuedAt: Date.now(),
    });
    pump();
    return true;
  }

  /* Sets up the audio (and its unlock banner) and starts loading the pack before the first call. */
  function init(options) {
    captionHandler = options.onCaption || captionHandler;
    lockHandler = options.onLockChange || lockHandler;
    const ctx = context();
    const unlock = () => {
      if (ctx && ctx.state !== "running") ctx.resume().catch(() => {});
      if (global.speechSynthesis) global.speechSynthesis.getVoices();
    };
    for (const type of ["pointerdown", "keydown", "touchstart"]) {
      global.addEventListener(type, unlock, {capture: true, passive: true});
    }
    if (ctx) {
      // Let the context start by itself when autoplay is allowed; otherwise the banner asks for a tap.
      ctx.resume().catch(() => {});
      global.setTimeout(() => lockHandler(!isUnlocked()), 300);
    }
    if (global.speechSynthesis) global.speechSynthesis.getVoices();
  }

  global.HangChoVoice = {
    init,
    announce,
    preload: loadPack,
    get queue() { return queue; },
    get history() { return history; },
    get dropped() { return dropped; },
    get playing() { return playing; },
    get unlocked() { return isUnlocked(); },
    get audioState() { return audio ? audio.state : "none"; },
  };
})(window);
