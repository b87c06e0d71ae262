/* Hàng Chờ live client: one Socket.IO connection per screen (websocket transport), authenticated by
   a device key or staff token; applies `snapshot` on every (re)connect and asks for a fresh one when
   it sees a gap in `seq`; shows the "mất kết nối" mark while disconnected. No polling, ever.

   Usage:
     const live = HangChoLive.connect({
       auth: {token: key},                  // or {ticket_token: token} on the phone page
       onSnapshot(snapshot) {...},          // full state; called on every connect and after a gap
       on: {ticket_called(event) {...}},    // events applied on top of the snapshot
       onConnectionChange(connected) {...}, // optional
       offlineText: "Mất kết nối",          // text of the connection mark (from the page's catalogue)
       checkGaps: true,                     // false for clients outside the site room (rating terminal)
     });
*/
(function (global) {
  "use strict";

  function connect(options) {
    const handlers = options.on || {};
    let lastSeq = null;
    let mark = null;
    if (options.offlineText !== null) {
      mark = document.createElement("div");
      mark.className = "hc-connection";
      mark.setAttribute("role", "status");
      mark.textContent = options.offlineText || "Mất kết nối";
      mark.hidden = true;
      document.body.appendChild(mark);
    }
    const socket = global.io(options.url || undefined, {
      transports: ["websocket"],
      auth: options.auth,
      reconnection: true,
      reconnectionDelay: 500,
      reconnectionDelayMax: 5000,
      timeout: 8000,
    });

    function setConnected(connected) {
      if (mark) mark.hidden = connected;
      document.documentElement.dataset.connected = connected ? "yes" : "no";
      if (options.onConnectionChange) options.onConnectionChange(connected);
    }
    setConnected(false);

    socket.on("connect", () => setConnected(true));
    socket.on("disconnect", () => setConnected(false));
    socket.on("connect_error", (error) => {
      setConnected(false);
      if (options.onAuthError && error && error.data && error.data.error) options.onAuthError(error.data);
    });
    socket.on("snapshot", (snapshot) => {
      lastSeq = typeof snapshot.seq === "number" ? snapshot.seq : lastSeq;
      if (options.onSnapshot) options.onSnapshot(snapshot);
    });

    // Every event but the snapshot: check seq for gaps, then hand it to the screen.
    socket.onAny((name, payload) => {
      if (name === "snapshot") return;
      if (payload && typeof payload.seq === "number" && lastSeq !== null && options.checkGaps !== false) {
        if (!payload.transient && payload.seq <= lastSeq) return; // already in the snapshot, or a duplicate
        if (payload.seq > lastSeq + 1) {
          // We missed something: the snapshot is the truth; ask for it and drop this event.
          lastSeq = payload.seq;
          socket.emit("request_snapshot", {});
          return;
        }
        if (payload.seq > lastSeq) lastSeq = payload.seq;
      }
      if (name === "seq_advanced") return;
      const handler = handlers[name];
      if (handler) handler(payload);
      if (options.onAnyEvent) options.onAnyEvent(name, payload);
    });

    return {
      socket,
      get lastSeq() { return lastSeq; },
      requestSnapshot() { socket.emit("request_snapshot", {}); },
      emit(name, data) {
        return new Promise((resolve) => socket.timeout(8000).emit(name, data, (err, answer) => resolve(err ? {ok: false, error: "timeout"} : answer)));
      },
    };
  }

  /* The device key: given once as ?key=…, then remembered by this browser (localStorage). */
  function deviceKey() {
    const params = new URLSearchParams(global.location.search);
    const fromUrl = params.get("key");
    if (fromUrl) {
      global.localStorage.setItem("hangcho.deviceKey", fromUrl);
      params.delete("key");
      const rest = params.toString();
      global.history.replaceState(null, "", global.location.pathname + (rest ? "?" + rest : ""));
      return fromUrl;
    }
    return global.localStorage.getItem("hangcho.deviceKey");
  }

  /* The page's CSRF token (present when a staff session cookie exists), for requests the cookie authenticates. */
  function csrfToken() {
    const meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.content : "";
  }

  /* fetch() for the JSON API with the device key or staff token; resolves to {ok, status, data}. */
  async function api(method, path, body, credential, extraHeaders) {
    const headers = Object.assign({"Accept": "application/json"}, extraHeaders || {});
    if (credential) headers["Authorization"] = "Bearer " + credential;
    else if (csrfToken()) headers["X-CSRFToken"] = csrfToken();  // the session cookie acts: prove it is our page
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const lang = document.documentElement.lang || "vi";
    const separator = path.includes("?") ? "&" : "?";
    const response = await fetch("/api/v1" + path + separator + "lang=" + lang, {
      method, headers, credentials: "same-origin", body: body === undefined ? undefined : JSON.stringify(body),
    });
    let data = null;
    try { data = await response.json(); } catch (ignored) { data = null; }
    return {ok: response.ok, status: response.status, data};
  }

  global.HangChoLive = {connect, deviceKey, api};
})(window);
