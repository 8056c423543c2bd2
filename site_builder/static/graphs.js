/* Machine page: live numbers, and graphs drawn when they come into view.

   Beside the page, in machines/<name>/ (site_builder/graphs.py):
     live.json             the numbers of the last poll and the versions of the graph files
     <graph>.fine.json     a graph's polls of the day before the last cut (packed)
     <graph>.coarse.json   its week, month and year rows before that, with their peaks
     recent.jsonl          every graph's polls since the cut: a header line, then a line a poll
   A graph fetches its two files and the shared recent.jsonl when it scrolls into view,
   and is drawn with Plotly; every REFRESH seconds live.json is read again, the numbers
   updated in place and the drawn graphs given the new polls. */
"use strict";
var VigieGraphs = (function () {
  var GAP = 0xFFFF;
  var PEAK_STYLE = { width: 1, dash: "dot" };
  var COLORS = { "in": "#00a000", out: "#1f3fbf", in_max: "#006400", out_max: "#b000b0", avg: "#1f3fbf", max: "#b000b0" };
  var specs = null, live = null, recent = null, drawn = {};

  /* ---- data files ---- */

  function unpack(packed) {
    var bin = atob(packed.data), out = new Array(bin.length / 2);
    for (var j = 0; j < out.length; j++) {
      var v = bin.charCodeAt(2 * j) | (bin.charCodeAt(2 * j + 1) << 8);
      out[j] = v === GAP ? null : v * packed.scale;
    }
    return out;
  }

  function times(runs) {
    var xs = [];
    runs.forEach(function (run) {
      for (var i = 0; i < run[2]; i++) xs.push(run[0] + run[1] * i);
    });
    return xs;
  }

  function getJSON(url, cache) {
    return fetch(url, { credentials: "same-origin", cache: cache || "default" }).then(function (r) {
      if (!r.ok) throw new Error(url + ": HTTP " + r.status);
      return r.json();
    });
  }

  /* recent.jsonl: {header, rows}; a last line without its newline is being written: left out */
  function parseRecent(text) {
    var lines = text.split("\n"), rows = [];
    lines.pop();
    var header = lines.length ? JSON.parse(lines[0]) : { columns: [] };
    for (var i = 1; i < lines.length; i++) if (lines[i]) rows.push(JSON.parse(lines[i]));
    return { header: header, rows: rows };
  }

  function loadRecent() {
    var g = live.graphs, version = g.cut + "-" + g.recent;
    if (!recent || recent.version !== version) {
      recent = { version: version, promise: fetch(specs.base + "recent.jsonl?v=" + version,
        { credentials: "same-origin", cache: "no-cache" }).then(function (r) {
          if (!r.ok) throw new Error("recent.jsonl: HTTP " + r.status);
          return r.text();
        }).then(parseRecent) };
    }
    return recent.promise;
  }

  function loadGraph(spec) {
    var g = live.graphs, base = specs.base + spec.gid;
    return Promise.all([getJSON(base + ".fine.json?v=" + g.cut), getJSON(base + ".coarse.json?v=" + g.coarse),
                        loadRecent()]);
  }

  /* ---- one graph's time line: coarse rows, then the fine day, then the polls since ---- */

  function columnsOf(spec) {
    return spec.kind === "interface" ? { main: ["in", "out"], peaks: ["in_max", "out_max"], recent: [0, 1] }
                                     : { main: ["avg"], peaks: ["max"], recent: [null] };
  }

  function timeline(spec, fine, coarse, rec) {
    var cols = columnsOf(spec), coarseX = times(coarse.runs), fineX = times(fine.runs);
    var data = { x: coarseX.concat(fineX), y: {}, peakX: coarseX, peaks: {} };
    cols.main.forEach(function (name) { data.y[name] = unpack(coarse[name]).concat(unpack(fine[name])); });
    cols.peaks.forEach(function (name) { data.peaks[name] = unpack(coarse[name]); });
    var last = data.x.length ? data.x[data.x.length - 1] : -Infinity;
    var index = cols.main.map(function (name, i) {
      var want = cols.recent[i];
      return rec.header.columns.findIndex(function (c) {
        return c[0] === (spec.kind === "interface" ? "if" : "oid") && c[1] === spec.key &&
               (want === null || c[2] === want);
      });
    });
    rec.rows.forEach(function (row) {
      if (row[0] <= last) return;
      data.x.push(row[0]);
      cols.main.forEach(function (name, i) { data.y[name].push(index[i] >= 0 ? row[index[i] + 1] : null); });
    });
    return data;
  }

  /* ---- a first look: the last day as a plain SVG, drawn as soon as the data are in ----
     Plotly (4.8 MB of script) takes a second or more to start on a small machine; the
     person sees the day's traffic at once, and the interactive graph replaces it. */

  var SVG = "http://www.w3.org/2000/svg";

  function svgElement(name, attrs) {
    var el = document.createElementNS(SVG, name);
    for (var k in attrs) el.setAttribute(k, attrs[k]);
    return el;
  }

  /* "M x y L x y ..." of the points, broken at gaps; closed down to the axis for an area */
  function pathOf(xs, ys, toX, toY, area) {
    var d = "", run = [];
    function flush() {
      if (!run.length) return;
      d += "M" + run[0][0] + " " + (area ? toY(0) + "L" + run[0][0] + " " : "") + run[0][1];
      for (var j = 1; j < run.length; j++) d += "L" + run[j][0] + " " + run[j][1];
      if (area) d += "L" + run[run.length - 1][0] + " " + toY(0) + "Z";
      run = [];
    }
    for (var i = 0; i < xs.length; i++) {
      if (ys[i] === null || ys[i] === undefined) flush();
      else run.push([toX(xs[i]).toFixed(1), toY(ys[i]).toFixed(1)]);
    }
    flush();
    return d;
  }

  function preview(div, spec, data) {
    var last = data.x.length ? data.x[data.x.length - 1] : 0, first = last - 86400, xs = [], columns = {};
    var names = columnsOf(spec).main, top = 0;
    names.forEach(function (name) { columns[name] = []; });
    data.x.forEach(function (t, i) {
      if (t <= first) return;
      xs.push(t);
      names.forEach(function (name) {
        var v = data.y[name][i];
        columns[name].push(v);
        if (v !== null && v > top) top = v;
      });
    });
    var width = Math.max(300, div.clientWidth || 1000), height = 260, pad = 30, lo = xs.length ? xs[0] : first;
    var toX = function (t) { return pad + (t - lo) / Math.max(1, last - lo) * (width - pad - 10); };
    var toY = function (v) { return height - pad - v / (top > 0 ? top * 1.08 : 1) * (height - pad - 10); };
    var svg = svgElement("svg", { "class": "preview", viewBox: "0 0 " + width + " " + height,
                                  role: "img",
                                  "aria-label": spec.title + ": the last day, the interactive graph is loading" });
    names.forEach(function (name, n) {
      if (spec.kind === "interface" && n === 0)      /* in: filled down to zero, as in the Plotly graph */
        svg.appendChild(svgElement("path", { d: pathOf(xs, columns[name], toX, toY, true), fill: "rgba(0,200,0,0.35)" }));
      svg.appendChild(svgElement("path", { d: pathOf(xs, columns[name], toX, toY, false), fill: "none",
                                           stroke: COLORS[name], "stroke-width": 1.5 }));
    });
    var label = svgElement("text", { x: pad, y: 14, "class": "preview-top" });
    label.textContent = (spec.kind === "interface" ? bps(top) : Number(top.toPrecision(4)) + (spec.unit ? " " + spec.unit : "")) +
      " at most in the last day";
    svg.appendChild(label);
    /* its time scale, for whoever reads the drawing (tests, tools) */
    svg.dataset.t0 = lo; svg.dataset.t1 = Math.max(lo + 1, last); svg.dataset.x0 = pad; svg.dataset.x1 = width - 10;
    div.textContent = "";
    div.appendChild(svg);
    div.dataset.previewPoints = xs.length;
  }

  /* ---- drawing ---- */

  function dates(xs) { return xs.map(function (t) { return new Date(t * 1000); }); }

  /* A value as the axis and the hover write it: bits per second with k, M, G, T (never
     below 1 b/s: no "m" that would read as mega), other values with their unit. */
  function valueText(spec, v) {
    if (v === null || v === undefined) return "–";
    return spec.kind === "interface" ? bps(v) : number(v) + (spec.unit ? " " + spec.unit : "");
  }

  function traces(spec, data) {
    var hover = "%{customdata}<extra>%{fullData.name}</extra>";
    function line(name, xs, ys, column, extra) {
      var t = { type: "scatter", mode: "lines", name: name, x: xs, y: ys, hovertemplate: hover, connectgaps: false,
                customdata: ys.map(function (v) { return valueText(spec, v); }),
                line: { color: COLORS[column], width: 1.5 } };
      for (var k in extra) t[k] = extra[k];
      return t;
    }
    var x = dates(data.x), peakX = dates(data.peakX), out = [];
    if (spec.kind === "interface") {
      out.push(area("in", x, data.y["in"], "rgba(0,200,0,0.35)"));
      out.push(line("in", x, data.y["in"], "in", { legendgroup: "in" }));
      out.push(line("out", x, data.y.out, "out", {}));
      if (peakX.length) {
        out.push(line("in peak", peakX, data.peaks.in_max, "in_max", { line: dashed("in_max") }));
        out.push(line("out peak", peakX, data.peaks.out_max, "out_max", { line: dashed("out_max") }));
      }
    } else {
      out.push(line(spec.title, x, data.y.avg, "avg", {}));
      if (peakX.length) out.push(line("peak", peakX, data.peaks.max, "max", { line: dashed("max") }));
    }
    return out;
  }

  /* The area under a line, each run of values closed down to zero on its own: Plotly's
     "tozeroy" joins the runs along their tops, painting traffic across every gap. */
  function area(name, xs, ys, colour) {
    var ax = [], ay = [], start = -1;
    function close(end) {
      if (start < 0) return;
      ax.push(xs[start]); ay.push(0);
      for (var j = start; j < end; j++) { ax.push(xs[j]); ay.push(ys[j]); }
      ax.push(xs[end - 1], xs[end - 1]); ay.push(0, null);
      start = -1;
    }
    for (var i = 0; i < ys.length; i++) {
      if (ys[i] === null || ys[i] === undefined) close(i);
      else if (start < 0) start = i;
    }
    close(ys.length);
    return { type: "scatter", mode: "lines", name: name, legendgroup: name, showlegend: false, hoverinfo: "skip",
             x: ax, y: ay, fill: "toself", fillcolor: colour, line: { width: 0 }, connectgaps: false };
  }

  function dashed(column) {
    return { color: COLORS[column], width: PEAK_STYLE.width, dash: PEAK_STYLE.dash };
  }

  /* Colours from the page's own palette (vigie.css), so dark mode reaches the graphs. */
  function palette() {
    var css = getComputedStyle(document.documentElement);
    function v(name, fallback) { return (css.getPropertyValue(name) || "").trim() || fallback; }
    return { fg: v("--fg", "#1b1f24"), muted: v("--muted", "#5b6570"), line: v("--line", "#d8dde3"),
             button: v("--button", "#eef3fa"), accent: v("--accent", "#1f5fbf"), card: v("--card", "#fff") };
  }

  var PHONE = window.matchMedia ? window.matchMedia("(max-width: 640px)") : { matches: false };

  function colours(c) {
    return {
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: c.fg },
      "xaxis.gridcolor": c.line, "yaxis.gridcolor": c.line, "xaxis.linecolor": c.line, "yaxis.linecolor": c.line,
      "xaxis.rangeselector.bgcolor": c.button, "xaxis.rangeselector.activecolor": c.accent,
      "xaxis.rangeselector.bordercolor": c.line, "xaxis.rangeselector.font.color": c.fg,
      "hoverlabel.bgcolor": c.card, "hoverlabel.font.color": c.fg, "legend.font.color": c.fg
    };
  }

  function layout(spec, data) {
    var last = data.x.length ? data.x[data.x.length - 1] : Date.now() / 1000;
    /* the last day, or less when there is less (a device added a few minutes ago) */
    var first = Math.max(last - 86400, data.x.length ? data.x[0] : 0);
    var c = palette();
    var out = {
      height: 260, margin: { l: 10, r: 10, t: 34, b: 30 }, showlegend: true,
      legend: { orientation: "h", y: -0.2, font: { color: c.fg } }, hovermode: "x unified",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: c.fg },
      hoverlabel: { bgcolor: c.card, font: { color: c.fg } },
      xaxis: { type: "date", range: [new Date(first * 1000), new Date(last * 1000)], gridcolor: c.line,
               linecolor: c.line, hoverformat: "%Y-%m-%d %H:%M:%S " + Vigie.zoneText(new Date(last * 1000)),
               rangeselector: {
                 x: 0, y: 1.02, xanchor: "left", yanchor: "bottom", bgcolor: c.button, activecolor: c.accent,
                 bordercolor: c.line, borderwidth: 1, font: { color: c.fg },
                 buttons: [
                   { count: 1, label: "day", step: "day", stepmode: "backward" },
                   { count: 7, label: "week", step: "day", stepmode: "backward" },
                   { count: 1, label: "month", step: "month", stepmode: "backward" },
                   { count: 1, label: "year", step: "year", stepmode: "backward" },
                   { step: "all", label: "all" }] } },
      /* ticks written by fitY (niceTicks); the margin grows to fit them, whatever the unit */
      yaxis: { rangemode: "tozero", automargin: true, gridcolor: c.line, linecolor: c.line, tickmode: "array" }
    };
    if (spec.kind !== "interface" && spec.unit) out.yaxis.title = { text: spec.unit, standoff: 6, font: { color: c.muted } };
    return out;
  }

  /* The Plotly options: on a phone no tool bar, which would cover the period buttons. */
  function plotConfig() {
    return { responsive: true, displaylogo: false, displayModeBar: PHONE.matches ? false : "hover" };
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

  /* Five or so round ticks from 0 to top: 1, 2 or 5 times a power of ten. */
  function niceTicks(top) {
    var raw = top / 5, power = Math.pow(10, Math.floor(Math.log10(raw))), step = power * 10;
    [1, 2, 5, 10].some(function (m) { if (m * power >= raw) { step = m * power; return true; } return false; });
    var ticks = [];
    for (var v = 0; v <= top + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
    return ticks;
  }

  /* Plotly keeps the y range of all the data; fit it to the period shown. An idle interface
     still gets an axis from 0 to 1 kb/s, never fractions of a bit per second. */
  function fitY(div) {
    var spec = div.vigieSpec, floor = spec.kind === "interface" ? 1000 : 0;
    var top = Math.max(visibleMax(div) * 1.08, floor) || 1;
    var ticks = niceTicks(top);
    Plotly.relayout(div, { "yaxis.range": [0, top], "yaxis.tickvals": ticks,
                           "yaxis.ticktext": ticks.map(function (v) { return spec.kind === "interface" ? bps(v) : number(v); }) });
  }

  function mark(div, data) {
    div.dataset.points = data.x.length;
    div.dataset.peakPoints = data.peakX.length;
    div.dataset.rendered = "1";
  }

  function draw(spec) {
    var div = document.getElementById("graph-" + spec.gid);
    if (!div || drawn[spec.gid]) return Promise.resolve();
    drawn[spec.gid] = { spec: spec, div: div };
    div.classList.add("loading");
    var data = null;
    div.vigieSpec = spec;
    return loadGraph(spec).then(function (files) {
      data = timeline(spec, files[0], files[1], files[2]);
      if (typeof Plotly !== "undefined") return null;     /* Plotly is running: no first look to flash */
      preview(div, spec, data);
      return afterPaint().then(loadPlotly).catch(function (err) {
        var note = document.createElement("p");
        note.className = "error";
        note.textContent = "The interactive graph cannot be shown: " + err.message;
        div.appendChild(note);
        throw null;
      });
    }).then(function () {
      div.textContent = "";
      return Plotly.newPlot(div, traces(spec, data), layout(spec, data), plotConfig())
        .then(function () {
          fitY(div);
          div.on("plotly_relayout", function (ev) {
            if (ev && (ev["xaxis.range[0]"] !== undefined || ev["xaxis.range"] !== undefined || ev["xaxis.autorange"])) {
              Vigie.state.busy = !ev["xaxis.autorange"];  /* zoomed in: do not reload under the user */
              fitY(div);
            }
          });
          div.classList.remove("loading");
          mark(div, data);
        });
    }).catch(function (err) {
      div.classList.remove("loading");
      if (err === null) return;          /* the first look stays, with its note */
      div.textContent = "Graph data cannot be read: " + err.message;
      div.classList.add("error");
    });
  }

  /* New polls (or a new cut) for the graphs already drawn, keeping what the user looks at. */
  function redraw() {
    Object.keys(drawn).forEach(function (gid) {
      var d = drawn[gid];
      if (!d.div.dataset.rendered) return;
      loadGraph(d.spec).then(function (files) {
        var data = timeline(d.spec, files[0], files[1], files[2]);
        var keep = Vigie.state.busy ? d.div.layout : layout(d.spec, data);
        return Plotly.react(d.div, traces(d.spec, data), keep).then(function () {
          if (!Vigie.state.busy) fitY(d.div);
          mark(d.div, data);
        });
      }).catch(function () {});
    });
  }

  /* ---- numbers ---- */

  /* The same rules as vigie/units.py, which formats the numbers the page is built with. */
  function bps(value) {
    if (value === null || value === undefined) return "–";
    if (value > 0 && value < 1) return "< 1 b/s";
    var units = ["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"];
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(value) < 999.5 || i === units.length - 1) {
        return (i === 0 || Math.abs(value) >= 999.5 ? value.toFixed(0) : String(Number(value.toPrecision(3)))) +
          " " + units[i];
      }
      value /= 1000;
    }
    return "–";
  }

  /* Another value: three significant digits, k / M / G / T past a thousand, never "m". */
  function number(value) {
    if (value === null || value === undefined) return "–";
    var abs = Math.abs(value), units = [[1e12, " T"], [1e9, " G"], [1e6, " M"], [1e3, " k"]];
    for (var i = 0; i < units.length; i++) {
      if (abs >= units[i][0]) return Number((value / units[i][0]).toPrecision(3)) + units[i][1];
    }
    return String(Number(value.toPrecision(3)));
  }

  var duration = Vigie.duration;

  var FORMAT = {
    in_bps: bps, out_bps: bps, in_peak_bps: bps, out_peak_bps: bps,
    utilisation_percent: function (v) { return v === null || v === undefined ? "–" : v.toFixed(1) + " %"; }
  };

  function showNumbers() {
    var rows = document.querySelectorAll("#interfaces tbody tr[data-key]");
    for (var i = 0; i < rows.length; i++) {
      var found = live.interfaces[rows[i].dataset.key];
      if (!found) continue;
      var values = {};
      live.columns.forEach(function (name, c) { values[name] = found[c]; });
      var cells = rows[i].querySelectorAll("[data-live]");
      for (var j = 0; j < cells.length; j++) {
        var name = cells[j].dataset.live;
        if (name === "oper_status") {
          var oper = values.oper_status;
          cells[j].textContent = oper || "?";
          cells[j].className = "state state-" + (oper === "up" ? "up" : oper === "unknown" ? "unknown" : "down");
          cells[j].title = oper === "unknown" && values.unknown_since ?
            "unknown since " + Vigie.localTime(values.unknown_since) + ", the machine's last answer" : "";
        } else if (FORMAT[name]) {
          cells[j].textContent = FORMAT[name](values[name]);
        }
      }
    }
    var status = live.status || {};
    var seen = document.querySelector('[data-status="last_seen"]');
    if (seen && status.last_seen) { seen.textContent = ""; seen.appendChild(Vigie.timeElement(status.last_seen)); }
    var up = document.querySelector('[data-status="uptime_seconds"]');
    if (up) {
      up.textContent = duration(status.uptime_seconds);
      if (status.answering === false && status.uptime_seconds !== null && status.uptime_seconds !== undefined) {
        var note = document.createElement("span");
        note.className = "sub";
        note.textContent = "(last known, read " + Vigie.localTime(status.uptime_as_of) + ")";
        up.appendChild(document.createTextNode(" "));
        up.appendChild(note);
      }
    }
    var oids = document.querySelectorAll("[data-oid]");
    for (var k = 0; k < oids.length; k++) {
      var v = live.oids[oids[k].dataset.oid];
      oids[k].textContent = v === null || v === undefined ? "–" : Number(v.toPrecision(4)).toString();
    }
  }

  /* ---- wiring ---- */

  function readLive() {
    return getJSON(specs.base + "live.json", "no-store").then(function (data) {
      var before = live;
      live = data;
      showNumbers();
      if (before && (before.graphs.cut !== live.graphs.cut || before.graphs.recent !== live.graphs.recent ||
                     before.graphs.coarse !== live.graphs.coarse)) redraw();
    });
  }

  function watch() {
    var divs = document.querySelectorAll(".graph[data-graph]"), byId = {};
    specs.graphs.forEach(function (s) { byId[s.gid] = s; });
    if (!("IntersectionObserver" in window)) {
      specs.graphs.forEach(draw);
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (entry) {
        if (!entry.isIntersecting) return;
        observer.unobserve(entry.target);
        draw(byId[entry.target.dataset.graph]);
      });
    }, { rootMargin: "300px 0px" });
    for (var i = 0; i < divs.length; i++) observer.observe(divs[i]);
  }

  /* plotly.min.js (4.8 MB) is downloading from the page's preload link; it is run once the
     first graph's first look is drawn, so neither the table nor a first look ever waits for
     it: running it holds the page for a second or more on a small machine. */
  var plotlyReady = null;

  /* resolves once what was just put in the page has been painted */
  function afterPaint() {
    return new Promise(function (resolve) {
      requestAnimationFrame(function () { setTimeout(resolve, 0); });
    });
  }

  function loadPlotly() {
    if (!plotlyReady) {
      plotlyReady = new Promise(function (resolve, reject) {
        if (typeof Plotly !== "undefined") return resolve();
        var script = document.createElement("script");
        script.src = specs.plotly;
        script.onload = function () { resolve(); };
        script.onerror = function () { reject(new Error("plotly.min.js cannot be loaded")); };
        document.head.appendChild(script);
      });
    }
    return plotlyReady;
  }

  function recolour() {
    var update = colours(palette());
    Object.keys(drawn).forEach(function (gid) {
      if (drawn[gid].div.dataset.rendered) Plotly.relayout(drawn[gid].div, update);
    });
  }

  function start() {
    var holder = document.getElementById("graph-specs");
    if (!holder) return;
    specs = JSON.parse(holder.textContent);
    if (!specs.live) return;   /* no samples yet: no numbers nor graphs to read (the page is rebuilt when they come) */
    if (window.matchMedia) {
      var dark = window.matchMedia("(prefers-color-scheme: dark)");
      if (dark.addEventListener) dark.addEventListener("change", recolour);
    }
    readLive().then(watch, function (err) {
      var notice = document.querySelector(".graph[data-graph]");
      if (notice) notice.textContent = "The graph data cannot be read: " + err.message;
    });
    var seconds = Number(new URLSearchParams(location.search).get("refresh")) || Number(document.body.dataset.refresh) || 0;
    if (seconds) setInterval(function () { if (!document.hidden) readLive().catch(function () {}); }, seconds * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  return { draw: draw, timeline: timeline, unpack: unpack, bps: bps, number: number, niceTicks: niceTicks };
})();
