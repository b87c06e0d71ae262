/* The reports page: pick a period and a grouping, read GET /api/v1/reports/summary, download CSV/XLSX. */
(function () {
  "use strict";
  const {t, api, staffToken, number, duration, percent, element} = window.HangChoStaff;
  const $ = (id) => document.getElementById(id);
  const today = new Date();
  const iso = (date) => `${date.getFullYear()}-${String(date.getMonth() + 1).padStart(2, "0")}-${String(date.getDate()).padStart(2, "0")}`;
  const lastDay = (year, month) => new Date(year, month, 0).getDate(); // month 1–12

  $("day-input").value = iso(today);
  $("month-input").value = iso(today).slice(0, 7);
  $("year-input").value = String(today.getFullYear());
  $("quarter-input").value = String(Math.floor(today.getMonth() / 3) + 1);
  $("from-input").value = iso(new Date(today.getFullYear(), today.getMonth(), 1));
  $("to-input").value = iso(today);

  function showInputs() {
    const kind = $("period-kind").value;
    for (const item of document.querySelectorAll("[data-for]")) item.hidden = !item.dataset.for.split(" ").includes(kind);
  }
  $("period-kind").addEventListener("change", showInputs);
  showInputs();

  function period() {
    const kind = $("period-kind").value;
    const year = parseInt($("year-input").value, 10) || today.getFullYear();
    if (kind === "day") return {from: $("day-input").value, to: $("day-input").value};
    if (kind === "month") {
      const [y, m] = $("month-input").value.split("-").map(Number);
      return {from: `${$("month-input").value}-01`, to: `${$("month-input").value}-${lastDay(y, m)}`};
    }
    if (kind === "quarter") {
      const quarter = parseInt($("quarter-input").value, 10);
      const first = 3 * (quarter - 1) + 1, last = first + 2;
      return {from: `${year}-${String(first).padStart(2, "0")}-01`, to: `${year}-${String(last).padStart(2, "0")}-${lastDay(year, last)}`};
    }
    if (kind === "year") return {from: `${year}-01-01`, to: `${year}-12-31`};
    return {from: $("from-input").value, to: $("to-input").value};
  }

  function query(format) {
    const range = period();
    const params = new URLSearchParams({from: range.from, to: range.to, group_by: $("group-input").value});
    if (format) params.set("format", format);
    return `/reports/summary?${params}`;
  }

  function cells(row) {
    return [
      element("td", {class: "num"}, number(row.issued)),
      element("td", {class: "num"}, number(row.served)),
      element("td", {class: "num"}, number(row.no_show)),
      element("td", {class: "num"}, number(row.transferred)),
      element("td", {class: "num"}, duration(row.wait_p50_s)),
      element("td", {class: "num"}, duration(row.wait_p90_s)),
      element("td", {class: "num"}, duration(row.service_p50_s)),
      element("td", {class: "num"}, duration(row.service_p90_s)),
      element("td", {class: "num"}, number(row.ratings)),
      element("td", {class: "num"}, percent(row.response_rate)),
      element("td", {class: "num"}, row.score_avg === null ? "–" : row.score_avg.toFixed(2)),
      element("td", {class: "num"}, number(row.official.rat_hai_long)),
      element("td", {class: "num"}, number(row.official.hai_long)),
      element("td", {class: "num"}, number(row.official.khong_hai_long)),
      element("td", {class: "num"}, percent(row.satisfaction_rate)),
      element("td", {class: "num" + (row.flagged_ratings ? " has-flags" : "")}, number(row.flagged_ratings)),
      element("td", {class: "num"}, percent(row.satisfaction_rate_unflagged)),
      element("td", {class: "num"}, number(row.repeat_visits)),
      element("td", {class: "num"}, percent(row.repeat_visit_rate)),
      element("td", {class: "num"}, number(row.returned)),
    ];
  }

  function render(report) {
    $("group-header").textContent = t(report.group_by === "service" ? "field" : report.group_by);
    $("report-period").textContent = t("period_label", {start: report.from.split("-").reverse().join("/"), end: report.to.split("-").reverse().join("/")});
    const body = document.querySelector("#report-table tbody");
    body.replaceChildren();
    for (const row of report.rows) body.append(element("tr", {"data-key": row.key === null ? "none" : row.key}, element("th", {scope: "row"}, row.label), cells(row)));
    body.append(element("tr", {class: "row-total", "data-key": "total"}, element("th", {scope: "row"}, t("total")), cells(report.totals)));
    $("report-status").textContent = report.rows.length ? "" : t("empty");
    const ranking = report.ranking || null;
    $("ranking-panel").hidden = !ranking;
    if (ranking) {
      const rankBody = document.querySelector("#ranking-table tbody");
      rankBody.replaceChildren();
      for (const entry of ranking) {
        rankBody.append(element("tr", {},
          element("td", {class: "num"}, entry.rank), element("th", {scope: "row"}, entry.clerk_name),
          element("td", {class: "num"}, number(entry.served)), element("td", {class: "num"}, number(entry.ratings)),
          element("td", {class: "num"}, entry.score_avg === null ? "–" : entry.score_avg.toFixed(2)),
          element("td", {class: "num"}, percent(entry.satisfaction_rate)),
          element("td", {class: "num"}, duration(entry.wait_p50_s))));
      }
    }
  }

  async function show(event) {
    if (event) event.preventDefault();
    $("report-status").textContent = t("loading");
    $("report-status").className = "muted";
    const answer = await api("GET", query());
    if (!answer.ok) {
      $("report-status").textContent = t("failed", {message: answer.data ? answer.data.message : answer.status});
      $("report-status").className = "error-text";
      return;
    }
    render(answer.data);
    document.documentElement.dataset.ready = "yes";
  }

  async function download(format) {
    const token = await staffToken();
    const lang = document.documentElement.lang || "vi";
    const response = await fetch(`/api/v1${query(format)}&lang=${lang}`, {headers: {"Authorization": "Bearer " + token}, credentials: "same-origin"});
    if (!response.ok) {
      let message = response.status;
      try { message = (await response.json()).message; } catch (ignored) { /* not JSON */ }
      $("report-status").textContent = t("download_failed", {message});
      $("report-status").className = "error-text";
      return;
    }
    const disposition = response.headers.get("Content-Disposition") || "";
    const name = (disposition.match(/filename="([^"]+)"/) || [null, `bao-cao.${format}`])[1];
    const url = URL.createObjectURL(await response.blob());
    const link = element("a", {href: url, download: name});
    document.body.append(link);
    link.click();
    link.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10000);
  }

  $("report-form").addEventListener("submit", show);
  $("download-csv").addEventListener("click", () => download("csv"));
  $("download-xlsx").addEventListener("click", () => download("xlsx"));
  show();
})();
