/**
 * The report's browser script: reads the embedded JSON and draws the charts
 * with Chart.js (inlined before it). Plain ES2020, no template literals, no
 * network. Sets `data-charts="ready"` on <body> when every chart exists
 * (or `data-charts="error"` with the message in #chart-error).
 */
export const CLIENT_SCRIPT = `
(function () {
  'use strict';
  var body = document.body;
  function nanoUsd(nano) {
    var value = Math.round(nano);
    var sign = value < 0 ? '-' : '';
    var magnitude = Math.abs(value);
    var fraction = String(magnitude % 1e9);
    while (fraction.length < 9) fraction = '0' + fraction;
    return sign + '$' + Math.floor(magnitude / 1e9).toLocaleString('en-US') + '.' + fraction;
  }
  function alpha(hex, a) {
    var n = parseInt(hex.slice(1), 16);
    return 'rgba(' + ((n >> 16) & 255) + ',' + ((n >> 8) & 255) + ',' + (n & 255) + ',' + a + ')';
  }
  try {
    var data = JSON.parse(document.getElementById('report-data').textContent);
    var Chart = window.Chart;
    Chart.defaults.animation = false;
    Chart.defaults.font.family = 'system-ui, sans-serif';
    var colorOf = {};
    data.models.forEach(function (m) { colorOf[m.model] = m.color; });
    var OTHER = '#9e9e9e';
    var slots = [];
    for (var i = 0; i < data.lanes; i++) slots.push('slot ' + (i + 1));
    var points = data.calls.map(function (call, index) {
      return { x: [call.start / 1000, call.end / 1000], y: 'slot ' + (call.lane + 1), call: index };
    });
    var callOf = function (ctx) { return data.calls[ctx.raw.call]; };
    var datasets = data.models.map(function (m) {
      var color = m.color;
      return {
        type: 'bar',
        label: m.model,
        kind: 'calls',
        data: points.filter(function (p) { return data.calls[p.call].model === m.model; }),
        grouped: false,
        minBarLength: 3,
        borderSkipped: false,
        barPercentage: 0.85,
        categoryPercentage: 0.9,
        backgroundColor: function (ctx) {
          var call = ctx.raw && callOf(ctx);
          return call && call.outcome !== 'success' ? alpha(color, 0.35) : alpha(color, 0.85);
        },
        borderColor: function (ctx) {
          var call = ctx.raw && callOf(ctx);
          return call && call.attempt > 1 ? '#111111' : color;
        },
        borderWidth: function (ctx) {
          var call = ctx.raw && callOf(ctx);
          return call && call.attempt > 1 ? 3 : 1;
        }
      };
    });
    var retried = points.filter(function (p) { return data.calls[p.call].retries > 0; });
    var escalated = points.filter(function (p) { return data.calls[p.call].attempt > 1; });
    // Marks drawn over the bars: a retried call's in its middle, an escalation's at its start.
    function marker(label, kind, list, style, color, at) {
      return {
        type: 'scatter', label: label, kind: kind, pointStyle: style, pointRadius: 7, clip: false,
        backgroundColor: color, borderColor: '#ffffff', borderWidth: 1,
        data: list.map(function (p) { return { x: at(p.x), y: p.y, call: p.call }; })
      };
    }
    var middle = function (x) { return (x[0] + x[1]) / 2; };
    var start = function (x) { return x[0]; };
    if (retried.length) datasets.push(marker('retried (transport retries)', 'retries', retried, 'triangle', '#d62728', middle));
    if (escalated.length) datasets.push(marker('escalation (attempt > 1)', 'escalations', escalated, 'rectRot', '#111111', start));
    var timelineBox = document.getElementById('timeline-box');
    timelineBox.style.height = Math.max(150, 90 + data.lanes * 34) + 'px';
    new Chart(document.getElementById('timeline-chart'), {
      data: { labels: slots, datasets: datasets },
      options: {
        indexAxis: 'y', maintainAspectRatio: false, parsing: { xAxisKey: 'x', yAxisKey: 'y' },
        scales: {
          x: { type: 'linear', min: 0, title: { display: true, text: 'seconds since the run started' } },
          y: { type: 'category', labels: slots, offset: true, ticks: { autoSkip: false } }
        },
        plugins: {
          legend: { position: 'bottom' },
          tooltip: { callbacks: { label: function (ctx) {
            var call = data.calls[ctx.raw.call];
            return call.taskId + ' · ' + call.role + ' · ' + call.model + ' · attempt ' + call.attempt +
              ' · ' + call.outcome + ' · ' + call.retries + ' retries · ' +
              ((call.end - call.start) / 1000).toFixed(3) + ' s · ' +
              (call.cost === undefined ? 'not billed' : nanoUsd(call.cost));
          } } }
        }
      }
    });
    function doughnut(id, slices, colors) {
      new Chart(document.getElementById(id), {
        type: 'doughnut',
        data: {
          labels: slices.map(function (s) { return s.label; }),
          datasets: [{ data: slices.map(function (s) { return s.nano; }), backgroundColor: colors }]
        },
        options: { maintainAspectRatio: false, plugins: { legend: { position: 'right' },
          tooltip: { callbacks: { label: function (ctx) { return ctx.label + ': ' + nanoUsd(ctx.raw); } } } } }
      });
    }
    doughnut('cost-by-model-chart', data.costByModel, data.costByModel.map(function (s) { return colorOf[s.label] || OTHER; }));
    var ROLE_COLORS = ['#4e79a7', '#edc948', '#59a14f', '#b07aa1', OTHER];
    doughnut('cost-by-role-chart', data.costByRole, ROLE_COLORS.slice(0, data.costByRole.length));
    var subtaskBox = document.getElementById('cost-by-subtask-box');
    subtaskBox.style.height = Math.max(150, 80 + data.subtaskCosts.labels.length * 24) + 'px';
    new Chart(document.getElementById('cost-by-subtask-chart'), {
      type: 'bar',
      data: {
        labels: data.subtaskCosts.labels,
        datasets: data.subtaskCosts.byModel.map(function (row) {
          return { label: row.model, data: row.nano, backgroundColor: colorOf[row.model] || OTHER };
        })
      },
      options: {
        indexAxis: 'y', maintainAspectRatio: false,
        scales: { x: { stacked: true, ticks: { callback: function (v) { return '$' + (v / 1e9).toPrecision(3); } } }, y: { stacked: true, ticks: { autoSkip: false } } },
        plugins: { legend: { position: 'bottom' },
          tooltip: { callbacks: { label: function (ctx) { return ctx.dataset.label + ': ' + nanoUsd(ctx.raw); } } } }
      }
    });
    body.setAttribute('data-charts', 'ready');
  } catch (error) {
    body.setAttribute('data-charts', 'error');
    var box = document.getElementById('chart-error');
    box.textContent = 'The charts could not be drawn: ' + (error && error.message ? error.message : String(error));
    box.hidden = false;
  }
})();
`;
