/* Machine page graphs: unpack the data written by site_builder/series.py and
   draw one Plotly graph per interface / extra value, with day, week, month and
   year buttons (the finest archive is used for each period). */
"use strict";
(function () {
  var GAP = 0xFFFF;

  function unpack(packed) {
    var bin = atob(packed.data);
    var view = new DataView(new ArrayBuffer(bin.length));
    for (var i = 0; i < bin.length; i++) view.setUint8(i, bin.charCodeAt(i));
    var out = new Array(bin.length / 2);
    for (var j = 0; j < out.length; j++) {
      var v = view.getUint16(j * 2, true);
      out[j] = v === GAP ? null : v * packed.scale;
    }
    return out;
  }

  function times(runs) {
    var xs = [];
    runs.forEach(function (run) {
      for (var i = 0; i < run[2]; i++) xs.push(new Date((run[0] + run[1] * i) * 1000));
    });
    return xs;
  }

  function traces(graph) {
    var d = graph.data, x = times(d.runs), peakX = x.slice(0, d.peak_points);
    var hover = graph.kind === "interface" ? "%{y:.3s}b/s<extra>%{fullData.name}</extra>" :
      "%{y:.4~g}" + (graph.unit ? " " + graph.unit : "") + "<extra>%{fullData.name}</extra>";
    function line(name, xs, ys, color, extra) {
      var t = { type: "scatter", mode: "lines", name: name, x: xs, y: ys, line: { color: color, width: 1.5 },
                hovertemplate: hover, connectgaps: false };
      for (var k in extra) t[k] = extra[k];
      return t;
    }
    var out = [];
    if (graph.kind === "interface") {
      out.push(line("in", x, unpack(d["in"]), "#00a000", { fill: "tozeroy", fillcolor: "rgba(0,200,0,0.35)" }));
      out.push(line("out", x, unpack(d.out), "#1f3fbf", {}));
      if (peakX.length) {
        out.push(line("in peak", peakX, unpack(d.in_max), "#006400", { line: { color: "#006400", width: 1, dash: "dot" } }));
        out.push(line("out peak", peakX, unpack(d.out_max), "#b000b0", { line: { color: "#b000b0", width: 1, dash: "dot" } }));
      }
    } else {
      out.push(line(graph.title, x, unpack(d.avg), "#1f3fbf", {}));
      if (peakX.length) out.push(line("peak", peakX, unpack(d.max), "#b000b0", { line: { color: "#b000b0", width: 1, dash: "dot" } }));
    }
    return out;
  }

  function visibleMax(div) {
    var range = div.layout.xaxis.range, lo = new Date(range[0]).getTime(), hi = new Date(range[1]).getTime(), top = 0;
    div.data.forEach(function (t) {
      for (var i = 0; i < t.x.length; i++) {
        var ms = t.x[i].getTime ? t.x[i].getTime() : new Date(t.x[i]).getTime();
        if (ms >= lo && ms <= hi && t.y[i] !== null && t.y[i] > top) top = t.y[i];
      }
    });
    return top;
  }

  /* Plotly keeps the y range of all the data; fit it to the period shown. */
  function fitY(div) {
    var top = visibleMax(div);
    Plotly.relayout(div, { "yaxis.range": [0, top > 0 ? top * 1.08 : 1] });
  }

  function draw(graph) {
    var div = document.getElementById(graph.id);
    if (!div) return;
    var data = traces(graph);
    var x = data[0].x, last = x.length ? x[x.length - 1] : new Date();
    /* the last day, or less when there is less (a device added a few minutes ago) */
    var first = new Date(Math.max(last.getTime() - 86400000, x.length ? x[0].getTime() : 0));
    var layout = {
      height: 260, margin: { l: 60, r: 10, t: 10, b: 30 }, showlegend: true,
      legend: { orientation: "h", y: -0.2 }, hovermode: "x unified",
      xaxis: { type: "date", range: [first, last], rangeselector: { buttons: [
        { count: 1, label: "day", step: "day", stepmode: "backward" },
        { count: 7, label: "week", step: "day", stepmode: "backward" },
        { count: 1, label: "month", step: "month", stepmode: "backward" },
        { count: 1, label: "year", step: "year", stepmode: "backward" },
        { step: "all", label: "all" }] } },
      yaxis: { rangemode: "tozero", ticksuffix: graph.kind === "interface" ? "b/s" : (graph.unit ? " " + graph.unit : ""),
               tickformat: graph.kind === "interface" ? ".3s" : "" }
    };
    Plotly.newPlot(div, data, layout, { responsive: true, displaylogo: false }).then(function () {
      fitY(div);
      div.on("plotly_relayout", function (ev) {
        if (ev && (ev["xaxis.range[0]"] !== undefined || ev["xaxis.range"] !== undefined || ev["xaxis.autorange"])) {
          Vigie.state.busy = !ev["xaxis.autorange"];  /* zoomed in: do not reload under the user */
          fitY(div);
        }
      });
      div.dataset.rendered = "1";
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var holder = document.getElementById("graph-data");
    if (!holder || typeof Plotly === "undefined") return;
    JSON.parse(holder.textContent).forEach(draw);
  });
})();
