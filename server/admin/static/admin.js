/* Administration pages: each section reads its data from /api/v1/admin/… and changes it through the same
   API (which validates, audits and tells every screen to refresh). Secrets (passwords, device keys) are
   shown once, in a dialog. */
(function () {
  "use strict";
  const {t, api, number, element} = window.HangChoStaff;
  const main = document.getElementById("admin");
  const content = document.getElementById("admin-content");
  const statusLine = document.getElementById("admin-status");
  const dialog = document.getElementById("admin-dialog");
  const section = main.dataset.section;
  const lang = window.HangChoStaff.lang;

  // ------------------------------------------------------------------ small helpers

  function say(text, ok) {
    statusLine.hidden = !text;
    statusLine.textContent = text || "";
    statusLine.className = "admin-status " + (ok === false ? "is-error" : "is-ok");
  }

  async function call(method, path, body) {
    const answer = await api(method, path, body);
    if (!answer.ok) throw answer;
    return answer.data;
  }

  function problem(answer) {
    return answer && answer.data && answer.data.message ? answer.data.message : String(answer && answer.status);
  }

  function button(text, onclick, kind) {
    return element("button", {type: "button", class: `btn ${kind || "btn-secondary"} btn-small`, onclick}, text);
  }

  function table(headers, rows) {
    return element("table", {class: "data-table admin-table"},
      element("thead", {}, element("tr", {}, headers.map((h) => element("th", {scope: "col"}, h)))),
      element("tbody", {}, rows));
  }

  function yesNo(value) {
    return element("span", {class: `status-badge ${value ? "status-open" : "status-closed"}`}, t(value ? "in_use" : "not_in_use"));
  }

  /* A field of a form: {name, label, type: text|number|select|checkbox|time|date|textarea, options, help} */
  function input(field, value) {
    const id = `field-${field.name}`;
    let control;
    if (field.type === "select") {
      control = element("select", {id, name: field.name},
        field.options.map(([optionValue, label]) => element("option", {value: optionValue, selected: String(optionValue) === String(value)}, label)));
    } else if (field.type === "checkbox") {
      control = element("input", {id, name: field.name, type: "checkbox", checked: Boolean(value)});
    } else if (field.type === "textarea") {
      control = element("textarea", {id, name: field.name, rows: field.rows || 6}, value === undefined || value === null ? "" : String(value));
    } else {
      control = element("input", {id, name: field.name, type: field.type || "text", value: value === undefined || value === null ? "" : value,
        min: field.min, max: field.max, step: field.step, required: field.required, maxlength: field.maxlength});
    }
    const wrapper = element("div", {class: `form-row ${field.type === "checkbox" ? "form-check" : ""}`, "data-field": field.name},
      element("label", {for: id}, field.label), control,
      field.help ? element("p", {class: "muted form-help"}, field.help) : null,
      element("p", {class: "error-text field-error", hidden: true}));
    return wrapper;
  }

  function read(container, fields) {
    const values = {};
    for (const field of fields) {
      const control = container.querySelector(`[name="${field.name}"]`);
      if (!control) continue;
      if (field.type === "checkbox") values[field.name] = control.checked;
      else if (field.type === "number") values[field.name] = control.value === "" ? null : Number(control.value);
      else values[field.name] = control.value.trim();
    }
    return values;
  }

  function showFieldErrors(container, answer) {
    for (const node of container.querySelectorAll(".field-error")) { node.hidden = true; node.textContent = ""; }
    const fields = (answer && answer.data && answer.data.fields) || {};
    for (const [location, text] of Object.entries(fields)) {
      const name = location.split(".").filter((part) => !/^\d+$/.test(part)).pop();
      const slot = container.querySelector(`[data-field="${name}"] .field-error`);
      if (slot) { slot.textContent = text; slot.hidden = false; }
    }
  }

  /* A dialog with a form; `submit(values)` returns a promise; errors stay in the dialog. */
  function openForm(title, fields, initial, submit) {
    document.getElementById("dialog-title").textContent = title;
    const bodyNode = document.getElementById("dialog-body");
    bodyNode.replaceChildren(...fields.map((field) => input(field, (initial || {})[field.name])));
    const errorNode = document.getElementById("dialog-error");
    errorNode.hidden = true;
    const actions = document.getElementById("dialog-actions");
    const save = element("button", {type: "submit", class: "btn btn-primary", value: "save"}, t("save"));
    const cancel = element("button", {type: "button", class: "btn btn-secondary", onclick: () => dialog.close()}, t("cancel"));
    actions.replaceChildren(save, cancel);
    const form = document.getElementById("dialog-form");
    form.onsubmit = async (event) => {
      event.preventDefault();
      save.disabled = true;
      try {
        const after = await submit(read(bodyNode, fields));
        dialog.close();
        if (typeof after === "function") after();  // e.g. show a new password once the form is closed
      } catch (answer) {
        errorNode.textContent = problem(answer);
        errorNode.hidden = false;
        showFieldErrors(bodyNode, answer);
      } finally {
        save.disabled = false;
      }
    };
    dialog.showModal();
  }

  /* A password or device key, shown once. */
  function showSecret(title, secret, note) {
    document.getElementById("dialog-title").textContent = title;
    document.getElementById("dialog-body").replaceChildren(...[
      element("p", {class: "secret", "data-secret": secret}, secret),
      element("p", {class: "secret-note"}, t("secret_once")),
      note ? element("p", {class: "muted"}, note) : null].filter(Boolean));
    document.getElementById("dialog-error").hidden = true;
    document.getElementById("dialog-actions").replaceChildren(
      element("button", {type: "button", class: "btn btn-primary", onclick: () => dialog.close()}, t("close")));
    document.getElementById("dialog-form").onsubmit = (event) => { event.preventDefault(); dialog.close(); };
    dialog.showModal();
  }

  async function refresh() {
    try {
      await renderers[section]();
      document.documentElement.dataset.ready = "yes";
    } catch (answer) {
      say(t("failed", {message: problem(answer)}), false);
    }
  }

  async function change(work, message) {
    try {
      const result = await work();
      say(message || t("saved"), true);
      await refresh();
      return result;
    } catch (answer) {
      say(t("failed", {message: problem(answer)}), false);
      return null;
    }
  }

  /* For dialog forms: errors reach the dialog, which stays open and shows them. */
  async function apply(work) {
    const result = await work();
    say(t("saved"), true);
    await refresh();
    return result;
  }

  const roleOptions = ["clerk", "supervisor", "admin", "inspector", "leader"].map((role) => [role, t(`role_${role}`)]);
  const kindOptions = ["kiosk", "display", "rating_terminal", "bridge"].map((kind) => [kind, t(`kind_${kind}`)]);
  const weekdayOptions = [0, 1, 2, 3, 4, 5, 6].map((day) => [day, t(`weekday_${day}`)]);

  // ------------------------------------------------------------------ sections

  const fieldFields = [
    {name: "code", label: t("code"), required: true, maxlength: 32},
    {name: "name", label: t("name"), required: true, maxlength: 200},
    {name: "name_en", label: t("name_en"), maxlength: 200},
    {name: "group_name", label: t("group_name"), maxlength: 120},
    {name: "number_prefix", label: t("number_prefix"), maxlength: 8},
    {name: "number_start", label: t("number_start"), type: "number", min: 0},
    {name: "number_end", label: t("number_end"), type: "number", min: 0},
    {name: "number_width", label: t("number_width"), type: "number", min: 0, max: 8},
    {name: "daily_quota", label: t("daily_quota"), type: "number", min: 1, help: t("no_quota")},
    {name: "average_service_s", label: t("average_service_s"), type: "number", min: 10},
  ];

  const renderers = {
    async services() {
      const services = await call("GET", "/admin/services");
      const rows = services.map((s) => element("tr", {"data-id": s.id},
        element("td", {}, s.code), element("th", {scope: "row"}, s.name, s.name_en ? element("small", {class: "muted"}, ` · ${s.name_en}`) : null,
          s.from_province ? element("span", {class: "province-badge"}, t("from_province")) : null),
        element("td", {}, s.group_name),
        element("td", {}, `${s.number_prefix}${String(s.number_start).padStart(s.number_width, "0")}–${s.number_prefix}${String(s.number_end).padStart(s.number_width, "0")}`),
        element("td", {class: "num"}, s.daily_quota === null ? t("no_quota") : number(s.daily_quota)),
        element("td", {}, s.awaiting_counter ? t("awaiting_counter") : yesNo(s.active)),
        element("td", {class: "actions"},
          button(t("edit"), () => openForm(t("edit_field"), fieldFields.filter((f) => f.name !== "code").concat([{name: "active", label: t("active"), type: "checkbox"}]), s,
            (values) => apply(() => call("PATCH", `/admin/services/${s.id}`, {...values, clear_quota: values.daily_quota === null, daily_quota: values.daily_quota ?? undefined})))))));
      const fileInput = element("input", {type: "file", accept: ".csv,text/csv", id: "csv-file"});
      const csvText = element("textarea", {id: "csv-text", rows: 4, placeholder: "code,name,name_en,group,prefix,start,end\nYT,Y tế – BHYT,Health insurance,Xã hội,C,1,999"});
      fileInput.addEventListener("change", async () => { if (fileInput.files[0]) csvText.value = await fileInput.files[0].text(); });
      content.replaceChildren(
        element("div", {class: "admin-toolbar"}, button(t("new_field"), () => openForm(t("new_field"), fieldFields,
          {number_start: 1, number_end: 9999, number_width: 0, average_service_s: 300},
          (values) => apply(() => call("POST", "/admin/services", {...values, daily_quota: values.daily_quota ?? undefined}))), "btn-primary")),
        table([t("code"), t("name"), t("group_name"), t("numbers"), t("daily_quota"), t("status"), ""], rows),
        element("section", {class: "panel admin-import"},
          element("h3", {}, t("import_csv")), element("p", {class: "muted"}, t("import_help")),
          element("label", {for: "csv-file"}, t("choose_file")), fileInput, csvText,
          button(t("import"), () => change(() => call("POST", "/admin/services/import", {csv: csvText.value}).then((r) => {
            csvText.value = ""; setTimeout(() => say(t("import_done", r), true), 0); return r;
          })), "btn-primary")));
    },

    async counters() {
      const [counters, services] = await Promise.all([call("GET", "/admin/counters"), call("GET", "/admin/services")]);
      const names = new Map(services.map((s) => [s.id, s.name]));
      const rows = counters.map((c) => element("tr", {"data-id": c.id},
        element("th", {scope: "row"}, t("counter") + " " + c.number), element("td", {}, c.name),
        element("td", {}, element("ol", {class: "served-list"}, c.service_ids.map((id) => element("li", {}, names.get(id) || id)))),
        element("td", {}, element("span", {class: `status-badge status-${c.status}`}, t(`status_${c.status}`)), " ", c.clerk ? c.clerk.full_name : ""),
        element("td", {}, yesNo(c.active)),
        element("td", {class: "actions"}, button(t("edit"), () => editCounter(c, services)))));
      content.replaceChildren(
        element("div", {class: "admin-toolbar"}, button(t("new_counter"), () => openForm(t("new_counter"),
          [{name: "number", label: t("counter_number"), type: "number", min: 1, required: true}, {name: "name", label: t("counter_name")}],
          {number: (Math.max(0, ...counters.map((c) => c.number)) + 1)},
          (values) => apply(() => call("POST", "/admin/counters", {...values, service_ids: []}))), "btn-primary")),
        table([t("counter"), t("counter_name"), t("fields_served"), t("status"), t("active"), ""], rows));
    },

    async staff() {
      const people = await call("GET", "/admin/staff");
      const rows = people.map((p) => element("tr", {"data-id": p.id, "data-username": p.username, class: p.active ? null : "row-muted"},
        element("td", {}, p.username), element("th", {scope: "row"}, p.full_name), element("td", {}, p.title),
        element("td", {}, t(`role_${p.role}`)),
        element("td", {}, element("span", {class: `status-badge ${p.active ? "status-open" : "status-closed"}`}, t(p.active ? "active_account" : "inactive_account"))),
        element("td", {class: "actions"},
          button(t("edit"), () => openForm(t("edit_staff"), [
            {name: "full_name", label: t("full_name")}, {name: "title", label: t("title")},
            {name: "role", label: t("role"), type: "select", options: roleOptions}], p,
            (values) => apply(() => call("PATCH", `/admin/staff/${p.id}`, values)))),
          button(t("reset_password"), async () => {
            const result = await change(() => call("POST", `/admin/staff/${p.id}/reset-password`));
            if (result) showSecret(t("password_for", {username: result.username}), result.password);
          }),
          button(t(p.active ? "deactivate" : "activate"), () => change(() => call("PATCH", `/admin/staff/${p.id}`, {active: !p.active})), p.active ? "btn-danger" : "btn-secondary"))));
      content.replaceChildren(
        element("div", {class: "admin-toolbar"}, button(t("new_staff"), () => openForm(t("new_staff"), [
          {name: "username", label: t("username"), required: true, maxlength: 64},
          {name: "full_name", label: t("full_name")}, {name: "title", label: t("title")},
          {name: "role", label: t("role"), type: "select", options: roleOptions}], {role: "clerk"},
          async (values) => {
            const created = await call("POST", "/admin/staff", values);
            say(t("saved"), true);
            await refresh();
            return () => showSecret(t("password_for", {username: created.username}), created.password);
          }), "btn-primary")),
        table([t("username"), t("full_name"), t("title"), t("role"), t("status"), ""], rows));
    },

    async devices() {
      const [devices, counters, settings] = await Promise.all([call("GET", "/admin/devices"), call("GET", "/admin/counters"),
        call("GET", "/admin/settings")]);
      const counterOptions = [["", t("none")], ...counters.map((c) => [c.id, `${t("counter")} ${c.number}`])];
      const counterNumber = new Map(counters.map((c) => [c.id, c.number]));
      const rows = devices.map((d) => element("tr", {"data-id": d.id, class: d.revoked_at ? "row-muted" : null},
        element("th", {scope: "row"}, d.name), element("td", {}, t(`kind_${d.kind}`)),
        element("td", {}, d.counter_id ? `${t("counter")} ${counterNumber.get(d.counter_id) || d.counter_id}` : "–"),
        element("td", {class: "mono"}, d.key_hint ? `…${d.key_hint}` : "–"),
        element("td", {}, d.revoked_at ? element("span", {class: "status-badge status-closed"}, t("revoked"))
          : element("span", {class: `status-badge device-${["online", "offline"].includes(d.status) ? d.status : "unknown"}`}, t(`device_${["online", "offline"].includes(d.status) ? d.status : "unknown"}`))),
        element("td", {class: "actions"},
          d.kind === "kiosk" ? button(t("settings"), () => editKiosk(d, settings.paper_width_mm)) : null,
          button(t("new_key"), async () => {
            const result = await change(() => call("POST", `/admin/devices/${d.id}/rotate-key`));
            if (result) showSecret(t("key_for", {name: result.name}), result.key, t("open_with_key"));
          }),
          d.revoked_at ? null : button(t("revoke"), () => { if (window.confirm(t("confirm"))) change(() => call("POST", `/admin/devices/${d.id}/revoke`)); }, "btn-danger"))));
      content.replaceChildren(
        element("div", {class: "admin-toolbar"}, button(t("new_device"), () => openForm(t("new_device"), [
          {name: "kind", label: t("kind"), type: "select", options: kindOptions},
          {name: "name", label: t("name"), required: true, maxlength: 120},
          {name: "counter_id", label: t("counter"), type: "select", options: counterOptions}], {kind: "kiosk"},
          async (values) => {
            const created = await call("POST", "/admin/devices", {...values, counter_id: values.counter_id ? Number(values.counter_id) : null});
            say(t("saved"), true);
            await refresh();
            return () => showSecret(t("key_for", {name: created.name}), created.key, t("open_with_key"));
          }), "btn-primary")),
        table([t("name"), t("kind"), t("counter"), t("key_hint"), t("status"), ""], rows));
    },

    async hours() {
      const [hours, settings] = await Promise.all([call("GET", "/admin/hours"), call("GET", "/admin/settings")]);
      const list = element("div", {class: "period-list", id: "period-list"});
      function periodRow(period) {
        const row = element("div", {class: "period-row"},
          element("select", {name: "weekday", "aria-label": t("weekday")}, weekdayOptions.map(([value, label]) => element("option", {value, selected: value === period.weekday}, label))),
          element("input", {type: "time", name: "opens_at", value: period.opens_at.slice(0, 5), "aria-label": t("opens_at")}),
          element("input", {type: "time", name: "closes_at", value: period.closes_at.slice(0, 5), "aria-label": t("closes_at")}),
          button(t("remove"), () => row.remove()));
        return row;
      }
      list.append(...hours.periods.map(periodRow));
      const cutoff = element("input", {type: "time", id: "cutoff-input", value: settings.cutoff ? settings.cutoff.slice(0, 5) : ""});
      const holidayRows = hours.holidays.map((h) => element("tr", {"data-id": h.id},
        element("td", {}, h.date.split("-").reverse().join("/")), element("th", {scope: "row"}, h.name),
        element("td", {class: "actions"}, button(t("remove"), () => change(() => call("DELETE", `/admin/holidays/${h.id}`))))));
      content.replaceChildren(
        element("section", {class: "panel"},
          element("h3", {}, t("working_sessions")),
          element("div", {class: "period-head"}, element("span", {}, t("weekday")), element("span", {}, t("opens_at")), element("span", {}, t("closes_at"))),
          list,
          element("div", {class: "admin-toolbar"},
            button(t("add_session"), () => list.append(periodRow({weekday: 0, opens_at: "07:30", closes_at: "11:30"}))),
            button(t("save_hours"), () => change(async () => {
              const periods = [...list.querySelectorAll(".period-row")].map((row) => ({
                weekday: Number(row.querySelector("[name=weekday]").value),
                opens_at: row.querySelector("[name=opens_at]").value, closes_at: row.querySelector("[name=closes_at]").value}));
              await call("PUT", "/admin/hours", {periods});
              await call("PATCH", "/admin/settings", {cutoff: cutoff.value || null});
            }), "btn-primary")),
          element("label", {for: "cutoff-input"}, t("cutoff")), cutoff, element("p", {class: "muted"}, t("cutoff_help"))),
        element("section", {class: "panel"},
          element("h3", {}, t("holidays")),
          element("div", {class: "admin-toolbar"}, button(t("add_holiday"), () => openForm(t("add_holiday"), [
            {name: "date", label: t("date"), type: "date", required: true}, {name: "name", label: t("holiday_name")}], {},
            (values) => apply(() => call("POST", "/admin/holidays", values))), "btn-primary")),
          table([t("date"), t("holiday_name"), ""], holidayRows)));
    },

    async priorities() {
      const categories = await call("GET", "/admin/priorities");
      const fields = [{name: "name", label: t("name"), required: true}, {name: "name_en", label: t("name_en")},
        {name: "level", label: t("level"), type: "number", min: 1, max: 9}];
      const rows = categories.map((c) => element("tr", {"data-id": c.id},
        element("td", {class: "mono"}, c.code), element("th", {scope: "row"}, c.name), element("td", {}, c.name_en),
        element("td", {class: "num"}, c.level), element("td", {}, yesNo(c.active)),
        element("td", {class: "actions"}, button(t("edit"), () => openForm(t("edit_priority"),
          fields.concat([{name: "active", label: t("active"), type: "checkbox"}]), c,
          (values) => apply(() => call("PATCH", `/admin/priorities/${c.id}`, values)))))));
      content.replaceChildren(
        element("div", {class: "admin-toolbar"}, button(t("new_priority"), () => openForm(t("new_priority"),
          [{name: "code", label: t("code"), required: true}].concat(fields), {level: 1},
          (values) => apply(() => call("POST", "/admin/priorities", values))), "btn-primary")),
        table([t("code"), t("name"), t("name_en"), t("level"), t("status"), ""], rows));
    },

    async rating() {
      const settings = await call("GET", "/admin/settings");
      const rating = settings.rating;
      const buttonList = element("div", {class: "edit-list", id: "button-list"});
      const reasonList = element("div", {class: "edit-list", id: "reason-list"});
      function buttonRow(item) {
        const row = element("div", {class: "edit-row"},
          element("select", {name: "score", "aria-label": t("score")}, [5, 4, 3, 2, 1].map((s) => element("option", {value: s, selected: s === item.score}, String(s)))),
          element("input", {name: "label", value: item.label, "aria-label": t("label"), placeholder: t("label")}),
          element("input", {name: "label_en", value: item.label_en || "", "aria-label": t("label_en"), placeholder: t("label_en")}),
          button(t("remove"), () => row.remove()));
        return row;
      }
      function reasonRow(item) {
        const row = element("div", {class: "edit-row"},
          element("input", {name: "code", value: item.code, "aria-label": t("code"), placeholder: t("code"), class: "mono"}),
          element("input", {name: "label", value: item.label, "aria-label": t("label"), placeholder: t("label")}),
          element("input", {name: "label_en", value: item.label_en || "", "aria-label": t("label_en"), placeholder: t("label_en")}),
          button(t("remove"), () => row.remove()));
        return row;
      }
      buttonList.append(...rating.buttons.map(buttonRow));
      reasonList.append(...rating.reasons.map(reasonRow));
      const windowInput = input({name: "window_s", label: t("window_s"), type: "number", min: 5, max: 600}, rating.window_s);
      const lowInput = input({name: "low_score_max", label: t("low_score_max"), type: "number", min: 1, max: 5}, rating.low_score_max);
      const form = element("div", {class: "panel", id: "rating-form"},
        element("h3", {}, t("buttons")), buttonList, button(t("add_button"), () => buttonList.append(buttonRow({score: 3, label: "", label_en: ""}))),
        element("h3", {}, t("reasons")), reasonList, button(t("add_reason"), () => reasonList.append(reasonRow({code: "", label: "", label_en: ""}))),
        windowInput, lowInput,
        element("div", {class: "admin-toolbar"}, button(t("save_rating"), () => change(async () => {
          const collect = (list, names) => [...list.querySelectorAll(".edit-row")].map((row) =>
            Object.fromEntries(names.map((name) => [name, name === "score" ? Number(row.querySelector(`[name=${name}]`).value) : row.querySelector(`[name=${name}]`).value.trim()])));
          try {
            await call("PATCH", "/admin/settings", {rating: {
              buttons: collect(buttonList, ["score", "label", "label_en"]), reasons: collect(reasonList, ["code", "label", "label_en"]),
              window_s: Number(form.querySelector("[name=window_s]").value), low_score_max: Number(form.querySelector("[name=low_score_max]").value)}});
          } catch (answer) { showFieldErrors(form, answer); throw answer; }
        }), "btn-primary")));
      content.replaceChildren(form);
    },

    async display() {
      const settings = await call("GET", "/admin/settings");
      const voice = settings.voice;
      const fields = [
        {name: "notice", label: t("notice"), maxlength: 300},
        {name: "guidance", label: t("guidance"), maxlength: 300},
      ];
      const voiceFields = [
        {name: "enabled", label: t("voice_enabled"), type: "checkbox"},
        {name: "variant", label: t("variant"), type: "select", options: [["northern", t("variant_northern")], ["southern", t("variant_southern")]]},
        {name: "number_style", label: t("number_style"), type: "select", options: [["cardinal", t("number_style_cardinal")], ["digits", t("number_style_digits")]]},
        {name: "chime", label: t("chime"), type: "checkbox"},
        {name: "repeat", label: t("repeat"), type: "number", min: 1, max: 3},
      ];
      const form = element("div", {class: "panel", id: "display-form"},
        fields.map((field) => input(field, settings[field.name])),
        element("h3", {}, t("voice")),
        voiceFields.map((field) => input(field, voice[field.name])),
        element("div", {class: "admin-toolbar"}, button(t("save_display"), () => change(async () => {
          const values = read(form, fields);
          const voiceValues = read(form, voiceFields);
          try { await call("PATCH", "/admin/settings", {...values, voice: voiceValues}); } catch (answer) { showFieldErrors(form, answer); throw answer; }
        }), "btn-primary")));
      content.replaceChildren(form);
    },

    async audit() {
      let offset = 0;
      const body = element("tbody", {});
      const more = button(t("more"), () => load());
      const localTime = new Intl.DateTimeFormat(lang === "vi" ? "vi-VN" : "en-GB",
        {dateStyle: "short", timeStyle: "medium", timeZone: main.dataset.timezone || "Asia/Ho_Chi_Minh"});
      async function load() {
        const entries = await call("GET", `/admin/audit?limit=50&offset=${offset}`);
        offset += entries.length;
        more.hidden = entries.length < 50;
        for (const entry of entries) {
          // The server writes each entry as a sentence in the reader's language (server/audit_text.py).
          body.append(element("tr", {"data-id": entry.id, "data-entity": entry.entity, "data-action": entry.action},
            element("td", {class: "nowrap"}, localTime.format(new Date(entry.at))),
            element("td", {class: "audit-text"}, entry.text)));
        }
      }
      content.replaceChildren(element("table", {class: "data-table admin-table audit-table"},
        element("thead", {}, element("tr", {}, [t("when"), t("change")].map((h) => element("th", {scope: "col"}, h)))), body), more);
      await load();
    },
  };

  /* A kiosk's name and own settings (printer, paper, timers); the kiosk applies them at once. */
  function editKiosk(device, sitePaperWidth) {
    const seconds = (name, min, max) => ({name, label: t(name), type: "number", min, max, step: 1, required: true,
      help: t("seconds_range", {min, max})});
    const fields = [
      {name: "name", label: t("name"), required: true, maxlength: 120},
      {name: "printer", label: t("printer"), type: "checkbox", help: t("printer_help")},
      {name: "paper_width_mm", label: t("paper_width_mm"), type: "select",
        options: [["", t("paper_site_default", {width: sitePaperWidth})], ["58", "58 mm"], ["80", "80 mm"]]},
      seconds("confirmation_s", 5, 120),
      seconds("print_problem_confirmation_s", 10, 300),
      seconds("print_wait_s", 3, 60),
      seconds("idle_reset_s", 10, 600),
      seconds("request_timeout_s", 2, 30),
    ];
    const current = device.settings || {};
    openForm(t("kiosk_settings_for", {name: device.name}), fields,
      {...current, name: device.name, paper_width_mm: current.paper_width_mm ?? ""},
      (values) => {
        const {name, ...changes} = values;
        changes.paper_width_mm = changes.paper_width_mm === "" ? null : Number(changes.paper_width_mm);
        return apply(() => call("PATCH", `/admin/devices/${device.id}`, {name, settings: changes}));
      });
    const bodyNode = document.getElementById("dialog-body");
    bodyNode.prepend(element("p", {class: "muted form-help", id: "kiosk-settings-note"}, t("settings_apply_now")));
    // Eight settings: two columns keep the whole form on one screen.
    bodyNode.classList.add("kiosk-settings");
    dialog.classList.add("is-wide");
    dialog.addEventListener("close", () => { bodyNode.classList.remove("kiosk-settings"); dialog.classList.remove("is-wide"); }, {once: true});
  }

  /* The ordered list of fields a counter serves: up, down, remove, add. */
  function editCounter(counter, services) {
    const fields = [{name: "name", label: t("counter_name")}, {name: "active", label: t("active"), type: "checkbox"}];
    openForm(`${t("edit_counter")} ${counter.number}`, fields, counter, async (values) => {
      const ids = [...document.querySelectorAll("#served-editor li")].map((li) => Number(li.dataset.id));
      await apply(() => call("PATCH", `/admin/counters/${counter.id}`, {...values, service_ids: ids}));
    });
    const names = new Map(services.map((s) => [s.id, s.name]));
    const list = element("ol", {id: "served-editor", class: "served-editor"});
    function item(id) {
      const li = element("li", {"data-id": id}, element("span", {}, names.get(id) || String(id)),
        button("↑", () => li.previousElementSibling && li.parentNode.insertBefore(li, li.previousElementSibling)),
        button("↓", () => li.nextElementSibling && li.parentNode.insertBefore(li.nextElementSibling, li)),
        button(t("remove"), () => li.remove()));
      li.querySelectorAll("button")[0].setAttribute("aria-label", t("move_up"));
      li.querySelectorAll("button")[1].setAttribute("aria-label", t("move_down"));
      return li;
    }
    list.append(...counter.service_ids.map(item));
    const picker = element("select", {id: "served-picker", "aria-label": t("add_field")}, services.map((s) => element("option", {value: s.id}, s.name)));
    document.getElementById("dialog-body").append(element("div", {class: "form-row", "data-field": "service_ids"},
      element("label", {}, t("fields_served")), list,
      element("div", {class: "served-add"}, picker, button(t("add"), () => {
        const id = Number(picker.value);
        if (![...list.children].some((li) => Number(li.dataset.id) === id)) list.append(item(id));
      })),
      element("p", {class: "error-text field-error", hidden: true})));
  }

  refresh();
})();
