/* The leader's board: GET /api/v1/leader/board, one card per red item grouped by week; the head of the
   centre records an action with its due date, and clears an item only with a note. */
(function () {
  "use strict";
  const {t, api, element, percent, duration, number} = window.HangChoStaff;
  const $ = (id) => document.getElementById(id);
  const root = $("leader");
  const canAct = root.dataset.canAct === "yes";
  const canReview = root.dataset.canReview === "yes";

  function day(iso) { return iso ? iso.split("-").reverse().join("/") : ""; }
  function plusDays(iso, days) {
    const date = new Date(iso + "T00:00:00Z");
    date.setUTCDate(date.getUTCDate() + days);
    return date.toISOString().slice(0, 10);
  }

  function shown(kind, value) {
    if (value === null || value === undefined) return "–";
    if (kind === "wait_p90_high") return duration(value);
    if (kind === "rating_flags" || kind === "alerts_open") return number(value);
    return percent(value);
  }

  function status(item) {
    if (item.cleared) return element("span", {class: "leader-status is-cleared"}, t("cleared"));
    if (item.overdue) return element("span", {class: "leader-status is-overdue"}, t("overdue", {date: day(item.action_due)}));
    if (item.needs_action) return element("span", {class: "leader-status is-needed"}, t("needs_action"));
    return element("span", {class: "leader-status is-progress"}, t("in_progress", {date: day(item.action_due)}));
  }

  function actionForm(item, today) {
    const text = element("textarea", {id: `action-${item.id}`, maxlength: "1000", rows: "2"});
    text.value = item.action || "";
    const due = element("input", {type: "date", id: `due-${item.id}`, min: today});
    due.value = item.action_due || plusDays(today, 7);
    const message = element("p", {class: "leader-message", role: "status"});
    const form = element("form", {class: "leader-form", "data-form": "action"},
      element("label", {for: `action-${item.id}`}, t("action_label")), text,
      element("label", {for: `due-${item.id}`}, t("due_label")), due,
      element("button", {class: "btn btn-primary", type: "submit"}, t("save_action")), message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await api("POST", `/leader/items/${item.id}/action`, {action: text.value.trim(), due: due.value});
      if (!answer.ok) { message.textContent = t("failed", {message: answer.data ? answer.data.message : answer.status}); return; }
      load();
    });
    return form;
  }

  function clearForm(item) {
    const note = element("textarea", {id: `note-${item.id}`, maxlength: "1000", rows: "2"});
    const message = element("p", {class: "leader-message", role: "status"});
    const form = element("form", {class: "leader-form", "data-form": "clear"},
      element("label", {for: `note-${item.id}`}, t("note_label")), note,
      element("button", {class: "btn btn-secondary", type: "submit"}, t("clear")), message);
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const answer = await api("POST", `/leader/items/${item.id}/clear`, {note: note.value.trim()});
      if (!answer.ok) { message.textContent = t("failed", {message: answer.data ? answer.data.message : answer.status}); return; }
      load();
    });
    return form;
  }

  function card(item, today) {
    const classes = ["leader-item", item.red ? "is-red" : "is-cleared", item.overdue ? "is-overdue" : ""].join(" ");
    const children = [
      element("div", {class: "leader-item-head"},
        element("h3", {}, t("kind_" + item.kind)), status(item)),
      element("p", {class: "leader-figure"}, t("figure_target", {figure: shown(item.kind, item.figure), target: shown(item.kind, item.target)})),
    ];
    if (item.action) children.push(element("p", {class: "leader-action"}, t("action_by", {name: item.action_by || "", action: item.action})));
    if (item.cleared) children.push(element("p", {class: "leader-note"}, t("cleared_by", {name: item.cleared_by || "", note: item.cleared_note})));
    if (canAct && !item.cleared) {
      children.push(actionForm(item, today));
      if (item.action) children.push(clearForm(item));
    }
    return element("article", {class: classes, "data-item": item.id, "data-kind": item.kind}, children);
  }

  function render(board) {
    $("leader-summary").textContent = t("summary", {open: board.open, overdue: board.overdue});
    $("leader-summary").classList.toggle("is-red", board.open > 0);
    const weeks = new Map();
    for (const item of board.items) {
      if (!weeks.has(item.week_start)) weeks.set(item.week_start, []);
      weeks.get(item.week_start).push(item);
    }
    const sections = [...weeks.entries()].map(([start, items]) => element("section", {class: "panel leader-week"},
      element("h2", {}, t("week_of", {start: day(start), end: day(plusDays(start, 6))})),
      element("div", {class: "leader-items"}, items.map((item) => card(item, board.today)))));
    $("leader-weeks").replaceChildren(...sections);
    $("leader-empty").hidden = board.items.length > 0;
    $("leader-empty").textContent = t("no_items");
    const review = $("review-now");
    review.hidden = !(canReview && !board.reviewed_weeks.includes(board.last_week));
    review.textContent = t("review_now");
    review.onclick = async () => {
      const answer = await api("POST", "/leader/review", {week_start: board.last_week});
      if (answer.ok) load();
    };
  }

  async function load() {
    const answer = await api("GET", "/leader/board");
    if (answer.ok) render(answer.data);
    document.documentElement.dataset.ready = "yes";
  }
  load();
})();
