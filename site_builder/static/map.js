// The network map: map.json (written by the site builder) drawn by Cytoscape.js with its
// force-directed layout (cose). Nodes are coloured by state, links by the utilisation of
// their busier direction; an arrow points from a machine to those reached through it
// (their parents, vigie/dependencies.py); hovering shows names, ports, rates and parents;
// a click opens a machine.
(function () {
  "use strict";
  var STATE_COLOURS = { up: "#2e9d4b", down: "#d0342c", unknown: "#8a8f98", unmanaged: "#ffffff" };

  function utilisationColour(percent) {
    if (percent === null || percent === undefined) return "#9aa0a6";
    if (percent >= 85) return "#d0342c";
    if (percent >= 60) return "#e39b1b";
    return "#2e9d4b";
  }

  function bps(value) {
    if (value === null || value === undefined) return "?";
    var units = ["bit/s", "kbit/s", "Mbit/s", "Gbit/s", "Tbit/s"], i = 0;
    while (value >= 1000 && i < units.length - 1) { value /= 1000; i += 1; }
    return (value < 10 ? value.toFixed(1) : Math.round(value)) + " " + units[i];
  }

  function percent(value) {
    return value === null || value === undefined ? "no rate" : value.toFixed(1) + " %";
  }

  function elements(data) {
    var list = [];
    data.nodes.forEach(function (n) {
      list.push({ group: "nodes", data: { id: n.id, label: n.label, state: n.state, href: n.href || "",
        address: n.address || "", parents: n.parents || [], colour: STATE_COLOURS[n.state] || STATE_COLOURS.unknown } });
    });
    data.links.forEach(function (l, i) {
      list.push({ group: "edges", data: { id: "link-" + i, source: l.source, target: l.target,
        colour: utilisationColour(l.utilisation_percent), link: l, parent: l.parent || "" } });
    });
    return list;
  }

  function linkText(l, names) {
    return names[l.source] + " " + (l.source_interface || "?") + " \u2194 " + names[l.target] + " " +
      (l.target_interface || "?") + "\n" + percent(l.utilisation_percent) +
      (l.in_bps !== null ? " (in " + bps(l.in_bps) + ", out " + bps(l.out_bps) + " at " + names[l.rates_from] + ")" : "") +
      "\nvia " + l.via.join(", ");
  }

  function fillTable(data, names) {
    var body = document.querySelector("#map-links tbody");
    data.links.forEach(function (l) {
      var row = document.createElement("tr");
      [names[l.source], l.source_interface || "?", names[l.target], l.target_interface || "?", l.via.join(", "),
       percent(l.utilisation_percent)].forEach(function (text, i) {
        var cell = document.createElement("td");
        if (i === 5) cell.className = "num";
        cell.textContent = text;
        row.appendChild(cell);
      });
      body.appendChild(row);
    });
  }

  function draw(data) {
    var box = document.getElementById("map"), tip = document.getElementById("map-tip");
    var names = {};
    data.nodes.forEach(function (n) { names[n.id] = n.label; });
    fillTable(data, names);
    if (!data.nodes.length) {
      document.getElementById("map-message").textContent =
        "No machine yet: add devices, or run a discovery (python -m collector.discover).";
      return;
    }
    var cy = window.cytoscape({
      container: box, elements: elements(data), wheelSensitivity: 0.3, maxZoom: 1.4, minZoom: 0.05,
      style: [
        { selector: "node", style: { "background-color": "data(colour)", "label": "data(label)",
          "border-width": 2, "border-color": "#444", "font-size": 11, "text-valign": "bottom",
          "text-margin-y": 4, "width": 22, "height": 22, "color": "#222", "text-outline-color": "#fff",
          "text-outline-width": 2 } },
        { selector: "node[state = 'unmanaged']", style: { "border-style": "dashed", "shape": "round-rectangle" } },
        { selector: "edge", style: { "line-color": "data(colour)", "width": 3, "curve-style": "bezier" } },
        // midway, where no label covers it: toward the machine reached through the other end
        { selector: "edge[parent = 'source']", style: { "mid-target-arrow-shape": "triangle",
          "mid-target-arrow-color": "data(colour)", "arrow-scale": 1.3 } },
        { selector: "edge[parent = 'target']", style: { "mid-source-arrow-shape": "triangle",
          "mid-source-arrow-color": "data(colour)", "arrow-scale": 1.3 } },
        { selector: ":selected", style: { "border-color": "#0b5fff", "border-width": 4 } }
      ],
      layout: { name: "cose", animate: false, randomize: false, nodeRepulsion: function () { return 9000; },
        idealEdgeLength: function () { return 70; }, numIter: 1500, padding: 20 }
    });
    window.vigieMap = cy;   // for a person (or a test) looking at the drawing from the console
    box.dataset.ready = "true";
    box.dataset.nodes = String(cy.nodes().length);
    box.dataset.links = String(cy.edges().length);
    cy.on("mouseover", "node, edge", function (event) {
      var el = event.target, text;
      if (el.isNode()) {
        text = el.data("label") + (el.data("address") ? " (" + el.data("address") + ")" : "") + "\n" + el.data("state") +
          (el.data("parents").length ? "\nreached through " + el.data("parents").map(function (p) { return names[p]; })
            .join(", ") : "");
      } else {
        text = linkText(el.data("link"), names);
      }
      tip.textContent = text;
      tip.hidden = false;
      var at = event.renderedPosition || { x: 0, y: 0 };
      tip.style.left = (box.offsetLeft + at.x + 12) + "px";
      tip.style.top = (box.offsetTop + at.y + 12) + "px";
    });
    cy.on("mouseout", "node, edge", function () { tip.hidden = true; });
    cy.on("tap", "node", function (event) {
      var href = event.target.data("href");
      if (href) window.location.href = href;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var box = document.getElementById("map");
    fetch(box.dataset.source, { credentials: "same-origin", cache: "no-cache" })
      .then(function (answer) {
        if (!answer.ok) throw new Error("map.json: " + answer.status);
        return answer.json();
      })
      .then(draw)
      .catch(function (error) {
        document.getElementById("map-message").textContent = "The map could not be loaded (" + error.message + ").";
      });
  });
})();
