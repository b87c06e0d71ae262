/* The page's language and its messages (a `<script type="application/json">` block from the i18n
   catalogue, server/i18n.catalogue): window.HangChoMessages(id) → {lang, t(key, params)}, shared by the
   province board and the public /wait page. */
(function (global) {
  "use strict";
  global.HangChoMessages = function (elementId) {
    const lang = document.documentElement.lang === "en" ? "en" : "vi";
    const catalogue = JSON.parse(document.getElementById(elementId).textContent);
    function t(key, params) {
      const text = (catalogue[lang] && catalogue[lang][key]) || (catalogue.vi && catalogue.vi[key]) || key;
      if (!params) return text;
      return text.replace(/%\((\w+)\)s/g, (m, name) => (name in params ? String(params[name]) : m));
    }
    return {lang, t};
  };
})(window);
