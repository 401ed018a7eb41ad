// Draws every <canvas data-chart="ID"> from the JSON in <script id="ID">, with Chart.js
// served by the portal itself. Right-to-left pages get right-to-left charts.
(function () {
  "use strict";
  const palette = ["#0b6e4f", "#d97706", "#6e7781", "#0550ae", "#a40e26"];

  function formatter(lang) {
    const nf = new Intl.NumberFormat(lang === "fa" ? "fa-IR" : "en-US", { maximumFractionDigits: 2 });
    return (value) => nf.format(value);
  }

  function draw(canvas, lang) {
    const source = document.getElementById(canvas.dataset.chart);
    if (!source) return;
    const spec = JSON.parse(source.textContent);
    const scale = spec.scale || 1;
    const rtl = document.documentElement.dir === "rtl";
    const format = formatter(lang);
    const datasets = spec.datasets.map((d, i) => ({
      label: d.label,
      data: d.data.map((v) => v * scale),
      backgroundColor: palette[i % palette.length],
      borderColor: palette[i % palette.length],
      borderWidth: spec.type === "line" ? 2 : 0,
      pointRadius: spec.type === "line" && d.data.length > 60 ? 0 : 3,
      fill: false,
    }));
    const chart = new Chart(canvas, {
      type: spec.type,
      data: { labels: spec.labels, datasets: datasets },
      options: {
        animation: false,
        responsive: true,
        locale: lang === "fa" ? "fa-IR" : "en-US",
        scales: {
          x: { reverse: rtl, stacked: !!spec.stacked, ticks: { font: { family: "Vazirmatn" } } },
          y: { position: rtl ? "right" : "left", stacked: !!spec.stacked, beginAtZero: true,
               ticks: { callback: format, font: { family: "Vazirmatn" } } },
        },
        plugins: {
          legend: { rtl: rtl, display: datasets.length > 1, labels: { font: { family: "Vazirmatn" } } },
          tooltip: { rtl: rtl, callbacks: { label: (ctx) => ctx.dataset.label + ": " + format(ctx.parsed.y) } },
        },
      },
    });
    canvas.dataset.drawn = String(chart.data.datasets.reduce((n, d) => n + d.data.length, 0));
  }

  document.addEventListener("DOMContentLoaded", function () {
    const lang = document.body.dataset.lang || "fa";
    if (typeof Chart === "undefined") return;
    Chart.defaults.font.family = "Vazirmatn, Tahoma, sans-serif";
    document.querySelectorAll("canvas[data-chart]").forEach((c) => draw(c, lang));
  });
})();
