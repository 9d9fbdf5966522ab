// The start page's charts (Chart.js from npm, served by the portal): read the year's figures
// from /api/dashboard/ (same-origin session) and draw four charts. Without JavaScript, or if
// the request fails, the charts area keeps its hint and the tables below carry every figure.
(function () {
  "use strict";

  var COLORS = {
    primary: "#0b5a8a",
    accent: "#e46f1b",
    grey: "#8a99a8",
    groups: ["#0b5a8a", "#e46f1b", "#2f8f5b", "#8e5ba8", "#c2a33a", "#52606d"],
  };
  var NUMBER = new Intl.NumberFormat("de-DE");

  function baseOptions(extra) {
    var options = {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      locale: "de-DE",
      plugins: { legend: { position: "bottom" } },
    };
    return Object.assign(options, extra || {});
  }

  function kwLabels(data) {
    return data.kws.map(function (kw) { return "KW " + kw; });
  }

  function draw(container, data) {
    var Chart = window.Chart;
    var charts = {};
    charts.kw = new Chart(document.getElementById("chart-kw"), {
      type: "bar",
      data: {
        labels: kwLabels(data),
        datasets: [
          { label: "Erstberatungen", data: data.je_kw.erstberatungen, backgroundColor: COLORS.primary },
          { label: "Gutachten", data: data.je_kw.gutachten, backgroundColor: COLORS.accent },
        ],
      },
      options: baseOptions({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
    });
    charts.fallgruppen = new Chart(document.getElementById("chart-fallgruppen"), {
      type: "doughnut",
      data: {
        labels: data.fallgruppen.map(function (g) { return g.bezeichnung; }),
        datasets: [{
          label: "Erstberatungen",
          data: data.fallgruppen.map(function (g) { return g.anzahl; }),
          backgroundColor: COLORS.groups,
        }],
      },
      options: baseOptions({ plugins: { legend: { position: "right" } } }),
    });
    charts.vorjahr = new Chart(document.getElementById("chart-vorjahr"), {
      type: "line",
      data: {
        labels: kwLabels(data),
        datasets: [
          { label: String(data.jahr), data: data.je_kw.erstberatungen, borderColor: COLORS.primary,
            backgroundColor: COLORS.primary, tension: 0.2 },
          { label: String(data.vorjahr.jahr), data: data.vorjahr.erstberatungen_je_kw,
            borderColor: COLORS.grey, backgroundColor: COLORS.grey, borderDash: [6, 4],
            tension: 0.2, spanGaps: false },
        ],
      },
      options: baseOptions({ scales: { y: { beginAtZero: true, ticks: { precision: 0 } } } }),
    });
    charts.typen = new Chart(document.getElementById("chart-typen"), {
      type: "bar",
      data: {
        labels: data.fallgruppen.map(function (g) { return g.bezeichnung; }),
        datasets: [
          { label: "Bestätigung", data: data.fallgruppen.map(function (g) { return g.bestaetigung; }),
            backgroundColor: COLORS.primary },
          { label: "Alternative", data: data.fallgruppen.map(function (g) { return g.alternative; }),
            backgroundColor: COLORS.accent },
        ],
      },
      options: baseOptions({
        scales: { x: { stacked: true }, y: { stacked: true, beginAtZero: true, ticks: { precision: 0 } } },
      }),
    });
    container.classList.add("charts-ready");
    container.setAttribute("data-total", NUMBER.format(data.kpi.erstberatungen));
    window.portalCharts = charts;  // for the browser test
  }

  function showError(container) {
    var hint = container.querySelector(".charts-hint");
    if (hint) {
      hint.textContent = "Die Diagramme konnten nicht geladen werden; die Zahlen stehen in den Tabellen unten.";
    }
  }

  function start() {
    // The year selector submits itself when changed (its button stays for use without JS).
    document.querySelectorAll("select[data-autosubmit]").forEach(function (select) {
      select.addEventListener("change", function () { select.form.submit(); });
    });
    var container = document.getElementById("charts");
    if (!container || !window.Chart) {
      return;
    }
    fetch(container.getAttribute("data-api-url"), {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    })
      .then(function (response) {
        if (!response.ok) {
          throw new Error("HTTP " + response.status);
        }
        return response.json();
      })
      .then(function (data) { draw(container, data); })
      .catch(function () { showError(container); });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
