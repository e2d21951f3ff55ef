/* gis-tool live weights: sliders and a profile picker that re-score, re-rank and recolour
 * the sites in the page from the criterion values it carries. No server, no internet.
 * The arithmetic is the Python re-score's: points = round6(value x weight x 100) with the
 * weights normalised to sum 1, score = round6(sum of points), ties ranked by site id.
 * Written for gis-tool; needs map.js and Leaflet. */
(function () {
  "use strict";
  var G = window.gisTool;

  function rint(x) {  /* round half to even, as numpy.round */
    var r = Math.round(x);
    if (Math.abs(x - Math.trunc(x)) === 0.5 && r % 2 !== 0) r -= 1;
    return r;
  }
  function round6(x) { return rint(x * 1e6) / 1e6; }

  function normalise(w, keys) {
    var total = 0, out = {};
    keys.forEach(function (k) { total += Math.max(0, +w[k] || 0); });
    keys.forEach(function (k) { out[k] = total > 0 ? Math.max(0, +w[k] || 0) / total : 0; });
    return out;
  }

  /* Re-score every site with relative weights w ({criterion: number}); exact: w is
     already normalised (the published weights) and is used as it is. */
  G.rescore = function (w, exact) {
    var live = G.live, keys = live.criteria, nw = exact ? w : normalise(w, keys), ranked = [];
    G.sites.eachLayer(function (lyr) {
      var p = lyr.feature.properties;
      if (!p.eligible) return;
      var total = 0;
      keys.forEach(function (k) {
        var v = p[k + "_value"], pts = round6(v * nw[k] * 100);
        p[k + "_points"] = pts;
        total += pts;
      });
      p.score = Math.min(100, Math.max(0, round6(total)));
      ranked.push(p);
    });
    ranked.sort(function (a, b) {
      var d = Math.round(b.score * 1e9) - Math.round(a.score * 1e9);
      if (d !== 0) return d;
      var x = String(a.site_id), y = String(b.site_id);
      return x < y ? -1 : (x > y ? 1 : 0);
    });
    ranked.forEach(function (p, i) { p.rank = i + 1; });
    G.sitesCfg.eligible = ranked.length;
    G.sitesCfg.criteria.forEach(function (c) { c.weight = nw[c.key]; });
    var labels = [];
    for (var i = 0; i < Math.min(live.top, ranked.length); i++) {
      var c = G.index[String(ranked[i].site_id)].getBounds().getCenter();
      labels.push([c.lat, c.lng, i + 1, ranked[i].site_id]);
    }
    G.drawLabels(labels);
    G.restyleSites();
    var changed = keys.some(function (k) { return Math.abs(nw[k] - live.published[k]) > 1e-9; });
    G.liveStatus(changed);
    return nw;
  };

  /* {site id: score} of the eligible sites, for checks. */
  G.liveScores = function () {
    var out = {};
    G.sites.eachLayer(function (lyr) { var p = lyr.feature.properties; if (p.eligible) out[p.site_id] = [p.score, p.rank]; });
    return out;
  };

  /* A profile's eligibility: the sites its constraints or minimum area exclude (with the
     reason) are drawn and listed as excluded, as in a run with that profile; null puts
     the published eligibility back. */
  G.applyProfile = function (prof) {
    G.sites.eachLayer(function (lyr) {
      var p = lyr.feature.properties;
      if (p._published === undefined) p._published = [p.eligible, p.excluded_by];
      if (!prof || !prof.excluded) { p.eligible = p._published[0]; p.excluded_by = p._published[1]; }
      else {
        var why = prof.excluded[String(p.site_id)];
        p.eligible = why === undefined; p.excluded_by = why === undefined ? "" : why;
      }
      if (!p.eligible) { p.score = null; p.rank = null; }
    });
  };

  G.setWeights = function (w, exact) {
    var nw = normalise(w, G.live.criteria);
    G.live.criteria.forEach(function (k) { if (G.live.sliders[k]) G.live.sliders[k].value = nw[k]; });
    return G.rescore(w, exact);
  };

  G.livePanel = function (map, cfg) {
    var T = cfg.text;
    G.live = { criteria: cfg.criteria, published: cfg.weights, top: cfg.top, sliders: {}, profiles: cfg.profiles };
    var C = L.Control.extend({ onAdd: function () {
      var d = L.DomUtil.create("div", "gt-live leaflet-bar");
      L.DomEvent.disableClickPropagation(d);
      L.DomEvent.disableScrollPropagation(d);
      L.DomUtil.create("div", "gt-legend-title", d).textContent = T.title;
      var sel = L.DomUtil.create("select", "gt-live-profile", d);
      sel.setAttribute("aria-label", T.profile);
      var o0 = L.DomUtil.create("option", "", sel); o0.value = ""; o0.textContent = T.published;
      Object.keys(cfg.profiles).forEach(function (name) {
        var o = L.DomUtil.create("option", "", sel); o.value = name; o.textContent = name;
      });
      sel.addEventListener("change", function () {
        var prof = sel.value ? cfg.profiles[sel.value] : null;
        G.applyProfile(prof);
        G.setWeights(prof ? prof.weights : cfg.weights, true);
      });
      cfg.criteria.forEach(function (k, i) {
        var row = L.DomUtil.create("label", "gt-live-row", d);
        L.DomUtil.create("span", "gt-live-name", row).textContent = cfg.labels[i];
        var s = L.DomUtil.create("input", "", row);
        s.type = "range"; s.min = "0"; s.max = "1"; s.step = "0.01"; s.value = String(cfg.weights[k]);
        s.setAttribute("data-criterion", k);
        var out = L.DomUtil.create("span", "gt-live-val", row);
        out.textContent = G.num(cfg.weights[k] * 100, 0) + " %";
        s.addEventListener("input", function () {
          var w = {};
          cfg.criteria.forEach(function (c) { w[c] = +G.live.sliders[c].value; });
          var nw = G.rescore(w);
          cfg.criteria.forEach(function (c) { G.live.outputs[c].textContent = G.num(nw[c] * 100, 0) + " %"; });
        });
        G.live.sliders[k] = s;
        (G.live.outputs = G.live.outputs || {})[k] = out;
      });
      var status = L.DomUtil.create("div", "gt-live-status", d);
      var reset = L.DomUtil.create("button", "gt-live-reset", d);
      reset.type = "button"; reset.textContent = T.reset;
      reset.addEventListener("click", function () {
        sel.value = ""; G.applyProfile(null); G.setWeights(cfg.weights, true); G.liveStatus(false);
      });
      L.DomUtil.create("div", "gt-legend-note", d).textContent = T.note;
      G.liveStatus = function (changed) {
        status.textContent = changed ? T.differs : T.same;
        status.className = "gt-live-status " + (changed ? "gt-short" : "gt-met");
        cfg.criteria.forEach(function (c) {
          var sum = 0; cfg.criteria.forEach(function (k) { sum += +G.live.sliders[k].value; });
          G.live.outputs[c].textContent = G.num(sum > 0 ? 100 * G.live.sliders[c].value / sum : 0, 0) + " %";
        });
      };
      return d;
    } });
    new C({ position: "topright" }).addTo(map);
    G.liveStatus(false);
  };
})();
