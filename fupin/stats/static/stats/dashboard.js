/* 数据驾驶舱: draws the charts from the JSON of /stats/dashboard/data/ (same region and
   date as the page). Clicking a township (or village) bar drills down to it. */
(function () {
  "use strict";
  var root = document.getElementById("dashboard");
  var status = document.getElementById("dashboard-status");
  if (!root || !window.echarts) { return; }
  var charts = [];
  var RED = ["#b71c1c", "#e65100", "#f9a825", "#2e7d32", "#1565c0", "#6a1b9a", "#546e7a"];

  function chart(id, option) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    var c = echarts.init(el);
    c.setOption(Object.assign({ color: RED, tooltip: {}, animation: false }, option));
    charts.push(c);
    return c;
  }

  function labelled(values, labels) {
    return Object.keys(labels).map(function (k) { return { name: labels[k], value: values[k] || 0 }; });
  }

  function drill(code) {
    var params = new URLSearchParams(window.location.search);
    params.set("region", code);
    params.delete("region__township");
    params.delete("region__q");
    params.set("as_of", root.dataset.asOf || params.get("as_of") || "");
    window.location.search = params.toString();
  }

  function draw(d) {
    root.dataset.asOf = d.as_of;
    chart("chart-tier", {
      tooltip: { trigger: "item", formatter: "{b}: {c} 人 ({d}%)" },
      legend: { bottom: 0 },
      series: [{ type: "pie", radius: ["35%", "65%"], data: labelled(d.transferred_by_tier, d.labels.tiers) }]
    });
    var forms = labelled(d.transferred_by_form, d.labels.forms);
    chart("chart-form", {
      grid: { left: 90, right: 30, top: 10, bottom: 30 },
      xAxis: { type: "value" },
      yAxis: { type: "category", data: forms.map(function (x) { return x.name; }), inverse: true },
      series: [{ type: "bar", data: forms.map(function (x) { return x.value; }), label: { show: true, position: "right" } }]
    });
    var rows = d.townships.filter(function (r) { return r.code !== d.region.code; });
    var names = rows.map(function (r) { return r.name; });
    var children = chart("chart-children", {
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      grid: { left: 50, right: 20, top: 30, bottom: 70 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value" },
      series: [
        { name: "贫困劳动力", type: "bar", data: rows.map(function (r) { return r.laborers; }) },
        { name: "转移就业", type: "bar", data: rows.map(function (r) { return r.transferred; }) }
      ]
    });
    var coverage = chart("chart-coverage", {
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v + "%"; } },
      grid: { left: 50, right: 20, top: 20, bottom: 70 },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{
        name: "就业服务覆盖率", type: "bar", itemStyle: { color: "#2e7d32" },
        data: rows.map(function (r) { return Math.round(r.coverage * 1000) / 10; })
      }]
    });
    [children, coverage].forEach(function (c) {
      if (c) { c.on("click", function (p) { if (rows[p.dataIndex] && rows[p.dataIndex].code.length < 12) { drill(rows[p.dataIndex].code); } }); }
    });
    chart("chart-trend", {
      legend: { top: 0 },
      tooltip: { trigger: "axis" },
      grid: { left: 60, right: 20, top: 30, bottom: 30 },
      xAxis: { type: "category", data: d.trend.months },
      yAxis: { type: "value", scale: true },
      series: [
        { name: "已就业", type: "line", data: d.trend.employed },
        { name: "转移就业", type: "line", data: d.trend.transferred }
      ].concat(d.trend.laborers ? [{ name: "贫困劳动力", type: "line", data: d.trend.laborers, lineStyle: { type: "dashed" } }] : [])
    });
    chart("chart-destinations", {
      tooltip: { trigger: "item", formatter: "{b}: {c} 人 ({d}%)" },
      legend: { bottom: 0, type: "scroll" },
      series: [{ type: "pie", radius: "60%", data: d.destinations }]
    });
    status.textContent = "";
  }

  status.textContent = "正在加载图表…";
  fetch(root.dataset.url, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then(function (r) { return r.json().then(function (body) { return { ok: r.ok, body: body }; }); })
    .then(function (res) {
      if (!res.ok) { status.textContent = res.body.error || "图表数据加载失败"; return; }
      draw(res.body);
    })
    .catch(function () { status.textContent = "图表数据加载失败，请刷新重试"; });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
