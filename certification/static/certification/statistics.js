// The regulator's statistics page: draws each figure's chart (Apache ECharts, vendored under
// static/vendor/echarts) from the JSON in its data-chart attribute; the table beside it holds
// the same numbers without script.
(function () {
  if (!window.echarts) { return; }
  var charts = [];
  function option(spec) {
    var horizontal = spec.type === "hbar";
    var categoryAxis = {type: "category", data: spec.categories, axisLabel: {width: 110, overflow: "truncate"}};
    var valueAxis = {type: "value"};
    var series = spec.series.map(function (s) {
      var one = {name: s.name, type: spec.type === "line" ? "line" : "bar", data: s.data, barMaxWidth: 40};
      if (spec.target !== null && s.name === spec.targetSeries) {
        if (spec.type !== "line") { one.type = "line"; }
        one.markLine = {symbol: "none", lineStyle: {type: "dashed", color: "#c0392b"},
          label: {formatter: spec.targetLabel, position: "insideEndTop"}, data: [{yAxis: spec.target}]};
      }
      return one;
    });
    if (spec.target !== null) {
      valueAxis.max = function (extent) { return Math.max(extent.max, spec.target) * 1.05; };
    }
    return {
      animation: false,
      tooltip: {trigger: "axis", confine: true},
      legend: {top: 0, type: "scroll"},
      grid: {left: 8, right: 24, top: 36, bottom: 8, containLabel: true},
      xAxis: horizontal ? valueAxis : categoryAxis,
      yAxis: horizontal ? Object.assign(categoryAxis, {inverse: true}) : valueAxis,
      series: series
    };
  }
  document.querySelectorAll(".chart[data-chart]").forEach(function (el) {
    var chart = window.echarts.init(el, null, {renderer: "canvas"});
    chart.setOption(option(JSON.parse(el.dataset.chart)));
    charts.push(chart);
  });
  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
