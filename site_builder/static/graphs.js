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
      out[j] = v === GAP ? null : v * packed.scale + (packed.offset || 0);
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

  /* the section of recent.jsonl's lines a graph reads: "if", "oid" or "health" */
  function sectionOf(spec) {
    return spec.kind === "interface" ? "if" : spec.section || "oid";
  }

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
        return c[0] === sectionOf(spec) && c[1] === spec.key &&
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

  /* ---- a first look: the time shown as a plain SVG, drawn as soon as the data are in ----
     Plotly (1.2 MB of script) takes a moment to start on a small machine; the person sees
     the traffic at once, and the interactive graph replaces it. */

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

  function preview(div, spec, data, range) {
    var lo = range[0], hi = range[1], xs = [], columns = {};
    var names = columnsOf(spec).main, top = 0;
    names.forEach(function (name) { columns[name] = []; });
    data.x.forEach(function (t, i) {
      if (t < lo || t > hi) return;
      xs.push(t);
      names.forEach(function (name) {
        var v = data.y[name][i];
        columns[name].push(v);
        if (v !== null && v > top) top = v;
      });
    });
    var width = Math.max(300, div.clientWidth || 1000), height = 260, pad = 30;
    var toX = function (t) { return pad + (t - lo) / Math.max(1, hi - lo) * (width - pad - 10); };
    var toY = function (v) { return height - pad - v / (top > 0 ? top * 1.08 : 1) * (height - pad - 10); };
    var svg = svgElement("svg", { "class": "preview", viewBox: "0 0 " + width + " " + height,
                                  role: "img",
                                  "aria-label": spec.title + ": a first look, the interactive graph is loading" });
    names.forEach(function (name, n) {
      if (spec.kind === "interface" && n === 0)      /* in: filled down to zero, as in the Plotly graph */
        svg.appendChild(svgElement("path", { d: pathOf(xs, columns[name], toX, toY, true), fill: "rgba(0,200,0,0.35)" }));
      svg.appendChild(svgElement("path", { d: pathOf(xs, columns[name], toX, toY, false), fill: "none",
                                           stroke: COLORS[name], "stroke-width": 1.5 }));
    });
    var label = svgElement("text", { x: pad, y: 14, "class": "preview-top" });
    label.textContent = valueText(spec, top) + " at most in the time shown";
    svg.appendChild(label);
    /* its time scale, for whoever reads the drawing (tests, tools) */
    svg.dataset.t0 = lo; svg.dataset.t1 = Math.max(lo + 1, hi); svg.dataset.x0 = pad; svg.dataset.x1 = width - 10;
    div.textContent = "";
    div.appendChild(svg);
    div.dataset.previewPoints = xs.length;
  }

  /* ---- one time range for the whole page ----
     The bar above the graphs sets it (day, week, month, year, all); a zoom on any graph
     sets it to that period for every graph. It is kept in the address (?range=week, or
     ?from=&to= in unix seconds), so a reload or a shared link shows the same. The MRTG
     set of a port keeps its own four periods. */

  var SPANS = { day: 86400, week: 7 * 86400, month: 31 * 86400, year: 366 * 86400 };
  var pageRange = { name: "day" }, named = "day";

  function readRange() {
    var q = new URLSearchParams(location.search), from = Number(q.get("from")), to = Number(q.get("to"));
    if (from && to && to > from) return { name: "custom", from: from, to: to };
    var name = q.get("range");
    return { name: SPANS[name] || name === "all" ? name : "day" };
  }

  /* [from, to] in unix seconds of a range for a graph's data: a named period ends at the
     graph's last value (the machine's last poll). */
  function rangeFor(range, data) {
    var last = data.x.length ? data.x[data.x.length - 1] : Date.now() / 1000, first = data.x.length ? data.x[0] : last;
    if (range.name === "custom") return [range.from, range.to];
    if (range.name === "all") return [first, last];
    return [Math.max(last - SPANS[range.name], Math.min(first, last - 3600)), last];
  }

  function showRange() {
    var bar = document.getElementById("page-range");
    if (!bar) return;
    bar.querySelectorAll("button[data-range]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b.dataset.range === pageRange.name));
    });
    var custom = bar.querySelector(".range-custom");
    custom.hidden = pageRange.name !== "custom";
    if (pageRange.name === "custom")
      custom.textContent = "from " + Vigie.localTime(new Date(pageRange.from * 1000).toISOString()) +
        " to " + Vigie.localTime(new Date(pageRange.to * 1000).toISOString());
    bar.dataset.range = pageRange.name;
  }

  function keepRange() {
    var q = new URLSearchParams(location.search);
    ["range", "from", "to"].forEach(function (k) { q.delete(k); });
    if (pageRange.name === "custom") { q.set("from", Math.round(pageRange.from)); q.set("to", Math.round(pageRange.to)); }
    else if (pageRange.name !== "day") q.set("range", pageRange.name);
    var search = q.toString();
    history.replaceState(history.state, "", location.pathname + (search ? "?" + search : "") + location.hash);
  }

  /* Every drawn graph (but the MRTG set) to the page's range, its y axis, 95th percentile
     line and marks fitted to what it shows. */
  function setRange(range, except) {
    pageRange = range;
    if (range.name !== "custom") named = range.name;
    showRange();
    keepRange();
    Object.keys(drawn).forEach(function (id) {
      var d = drawn[id];
      if (d.fixed || !d.div.dataset.rendered || d.div === except) return;
      Plotly.relayout(d.div, view(d, rangeFor(range, d.data)));
    });
    if (except) fit(drawn[except.id]);
  }

  /* the y axis and marks of a graph to the x range it shows now (the user's zoom) */
  function fit(d) {
    return Plotly.relayout(d.div, view(d, shownRange(d), true));
  }

  function shownRange(d) {
    var r = d.div.layout.xaxis.range;
    return [new Date(r[0]).getTime() / 1000, new Date(r[1]).getTime() / 1000];
  }

  function same(a, b) { return Math.abs(a[0] - b[0]) < 1 && Math.abs(a[1] - b[1]) < 1; }

  /* ---- the marks on a graph: alerts and state changes, maintenance windows, the 95th percentile ---- */

  var MARK_COLOURS = { CRITICAL: "#d0021b", ERROR: "#e8590c", WARNING: "#d4a106", INFO: "#6c757d",
                       down: "#d0021b", up: "#2b8a3e" };

  function marksFor(spec) {
    var notes = specs.annotations || { marks: [], maintenance: [] }, key = spec.interface || spec.key;
    var shapes = [], labels = [];
    notes.maintenance.forEach(function (w) {
      var start = new Date(w[0]), end = w[1] ? new Date(w[1]) : new Date();
      shapes.push({ type: "rect", xref: "x", yref: "paper", x0: start, x1: end, y0: 0, y1: 1, layer: "below",
                    fillcolor: "rgba(128,128,128,0.2)", line: { width: 0 }, name: "maintenance" });
      labels.push({ x: start, xref: "x", xanchor: "left", y: 1, yref: "paper", yanchor: "top", showarrow: false,
                    text: "maintenance", font: { size: 10, color: "#6c757d" }, hovertext: "maintenance: " + w[2],
                    name: "maintenance" });
    });
    notes.marks.forEach(function (m) {
      if (m[2] && (spec.kind !== "interface" && !spec.interface || m[2] !== key)) return;  /* another interface's */
      var at = new Date(m[0]), colour = MARK_COLOURS[m[1]] || "#6c757d";
      shapes.push({ type: "line", xref: "x", yref: "paper", x0: at, x1: at, y0: 0, y1: 1, layer: "below",
                    line: { color: colour, width: 1, dash: "dot" }, name: "mark" });
      labels.push({ x: at, xref: "x", y: 1, yref: "paper", yanchor: "bottom", showarrow: false, text: "●",
                    font: { size: 11, color: colour }, name: "mark",
                    hovertext: m[1] + " " + Vigie.localTime(m[0]) + ": " + (m[2] ? m[2] + ": " : "") + m[3] });
    });
    return { shapes: shapes, labels: labels };
  }

  /* nearest-rank percentile of the values, or null */
  function percentile(values, p) {
    if (!values.length) return null;
    values.sort(function (a, b) { return a - b; });
    return values[Math.max(0, Math.ceil(p / 100 * values.length) - 1)];
  }

  /* What a graph shows of [lo, hi]: its highest value and, for an interface, the 95th
     percentile of each direction (of the values shown: polls for a day, averages beyond). */
  function shown(spec, data, lo, hi) {
    var cols = columnsOf(spec), top = 0, bottom = 0, found = {};
    cols.main.forEach(function (name) {
      var ys = data.y[name], kept = [];
      for (var i = 0; i < data.x.length; i++) {
        if (data.x[i] < lo || data.x[i] > hi || ys[i] === null || ys[i] === undefined) continue;
        kept.push(ys[i]);
        if (ys[i] > top) top = ys[i];
        if (ys[i] < bottom) bottom = ys[i];      /* a temperature outdoors, an optical power in dBm */
      }
      found[name] = kept;
    });
    cols.peaks.forEach(function (name) {
      var ys = data.peaks[name] || [];
      for (var i = 0; i < data.peakX.length; i++)
        if (data.peakX[i] >= lo && data.peakX[i] <= hi && ys[i] !== null && ys[i] > top) top = ys[i];
    });
    var p95 = null;
    if (spec.kind === "interface") {
      var pin = percentile(found["in"], 95), pout = percentile(found.out, 95);
      if (pin !== null || pout !== null)
        p95 = (pout === null || pin !== null && pin >= pout) ? { dir: "in", value: pin } : { dir: "out", value: pout };
    }
    return { top: top, bottom: bottom, p95: p95 };
  }

  /* The layout changes that show [lo, hi]: x range, y axis with round ticks (an idle
     interface still gets 0 to 1 kb/s, never fractions of a bit per second), the 95th
     percentile line, the marks. `keepX`: the x range is the user's, already set. */
  function view(d, range, keepX) {
    var spec = d.spec, seen = shown(spec, d.data, range[0], range[1]);
    var floor = spec.kind === "interface" ? 1000 : spec.unit === "%" ? 10 : 0;
    var top = Math.max(seen.top * 1.08, floor) || 1, bottom = seen.bottom * 1.08;
    var ticks = niceTicks(top, bottom), marks = d.marks, shapes = marks.shapes.slice(), labels = marks.labels.slice();
    d.div.dataset.p95 = seen.p95 ? seen.p95.value : "";
    if (seen.p95) {
      var text = "95th percentile (" + seen.p95.dir + "): " + bps(seen.p95.value);
      shapes.push({ type: "line", xref: "paper", x0: 0, x1: 1, yref: "y", y0: seen.p95.value, y1: seen.p95.value,
                    line: { color: "#c2255c", width: 1, dash: "dash" }, name: "p95" });
      labels.push({ xref: "paper", x: 1, xanchor: "right", yref: "y", y: seen.p95.value, yanchor: "bottom",
                    showarrow: false, text: text, font: { size: 10, color: "#c2255c" }, name: "p95", yshift: 2 });
    }
    var out = { "yaxis.range": [Math.min(0, ticks[0]), top], "yaxis.tickvals": ticks, shapes: shapes,
                annotations: labels, "yaxis.ticktext": ticks.map(function (v) { return axisText(spec, v); }) };
    if (!keepX) out["xaxis.range"] = [new Date(range[0] * 1000), new Date(range[1] * 1000)];
    return out;
  }

  /* ---- drawing ---- */

  function dates(xs) { return xs.map(function (t) { return new Date(t * 1000); }); }

  /* A value as the axis and the hover write it: bits per second with k, M, G, T (never
     below 1 b/s: no "m" that would read as mega), other values with their unit. */
  function axisText(spec, v) {
    return spec.kind === "interface" ? bps(v) : spec.unit === "B" ? bytes(v) : number(v);
  }

  function valueText(spec, v) {
    if (v === null || v === undefined) return "–";
    if (spec.kind === "interface") return bps(v);
    if (spec.unit === "B") return bytes(v);
    return number(v) + (spec.unit ? " " + spec.unit : "");
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
      "hoverlabel.bgcolor": c.card, "hoverlabel.font.color": c.fg, "legend.font.color": c.fg
    };
  }

  function layout(d, range, title) {
    var spec = d.spec, c = palette(), last = d.data.x.length ? d.data.x[d.data.x.length - 1] : Date.now() / 1000;
    var out = {
      height: d.fixed ? 220 : 260, margin: { l: 10, r: 10, t: title ? 34 : 22, b: 30 }, showlegend: true,
      legend: { orientation: "h", y: -0.2, font: { color: c.fg } }, hovermode: "x unified",
      paper_bgcolor: "rgba(0,0,0,0)", plot_bgcolor: "rgba(0,0,0,0)", font: { color: c.fg },
      hoverlabel: { bgcolor: c.card, font: { color: c.fg } },
      xaxis: { type: "date", gridcolor: c.line, linecolor: c.line,
               hoverformat: "%Y-%m-%d %H:%M:%S " + Vigie.zoneText(new Date(last * 1000)) },
      /* ticks written by view (niceTicks); the margin grows to fit them, whatever the unit */
      yaxis: { rangemode: "tozero", automargin: true, gridcolor: c.line, linecolor: c.line, tickmode: "array" }
    };
    if (title) out.title = { text: title, font: { size: 13, color: c.fg }, x: 0, xanchor: "left", y: 0.98 };
    if (spec.kind !== "interface" && spec.unit) out.yaxis.title = { text: spec.unit, standoff: 6, font: { color: c.muted } };
    var changes = view(d, range);
    Object.keys(changes).forEach(function (k) {
      var path = k.split("."), at = out;
      for (var i = 0; i < path.length - 1; i++) at = at[path[i]];
      at[path[path.length - 1]] = changes[k];
    });
    return out;
  }

  /* The Plotly options: on a phone no tool bar. */
  function plotConfig() {
    return { responsive: true, displaylogo: false, displayModeBar: PHONE.matches ? false : "hover" };
  }

  /* Five or so round ticks from 0 (or from bottom, under zero) to top: 1, 2 or 5 times a power of ten. */
  function niceTicks(top, bottom) {
    bottom = bottom || 0;
    var raw = (top - bottom) / 5, power = Math.pow(10, Math.floor(Math.log10(raw))), step = power * 10;
    [1, 2, 5, 10].some(function (m) { if (m * power >= raw) { step = m * power; return true; } return false; });
    var ticks = [];
    for (var v = Math.floor(bottom / step) * step; v <= top + step * 1e-9; v += step) ticks.push(Number(v.toPrecision(12)));
    return ticks;
  }

  /* The page's stages on the browser's performance time line (the bench reads them): the
     first time each is reached. */
  function stage(name) {
    if (window.performance && performance.mark && !performance.getEntriesByName("vigie:" + name).length)
      performance.mark("vigie:" + name);
  }

  function mark(div, data) {
    div.dataset.points = data.x.length;
    div.dataset.peakPoints = data.peakX.length;
    div.dataset.rendered = "1";
  }

  /* The range a graph shows: its own period in the MRTG set, else the page's. */
  function rangeOf(d) {
    return rangeFor(d.fixed ? { name: d.fixed } : pageRange, d.data);
  }

  /* A graph's data: its files, or (the sum graph) its interfaces' files added up. */
  function dataOf(d) {
    if (!d.parts) return loadGraph(d.spec).then(function (f) { return timeline(d.spec, f[0], f[1], f[2]); });
    return Promise.all(d.parts.map(function (spec) {
      return loadGraph(spec).then(function (f) { return timeline(spec, f[0], f[1], f[2]); });
    })).then(sum);
  }

  /* The interfaces' values added up at each time all of them have one: a time where one
     has none is a gap of the sum (peaks are not added: a sum of peaks never happened). */
  function sum(parts) {
    var at = {}, xs = [];
    parts.forEach(function (p, n) {
      p.x.forEach(function (t, i) {
        var row = at[t];
        if (!row) { row = at[t] = { n: 0, "in": 0, out: 0, gap: false }; xs.push(t); }
        row.n += 1;
        ["in", "out"].forEach(function (name) {
          var v = p.y[name][i];
          if (v === null || v === undefined) row.gap = true; else row[name] += v;
        });
      });
    });
    xs.sort(function (a, b) { return a - b; });
    var data = { x: xs, y: { "in": [], out: [] }, peakX: [], peaks: {} };
    xs.forEach(function (t) {
      var row = at[t], whole = row.n === parts.length && !row.gap;
      data.y["in"].push(whole ? row["in"] : null);
      data.y.out.push(whole ? row.out : null);
    });
    return data;
  }

  /* A zoom, a pan or a double-click on one graph: every graph to that period. The page's
     own changes (which show what the page range says) are let through. */
  function onRelayout(d) {
    d.div.on("plotly_relayout", function (ev) {
      if (!ev) return;
      if (ev["xaxis.autorange"]) return d.fixed ? fit(d) : setRange({ name: named }, null);
      if (ev["xaxis.range[0]"] === undefined && ev["xaxis.range"] === undefined) return;
      var now = shownRange(d);
      if (same(now, d.fixed ? rangeOf(d) : rangeFor(pageRange, d.data))) return;
      if (d.fixed) return fit(d);
      var range = { name: "custom", from: now[0], to: now[1] };
      if (same(now, rangeFor({ name: named }, d.data))) range = { name: named };   /* a double-click came back */
      Vigie.state.busy = range.name === "custom";        /* zoomed in: do not reload under the user */
      setRange(range, d.div);
    });
  }

  /* Draw one graph: `d` is {div, spec} and maybe fixed (a period of its own), parts (a sum),
     title. Its first look comes first while Plotly is not running yet. */
  function draw(d) {
    if (!d.div || drawn[d.div.id]) return Promise.resolve();
    drawn[d.div.id] = d;
    d.marks = marksFor(d.spec);
    d.div.classList.add("loading");
    d.div.vigieSpec = d.spec;
    return dataOf(d).then(function (data) {
      d.data = data;
      stage("data");
      if (typeof Plotly !== "undefined") return null;     /* Plotly is running: no first look to flash */
      preview(d.div, d.spec, data, rangeOf(d));
      stage("first-look");
      return afterPaint().then(loadPlotly).catch(function (err) {
        var note = document.createElement("p");
        note.className = "error";
        note.textContent = "The interactive graph cannot be shown: " + err.message;
        d.div.appendChild(note);
        throw null;
      });
    }).then(function () {
      d.div.textContent = "";
      return Plotly.newPlot(d.div, traces(d.spec, d.data), layout(d, rangeOf(d), d.title), plotConfig())
        .then(function () {
          onRelayout(d);
          d.div.classList.remove("loading");
          mark(d.div, d.data);
          stage("interactive");
        });
    }).catch(function (err) {
      d.div.classList.remove("loading");
      if (err === null) return;          /* the first look stays, with its note */
      d.div.textContent = "Graph data cannot be read: " + err.message;
      d.div.classList.add("error");
    });
  }

  /* New polls (or a new cut) for the graphs already drawn, keeping what the user looks at. */
  function redraw() {
    Object.keys(drawn).forEach(function (id) {
      var d = drawn[id];
      if (!d.div.dataset.rendered) return;
      dataOf(d).then(function (data) {
        d.data = data;
        var range = Vigie.state.busy ? [pageRange.from, pageRange.to] : rangeOf(d);
        return Plotly.react(d.div, traces(d.spec, data), layout(d, range, d.title)).then(function () {
          mark(d.div, data);
        });
      }).catch(function () {});
    });
  }

  /* ---- numbers ---- */

  /* The same rules as vigie/units.py, which formats the numbers the page is built with:
     three significant digits under the largest SI prefix that keeps the figure under 1000. */
  function si(value, units) {
    if (value === null || value === undefined) return "–";
    for (var i = 0; i < units.length; i++) {
      if (Math.abs(value) < 999.5 || i === units.length - 1) {
        return (i === 0 || Math.abs(value) >= 999.5 ? value.toFixed(0) : String(Number(value.toPrecision(3)))) +
          " " + units[i];
      }
      value /= 1000;
    }
    return "–";
  }

  function bps(value) {
    return value > 0 && value < 1 ? "< 1 b/s" : si(value, ["b/s", "kb/s", "Mb/s", "Gb/s", "Tb/s"]);
  }

  function bytes(value) { return si(value, ["B", "kB", "MB", "GB", "TB", "PB"]); }

  /* A health value with its unit, as vigie/units.py's measure writes it. */
  function measure(value, unit) {
    if (value === null || value === undefined) return "–";
    if (unit === "B") return bytes(value);
    if (unit === "%") return value.toFixed(1) + " %";
    var text = Math.abs(value) >= 999.5 ? value.toFixed(0) : String(Number(value.toPrecision(3)));
    return unit ? text + " " + unit : text;
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
    var health = document.querySelectorAll("#health-table tr[data-health]");
    for (var h = 0; h < health.length; h++) {
      var got = (live.health || {})[health[h].dataset.health];
      if (!got) continue;
      var cells = health[h].querySelectorAll("[data-live]");
      for (var c = 0; c < cells.length; c++) {
        var what = cells[c].dataset.live;
        if (what === "last") cells[c].textContent = measure(got[0], health[h].dataset.unit);
        else if (what === "percent") cells[c].textContent = got[1] === null ? "" : got[1].toFixed(1) + " %";
        else if (what === "days_to_full") cells[c].textContent = got[3] === null ? "" : got[3].toFixed(0) + " days";
        else if (what === "status" && got[2]) {
          cells[c].textContent = "";
          var word = document.createElement("span");
          word.className = "state state-" + (got[2] === "ok" || got[2] === "normal" ? "up" : "down");
          word.textContent = got[2];
          cells[c].appendChild(word);
        }
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
      stage("live");
      if (before) fold();
      showNumbers();
      if (before && (before.graphs.cut !== live.graphs.cut || before.graphs.recent !== live.graphs.recent ||
                     before.graphs.coarse !== live.graphs.coarse)) redraw();
    });
  }

  function watch() {
    var divs = document.querySelectorAll(".graph[data-graph]"), byId = {};
    specs.graphs.forEach(function (s) { byId[s.gid] = s; });
    function entry(div) { return { div: div, spec: byId[div.dataset.graph] }; }
    var list = [];
    for (var i = 0; i < divs.length; i++) if (byId[divs[i].dataset.graph]) list.push(divs[i]);
    if (!("IntersectionObserver" in window)) {
      list.forEach(function (div) { draw(entry(div)); });
      return;
    }
    var observer = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (!e.isIntersecting) return;
        observer.unobserve(e.target);
        draw(entry(e.target));
      });
    }, { rootMargin: "300px 0px" });
    list.forEach(function (div) { observer.observe(div); });
  }

  /* Errors and discards graphs with nothing but zeros in the last day are folded (their
     <details> closed); the others open. */
  function fold() {
    var nonzero = {};
    (live.graphs.nonzero || []).forEach(function (gid) { nonzero[gid] = true; });
    document.querySelectorAll("details.graph-fold[data-fold]").forEach(function (box) {
      var busy = !!nonzero[box.dataset.fold];
      if (busy && !box.dataset.seen) box.open = true;
      box.dataset.seen = "1";
      box.querySelector(".fold-note").textContent = busy ? "" : " · none in the last day";
    });
  }

  /* The MRTG set of a port (?port=<interface>): its day, week, month and year side by side. */
  function portSet() {
    var key = new URLSearchParams(location.search).get("port"), box = document.getElementById("port-set");
    var spec = specs.graphs.filter(function (s) { return s.kind === "interface" && s.key === key; })[0];
    if (!box || !spec) return;
    box.hidden = false;
    box.querySelector(".port-name").textContent = spec.title + (spec.alias ? " (" + spec.alias + ")" : "");
    box.querySelectorAll(".graph[data-set]").forEach(function (div) {
      draw({ div: div, spec: spec, fixed: div.dataset.set, title: div.dataset.set });
    });
    if (location.hash === "#port-set") box.scrollIntoView();   /* it was hidden when the page came */
  }

  /* The sum of the interfaces ticked in the table (?sum=<interface>,<interface>...). */
  function sumGraph() {
    var button = document.getElementById("sum-show"), picks = document.querySelectorAll("#interfaces input.pick");
    var wanted = (new URLSearchParams(location.search).get("sum") || "").split(",").filter(Boolean);
    picks.forEach(function (p) { p.checked = wanted.indexOf(p.value) >= 0; });
    function ticked() { return Array.prototype.filter.call(picks, function (p) { return p.checked; }); }
    if (button) {
      var update = function () { button.disabled = ticked().length < 2; };
      picks.forEach(function (p) { p.addEventListener("change", update); });
      update();
      button.addEventListener("click", function () {
        var q = new URLSearchParams(location.search);
        q.set("sum", ticked().map(function (p) { return p.value; }).join(","));
        location.search = q.toString();
      });
    }
    var parts = specs.graphs.filter(function (s) { return s.kind === "interface" && wanted.indexOf(s.key) >= 0; });
    var box = document.getElementById("sum-box");
    if (!box || parts.length < 2) return;
    box.hidden = false;
    box.querySelector(".sum-names").textContent = parts.map(function (s) { return s.title; }).join(" + ");
    var spec = { gid: "sum", kind: "interface", key: null, title: "sum", unit: "b/s" };
    draw({ div: document.getElementById("graph-sum"), spec: spec, parts: parts });
  }

  function wireRange() {
    var bar = document.getElementById("page-range");
    pageRange = readRange();
    if (pageRange.name !== "custom") named = pageRange.name;
    Vigie.state.busy = pageRange.name === "custom";
    showRange();
    if (!bar) return;
    bar.querySelectorAll("button[data-range]").forEach(function (b) {
      b.addEventListener("click", function () {
        Vigie.state.busy = false;
        setRange({ name: b.dataset.range }, null);
      });
    });
  }

  /* The Plotly bundle (1.2 MB) is downloading from the page's preload link; it is run as
     soon as the page is parsed, while the graph data are fetched. */
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
        script.onload = function () { stage("plotly"); resolve(); };
        script.onerror = function () { reject(new Error("plotly.min.js cannot be loaded")); };
        document.head.appendChild(script);
      });
    }
    return plotlyReady;
  }

  function recolour() {
    var update = colours(palette());
    Object.keys(drawn).forEach(function (id) {
      if (drawn[id].div.dataset.rendered) Plotly.relayout(drawn[id].div, update);
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
    wireRange();
    /* Plotly runs while the graph data are on their way (the network, not this page, is
       busy then); a graph whose data come first is shown at once as a first look. */
    if (document.querySelector(".graph[data-graph]")) loadPlotly().catch(function () {});
    readLive().then(function () { fold(); portSet(); sumGraph(); watch(); }, function (err) {
      var notice = document.querySelector(".graph[data-graph]");
      if (notice) notice.textContent = "The graph data cannot be read: " + err.message;
    });
    var seconds = Number(new URLSearchParams(location.search).get("refresh")) || Number(document.body.dataset.refresh) || 0;
    if (seconds) setInterval(function () { if (!document.hidden) readLive().catch(function () {}); }, seconds * 1000);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();

  return { timeline: timeline, unpack: unpack, bps: bps, bytes: bytes, measure: measure, number: number,
           niceTicks: niceTicks, sum: sum, percentile: percentile };
})();
