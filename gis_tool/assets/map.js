/* gis-tool map behaviour: site layer, input layers, legend, title, search.
 * Every value from the data reaches the page through esc() or textContent, never as
 * markup. Written for gis-tool; needs only Leaflet. */
(function () {
  "use strict";
  var G = window.gisTool = window.gisTool || { layers: {}, sites: null, map: null, index: {} };

  function esc(v) {
    return String(v).replace(/[&<>"'`]/g, function (c) {
      return { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;", "`": "&#96;" }[c];
    });
  }
  G.esc = esc;

  function num(v, digits) {
    if (v === null || v === undefined || v === "" || (typeof v === "number" && !isFinite(v))) return "–";
    if (typeof v === "boolean") return esc(v ? (G.text || {}).yes || "yes" : (G.text || {}).no || "no");
    if (typeof v !== "number") return esc(v);
    /* Swedish groups digits with a space (12 345,6), English with a comma (12,345.6).
       Intl uses a no-break space; a plain one reads the same and copies cleanly. */
    return new Intl.NumberFormat(G.locale || "sv-SE", {
      maximumFractionDigits: digits === undefined ? 1 : digits,
      minimumFractionDigits: 0
    }).format(v).replace(/[\u00a0\u202f]/g, " ").replace(/\u2212/g, "-");
  }
  G.num = num;

  /* A layer's data: an inert JSON script element, parsed once. */
  G.data = function (id) {
    var el = document.getElementById(id), d = JSON.parse(el.textContent);
    el.parentNode.removeChild(el);
    d.cfg.geoms = d.geoms;
    d.cfg.rows = d.rows;
    return d.cfg;
  };

  function rowsToObjects(cfg) {
    var cols = cfg.columns, out = [];
    for (var i = 0; i < cfg.rows.length; i++) {
      var r = cfg.rows[i], o = {};
      for (var j = 0; j < cols.length; j++) o[cols[j]] = r[j];
      out.push(o);
    }
    return out;
  }

  /* Positions arrive as integer micro-degrees relative to the geometry's origin "o";
     add the origin back in place. */
  function decodeGeometry(g) {
    var x = g.o[0], y = g.o[1];
    function walk(c) {
      if (typeof c[0] === "number") { c[0] += x; c[1] += y; return; }
      for (var k = 0; k < c.length; k++) walk(c[k]);
    }
    walk(g.coordinates);
    return g;
  }

  function features(cfg) {
    var props = rowsToObjects(cfg), feats = [];
    if (cfg.liveValues) {  /* criterion values at full precision, for live re-scoring */
      var lv = cfg.liveValues;
      for (var r = 0; r < props.length; r++) for (var c = 0; c < lv.columns.length; c++) props[r][lv.columns[c]] = lv.rows[r][c];
    }
    for (var i = 0; i < cfg.geoms.length; i++) {
      feats.push({ type: "Feature", geometry: decodeGeometry(cfg.geoms[i]), properties: props[i] });
    }
    return { type: "FeatureCollection", features: feats };
  }

  /* Coordinates arrive as integer micro-degrees. */
  function toLatLng(c) { return L.latLng(c[1] / 1e6, c[0] / 1e6); }

  function scoreColour(score, bins) {
    if (score === null || score === undefined) return null;
    for (var i = 0; i < bins.length; i++) if (score <= bins[i].to) return bins[i].colour;
    return bins[bins.length - 1].colour;
  }

  function unitText(value, unit, L) {
    if (unit === "share") return num(value === null ? null : value * 100, 0) + " %";
    if (unit === "m2") return num(value, 0) + " m²";
    if (unit === "m") return num(value, 0) + " m";
    if (unit === "count") return num(value, 0);
    if (unit === "ratio") return num(value, 2);
    return num(value, 1) + (unit ? " " + esc(unit) : "");
  }

  function sitePopup(p, cfg) {
    var L = cfg.text, h = [];
    h.push('<div class="gt-popup"><div class="gt-popup-title">' + esc(p.site_id) + "</div>");
    h.push('<table class="gt-kv">');
    if (p.eligible) {
      h.push("<tr><th>" + esc(L.score) + '</th><td class="gt-score">' + num(p.score, 1) + "</td></tr>");
      h.push("<tr><th>" + esc(L.rank) + '</th><td class="gt-rank">' + num(p.rank, 0) + " / " + num(cfg.eligible, 0) + "</td></tr>");
    }
    h.push("<tr><th>" + esc(L.area) + "</th><td>" + num(p.area_m2 / 10000, 2) + " ha</td></tr>");
    if (cfg.offer && p.offer_now !== null && p.offer_now !== undefined) {  /* what the municipality can offer now */
      h.push('<tr><th>' + esc(L.offer) + '</th><td class="gt-offer ' + (p.offer_now ? "gt-met" : "gt-short") + '">' +
        esc(p.offer_now ? cfg.offer.yes : cfg.offer.no) + "</td></tr>");
    }
    if (cfg.readiness && p.readiness_level !== null && p.readiness_level !== undefined) {
      h.push("<tr><th>" + esc(L.readiness) + '</th><td class="gt-readiness">' + num(p.readiness_level, 0) + " · " + esc(p.readiness_label) + "</td></tr>");
      h.push("<tr><th>" + esc(L.lead_time) + '</th><td class="gt-lead">' + num(p.lead_time_months, 0) + " " + esc(L.months) + "</td></tr>");
      if (p.cost_to_ready_sek !== null && p.cost_to_ready_sek !== undefined && p.cost_to_ready_sek > 0) {
        h.push("<tr><th>" + esc(L.cost_to_ready) + "</th><td>" + num(p.cost_to_ready_sek / 1e6, 1) + " MSEK" +
          (p.months_to_ready !== null && p.months_to_ready !== undefined ? ", " + num(p.months_to_ready, 0) + " " + esc(L.months) : "") + "</td></tr>");
      }
      if (p.steps_to_ready) {  /* the path to build-ready, step by step */
        h.push("<tr><th>" + esc(L.steps) + '</th><td class="gt-steps">' + esc(p.steps_to_ready) + "</td></tr>");
      }
    }
    cfg.attributes.forEach(function (a) {  /* labels from [fields.X]: never a raw name where one is given */
      if (p[a] === null || p[a] === undefined) return;
      var names = cfg.attributeLabels || {}, values = (cfg.valueLabels || {})[a] || {};
      var shown = values[String(p[a])] !== undefined ? esc(values[String(p[a])]) : num(p[a]);
      h.push("<tr><th>" + esc(names[a] || a) + "</th><td>" + shown + "</td></tr>");
    });
    h.push("</table>");
    if (!p.eligible) {
      h.push('<div class="gt-excluded"><b>' + esc(L.excluded) + ":</b><ul>");
      String(p.excluded_by || "").split("; ").forEach(function (r) { if (r) h.push("<li>" + esc(r) + "</li>"); });
      h.push("</ul></div>");
    }
    h.push('<table class="gt-bars"><tr><th>' + esc(L.criterion) + "</th><th>" + esc(L.raw) + "</th><th>" + esc(L.points) + "</th></tr>");
    cfg.criteria.forEach(function (c) {
      var pts = p[c.key + "_points"], max = c.weight * 100;
      var width = (pts === null || !max) ? 0 : Math.max(0, Math.min(100, 100 * pts / max));
      h.push('<tr><td class="gt-crit">' + esc(c.label) + '</td><td class="gt-raw">' +
        unitText(p[c.key + "_raw"], c.unit, L) + '</td><td class="gt-pts"><span class="gt-track"><span class="gt-bar" style="width:' +
        width.toFixed(1) + '%"></span></span><span class="gt-pts-num">' + num(pts, 1) + " / " + num(max, 1) + "</span></td></tr>");
    });
    h.push("</table></div>");
    return h.join("");
  }

  /* Sites coloured by score (default) or by readiness level (G.colourBy = "readiness").
     A site that a constraint excludes keeps its readiness colour, faded, with a dashed outline. */
  function siteStyle(p, cfg) {
    if (G.colourBy === "readiness" && cfg.readiness) {
      var lv = cfg.readiness.levels[p.readiness_level] || cfg.readiness.levels[0];
      return p.eligible ? { color: "#333", weight: 0.6, fillColor: lv.colour, fillOpacity: 0.85, dashArray: null } :
        { color: "#8a8a8a", weight: 0.5, fillColor: lv.colour, fillOpacity: 0.35, dashArray: "2 2" };
    }
    return p.eligible ?
      { color: "#333", weight: 0.6, fillColor: scoreColour(p.score, cfg.bins), fillOpacity: 0.8, dashArray: null } :
      { color: "#8a8a8a", weight: 0.5, fillColor: "#c8c8c8", fillOpacity: 0.55, dashArray: "2 2" };
  }

  /* Switch the site colouring: "score" or "readiness"; redraws the legend too. */
  G.colourSites = function (by) {
    G.colourBy = by;
    G.restyleSites();
    if (G.drawLegend) G.drawLegend();
    return by;
  };

  G.sitesLayer = function (cfg) {
    G.locale = cfg.locale;
    G.text = cfg.text;
    var data = features(cfg), group = L.featureGroup();
    G.sitesCfg = cfg;
    var layer = L.geoJSON(data, {
      coordsToLatLng: toLatLng,
      style: function (f) { return siteStyle(f.properties, cfg); },
      onEachFeature: function (f, lyr) { G.index[String(f.properties.site_id)] = lyr; }
    });
    /* One popup and one tooltip for the whole layer: Leaflet passes the feature's layer
       to the content functions, so 100 000 sites cost no extra objects. */
    layer.bindPopup(function (lyr) { return sitePopup(lyr.feature.properties, cfg); }, { maxWidth: 420, minWidth: 280 });
    layer.bindTooltip(function (lyr) {
      var p = lyr.feature.properties;
      return esc(p.site_id) + " — " + (p.eligible ? esc(cfg.text.score) + " " + num(p.score, 1) :
        esc(cfg.text.excluded) + ": " + esc(p.excluded_by || ""));
    }, { sticky: true });
    group.addLayer(layer);
    G.labelGroup = L.featureGroup().addTo(group);
    G.drawLabels(cfg.labels);
    G.sites = layer;
    G.sitesGroup = group;
    G.siteCount = data.features.length;
    return group;
  };

  /* Rank labels: [lat, lon, rank, site id] of the top sites. */
  G.drawLabels = function (labels) {
    G.labelGroup.clearLayers();
    G.rankMarkers = [];
    labels.forEach(function (lb) {
      var icon = L.divIcon({ className: "gt-rank-label", html: "<span>" + num(lb[2], 0) + "</span>", iconSize: [24, 24] });
      var m = L.marker([lb[0], lb[1]], { icon: icon, keyboard: false, title: String(lb[3]) });
      m.on("click", function () { G.openSite(lb[3]); });
      G.labelGroup.addLayer(m);
      G.rankMarkers.push(m);
    });
    G.declutter();
  };
  /* Numbered markers stay legible zoomed out: a marker that would overlap a better-ranked
     one is hidden until the map is zoomed in far enough to show both. */
  G.declutter = function () {
    if (!G.map || !G.rankMarkers) return;
    var shown = [];
    G.rankMarkers.forEach(function (m) {
      var p = G.map.latLngToLayerPoint(m.getLatLng());
      var free = shown.every(function (q) { return Math.abs(q.x - p.x) > 22 || Math.abs(q.y - p.y) > 22; });
      m.setOpacity(free ? 1 : 0);
      if (m._icon) m._icon.style.pointerEvents = free ? "" : "none";
      if (free) shown.push(p);
    });
  };
  G.restyleSites = function () {
    if (G.sites) G.sites.setStyle(function (f) { return siteStyle(f.properties, G.sitesCfg); });
  };

  function pointLayer(cfg, f, latlng, st) {
    var r = st.radius || 5;
    if (cfg.sizeBy && f.properties[cfg.sizeBy] !== null) r = 4 + Math.sqrt(Math.max(0, f.properties[cfg.sizeBy])) * 1.6;
    if (cfg.symbol && cfg.symbol !== "circle" && G.symbolsOk !== false && cfg.geoms.length < 2000) {
      var html = '<span class="gt-sym gt-sym-' + cfg.symbol + '" style="background:' + st.fillColor + '"></span>';
      return L.marker(latlng, { icon: L.divIcon({ className: "gt-sym-wrap", html: html, iconSize: [16, 16] }) });
    }
    return L.circleMarker(latlng, { radius: r, color: st.color, weight: 1, fillColor: st.fillColor, fillOpacity: 0.85 });
  }

  G.vectorLayer = function (cfg) {
    var data = features(cfg);
    var styleOf = function (f) {
      var v = cfg.styleBy ? f.properties[cfg.styleBy] : null;
      return (v !== null && cfg.styles && cfg.styles[String(v)]) || cfg.style;
    };
    var layer = L.geoJSON(data, {
      coordsToLatLng: toLatLng,
      style: styleOf,
      pointToLayer: function (f, latlng) { return pointLayer(cfg, f, latlng, styleOf(f)); },
    });
    layer.bindPopup(function (lyr) {
      var p = lyr.feature.properties, rows = [];
      cfg.columns.forEach(function (c) {
        if (p[c] !== null && p[c] !== undefined) rows.push("<tr><th>" + esc(c) + "</th><td>" + num(p[c], 2) + "</td></tr>");
      });
      return '<div class="gt-popup"><div class="gt-popup-title">' + esc(cfg.title) + '</div><table class="gt-kv">' + rows.join("") + "</table></div>";
    });
    layer.bindTooltip(function (lyr) {
      var t = cfg.tooltip ? lyr.feature.properties[cfg.tooltip] : null;
      return esc(cfg.title) + (t !== null && t !== undefined ? ": " + esc(t) : "");
    }, { sticky: true });
    G.layers[cfg.key] = layer;
    return layer;
  };

  function control(position, build) {
    var C = L.Control.extend({ onAdd: function () { var d = L.DomUtil.create("div", ""); build(d); L.DomEvent.disableClickPropagation(d); return d; } });
    return new C({ position: position });
  }

  G.setup = function (map, cfg) {
    G.map = map;
    map.on("zoomend", function () { G.declutter(); });
    setTimeout(G.declutter, 0);
    if (cfg.overlayLegend && cfg.overlayLegend.length) {  /* an inquiry: what the outlines mean */
      control("bottomleft", function (d) {
        d.className = "gt-legend gt-overlay-legend leaflet-bar";
        cfg.overlayLegend.forEach(function (o) {
          var row = L.DomUtil.create("div", "gt-legend-row", d);
          var sw = L.DomUtil.create("span", "gt-swatch", row);
          sw.style.border = "3px " + (o.dash ? "dashed " : "solid ") + o.color;
          sw.style.background = "transparent";
          row.appendChild(document.createTextNode(" " + o.label));
        });
      }).addTo(map);
    }
    G.locale = cfg.locale;
    var T = cfg.text;
    map.attributionControl.setPrefix(false);
    cfg.attribution.forEach(function (a) { map.attributionControl.addAttribution(esc(a)); });
    L.control.scale({ imperial: false, position: "bottomleft" }).addTo(map);
    control("topleft", function (d) {
      d.className = "gt-title leaflet-bar";
      var h = L.DomUtil.create("div", "gt-title-name", d); h.textContent = cfg.title;
      var s = L.DomUtil.create("div", "gt-title-sub", d); s.textContent = cfg.subtitle;
    }).addTo(map);
    var R = cfg.readiness;
    control("bottomright", function (d) {
      d.className = "gt-legend leaflet-bar";
      G.drawLegend = function () { drawLegend(d, cfg, T); };
      G.drawLegend();
    }).addTo(map);
    if (R) {
      control("topright", function (d) {
        d.className = "gt-switch leaflet-bar";
        var h = L.DomUtil.create("div", "gt-switch-title", d); h.textContent = T.colour_by;
        [["score", T.by_score], ["readiness", T.by_readiness]].forEach(function (o) {
          var lab = L.DomUtil.create("label", "gt-switch-opt", d);
          var inp = L.DomUtil.create("input", "", lab);
          inp.type = "radio"; inp.name = "gt-colour-by"; inp.value = o[0]; inp.checked = o[0] === "score";
          inp.addEventListener("change", function () { if (inp.checked) G.colourSites(o[0]); });
          lab.appendChild(document.createTextNode(" " + o[1]));
        });
      }).addTo(map);
      if (cfg.supplyPanel !== false) control("bottomleft", function (d) {  /* not on an investor's map */
        d.className = "gt-supply leaflet-bar";
        var h = L.DomUtil.create("div", "gt-legend-title", d); h.textContent = T.supply;
        var tb = L.DomUtil.create("table", "gt-supply-table", d), tr = L.DomUtil.create("tr", "", tb);
        [T.level, "", T.ha_level, T.ha_cum].forEach(function (t) { L.DomUtil.create("th", "", tr).textContent = t; });
        R.levels.slice().reverse().forEach(function (lv) {
          var r = L.DomUtil.create("tr", "", tb);
          var c0 = L.DomUtil.create("td", "", r);
          var sw = L.DomUtil.create("span", "gt-swatch", c0); sw.style.background = lv.colour;
          c0.appendChild(document.createTextNode(" " + lv.level));
          L.DomUtil.create("td", "gt-supply-label", r).textContent = lv.label;
          L.DomUtil.create("td", "gt-num", r).textContent = num(lv.ha, 1);
          L.DomUtil.create("td", "gt-num", r).textContent = num(lv.cum, 1);
        });
        if (R.target) {
          var t = L.DomUtil.create("div", "gt-supply-target " + (R.target.met ? "gt-met" : "gt-short"), d);
          t.textContent = T.target + ": " + num(R.target.min_eligible_ha, 1) + " ha ≥ " + R.target.label + " — " +
            num(R.target.eligible_ha, 1) + " ha, " + (R.target.met ? T.target_met : T.target_short.replace("{ha}", num(R.target.shortfall_ha, 1)));
        }
        if (R.demand) {
          var top = R.levels[R.levels.length - 1];
          var y = L.DomUtil.create("div", "gt-legend-note", d);
          y.textContent = top.label + ": " + num(top.cum / R.demand, 1) + " " + T.years.replace("{d}", num(R.demand, 1));
        }
      }).addTo(map);
    }
    control("topleft", function (d) {
      d.className = "gt-search leaflet-bar";
      var input = L.DomUtil.create("input", "", d);
      input.type = "search"; input.placeholder = T.search; input.setAttribute("aria-label", T.search);
      var msg = L.DomUtil.create("div", "gt-search-msg", d);
      input.addEventListener("keydown", function (e) {
        if (e.key !== "Enter") return;
        var found = G.findSite(input.value);
        msg.textContent = found ? "" : T.not_found;
      });
    }).addTo(map);
    map.on("baselayerchange", function (e) {
      map.getContainer().style.background = cfg.backgrounds[e.name] || "#f4f3ef";
    });
    map.getContainer().style.background = cfg.backgrounds[cfg.initialBase] || "#f4f3ef";
    /* A link to one site: map.html#site=ID opens it. */
    if (/[#&]colour=readiness/.test(window.location.hash) && R) {  /* map.html#colour=readiness */
      G.colourSites("readiness");
      var radios = document.querySelectorAll('input[name="gt-colour-by"]');
      for (var k = 0; k < radios.length; k++) radios[k].checked = radios[k].value === "readiness";
    }
    var m = /[#&]site=([^&]+)/.exec(window.location.hash);
    if (m) G.findSite(decodeURIComponent(m[1]));
  };

  function drawLegend(d, cfg, T) {
    while (d.firstChild) d.removeChild(d.firstChild);
    var byReadiness = G.colourBy === "readiness" && cfg.readiness;
    var h = L.DomUtil.create("div", "gt-legend-title", d);
    h.textContent = byReadiness ? T.legend_readiness : T.legend;
    var rows = byReadiness ? cfg.readiness.levels.slice().reverse().map(function (lv) {
      return [lv.colour, lv.level + " " + lv.label + " (" + num(lv.lead, 0) + " " + T.months + ")"];
    }) : cfg.bins.map(function (b) { return [b.colour, num(b.from, 0) + "–" + num(b.to, 0)]; });
    rows.forEach(function (r) {
      var row = L.DomUtil.create("div", "gt-legend-row", d);
      var sw = L.DomUtil.create("span", "gt-swatch", row); sw.style.background = r[0];
      L.DomUtil.create("span", "", row).textContent = r[1];
    });
    var row = L.DomUtil.create("div", "gt-legend-row", d);
    L.DomUtil.create("span", "gt-swatch gt-swatch-excl", row);
    L.DomUtil.create("span", "", row).textContent = T.excluded;
    L.DomUtil.create("div", "gt-legend-note", d).textContent = byReadiness ? T.legend_readiness_note : T.legend_note;
  }

  G.findSite = function (text) {
    var q = String(text || "").trim().toLowerCase();
    if (!q) return null;
    var key = null, ids = Object.keys(G.index);
    for (var i = 0; i < ids.length && key === null; i++) if (ids[i].toLowerCase() === q) key = ids[i];
    for (var j = 0; j < ids.length && key === null; j++) if (ids[j].toLowerCase().indexOf(q) >= 0) key = ids[j];
    if (key === null) return null;
    var lyr = G.index[key];
    G.map.fitBounds(lyr.getBounds().pad(4), { maxZoom: 15, animate: false });
    G.openSite(key);
    return key;
  };

  G.openSite = function (id) {
    var lyr = G.index[String(id)];
    if (!lyr) return null;
    lyr.fire("click", { latlng: lyr.getCenter ? lyr.getCenter() : lyr.getBounds().getCenter() }, true);
    return G.map._popup ? G.map._popup.getElement() : null;
  };
})();
