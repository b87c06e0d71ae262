/* Page texts in both languages (rendered by the server from the catalogue), switched without a reload.

   const texts = KioskTexts.create(config.texts, "vi");
   texts.t("waiting_count", {count: 3});   // "3 người đang chờ"
   texts.apply(document);                   // fills every [data-t] element
   texts.setLanguage("en");
*/
(function (global) {
  "use strict";

  function create(catalogue, initialLanguage) {
    let language = catalogue[initialLanguage] ? initialLanguage : "vi";

    function t(key, params) {
      const table = catalogue[language] || {};
      let text = table[key] !== undefined ? table[key] : (catalogue.vi || {})[key];
      if (text === undefined) text = key;
      if (params) text = text.replace(/%\((\w+)\)s/g, (whole, name) => (params[name] !== undefined ? String(params[name]) : ""));
      return text;
    }

    function apply(root) {
      root.querySelectorAll("[data-t]").forEach((element) => { element.textContent = t(element.dataset.t); });
    }

    function setLanguage(next) {
      language = catalogue[next] ? next : "vi";
      document.documentElement.lang = language;
      apply(document);
    }

    /* A data item's name in the current language (`name_en` falls back to the Vietnamese `name`). */
    function name(item, field) {
      const base = field || "name";
      if (!item) return "";
      if (language === "en" && item[base + "_en"]) return item[base + "_en"];
      return item[base] || "";
    }

    /* Friendly wait: "khoảng 15 phút", "dưới 1 phút", "khoảng 1 giờ 20 phút". */
    function wait(seconds, ahead) {
      if (!seconds || seconds <= 0) return ahead ? t("wait_under_minute") : t("wait_none");
      if (seconds < 60) return t("wait_under_minute");
      const minutes = Math.max(1, Math.round(seconds / 60));
      if (minutes < 60) return t("wait_minutes", {minutes});
      return t("wait_hours", {hours: Math.floor(minutes / 60), minutes: minutes % 60});
    }

    return {
      t, apply, setLanguage, name, wait,
      get language() { return language; },
    };
  }

  /* A random UUID (v4) for Idempotency-Key; crypto.randomUUID exists only on https or localhost. */
  function uuid() {
    const bytes = new Uint8Array(16);
    global.crypto.getRandomValues(bytes);
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }

  /* Local time of an ISO instant in the site's time zone: "07:30", "25/11/2026". */
  function localTime(iso, timeZone) {
    return new Intl.DateTimeFormat("vi-VN", {hour: "2-digit", minute: "2-digit", hour12: false, timeZone}).format(new Date(iso));
  }
  function localDate(iso, timeZone) {
    return new Intl.DateTimeFormat("vi-VN", {day: "2-digit", month: "2-digit", year: "numeric", timeZone}).format(new Date(iso));
  }
  /* The calendar day (YYYY-MM-DD) of an instant in the site's time zone. */
  function localDay(instant, timeZone) {
    return new Intl.DateTimeFormat("en-CA", {year: "numeric", month: "2-digit", day: "2-digit", timeZone}).format(instant);
  }

  global.KioskTexts = {create, uuid, localTime, localDate, localDay};
})(window);
