// papermap interactive map. Reads the JSON in #papermap-data and draws it on
// a canvas. Every piece of data reaches the DOM through textContent or as a
// canvas string; nothing from the data is ever parsed as HTML.
(function () {
  'use strict';

  var t0 = performance.now();
  var data = JSON.parse(document.getElementById('papermap-data').textContent);
  var N = data.n | 0;

  function bytesOf(b64) {
    if (typeof Uint8Array.fromBase64 === 'function') return Uint8Array.fromBase64(b64 || '');
    var s = atob(b64 || '');
    var out = new Uint8Array(s.length);
    for (var i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
    return out;
  }
  function uint16sOf(b64) {
    var b = bytesOf(b64);
    var dv = new DataView(b.buffer);
    var out = new Uint16Array(b.length >> 1);
    for (var i = 0; i < out.length; i++) out[i] = dv.getUint16(i * 2, true);
    return out;
  }
  // Coordinates travel as uint16 codes over data.bounds.
  function coordsOf(b64, lo, hi) {
    var q = uint16sOf(b64), out = new Float32Array(q.length), step = (hi - lo) / 65535;
    for (var i = 0; i < q.length; i++) out[i] = lo + q[i] * step;
    return out;
  }
  var bnd = data.bounds || [0, 0, 0, 0];
  var xs = coordsOf(data.x, bnd[0], bnd[2]), ys = coordsOf(data.y, bnd[1], bnd[3]);
  var themeOf = (function () {
    var q = uint16sOf(data.theme), out = new Int32Array(q.length);
    for (var i = 0; i < q.length; i++) out[i] = q[i] - 1;
    return out;
  })();
  var years = data.year ? uint16sOf(data.year) : null;
  // IDs, titles, snippets and URLs, and the neighbour codes, are in
  // #papermap-late, after this script: they are read once the map is drawn
  // (the strings inflated from base64 of gzipped JSON with the browser's
  // DecompressionStream), so a map of a million papers shows its dots
  // without parsing them first; window.papermap.ready waits for them.
  var titles = [], ids = [], snippets = [], urls = null, textReady = false, nb = null;
  function inflateText() {
    if (document.readyState === 'loading') {
      document.addEventListener('DOMContentLoaded', inflateText);
      return;
    }
    stats.lateMs = performance.now();
    var lateEl = document.getElementById('papermap-late');
    var late = lateEl ? JSON.parse(lateEl.textContent) : {};
    if (late.nb) {
      var codeBytes = bytesOf(late.nb.codes);
      nb = { dim: late.nb.dim | 0, codes: new Int8Array(codeBytes.buffer), norms: null };
    }
    function done() {
      textReady = true;
      lowerTitles = null;
      window.papermap.ready = true;
      if (searchEl.value.trim()) runSearch();
      if (selected >= 0) select(selected);
    }
    if (typeof DecompressionStream !== 'function') { done(); return; }
    var zb = bytesOf(late.text);
    new Response(new Blob([zb]).stream().pipeThrough(new DecompressionStream('gzip'))).text().then(function (s) {
      var text = JSON.parse(s);
      ids = text.ids || [];
      titles = text.titles || [];
      snippets = text.snippets || [];
      urls = text.urls || null;
      done();
    });
  }
  var themes = data.themes || [];
  var K = themes.length;

  // ----- styles -------------------------------------------------------------
  function rgbOf(hex) {
    var v = parseInt(hex.slice(1), 16);
    return [(v >> 16) & 255, (v >> 8) & 255, v & 255];
  }
  // Index 0 is "no theme"; theme k is at k+1.
  var colours = [rgbOf(data.noThemeColor || '#9e9e9e')];
  var shapes = [0];
  for (var k = 0; k < K; k++) {
    colours.push(rgbOf(themes[k].color));
    shapes.push(themes[k].shape | 0);
  }
  var themeColours = colours, themeShapes = shapes;
  var themeCount = new Int32Array(K + 1);
  for (var i = 0; i < N; i++) themeCount[themeOf[i] + 1]++;
  // In a hierarchy a paper holds its finest theme; treeCount[k + 1] counts
  // the papers of theme k and of all its sub-themes, and treeOrder lists
  // the themes depth first (each broad theme followed by its sub-themes)
  // for the legend.
  var treeCount = Int32Array.from(themeCount), children = [], treeOrder = [];
  for (var k = 0; k < K; k++) children.push([]);
  for (var k = 0; k < K; k++) {
    var pk = (themes[k].level | 0) > 0 ? themes[k].parent : -1;
    if (pk >= 0 && pk < K && pk !== k) children[pk].push(k);
    for (var a = pk, hops = 0; a >= 0 && a < K && hops < K; a = (themes[a].level | 0) > 0 ? themes[a].parent : -1, hops++) treeCount[a + 1] += themeCount[k + 1];
  }
  (function () {
    var seen = new Uint8Array(K);
    function visit(k) {
      if (seen[k]) return;
      seen[k] = 1;
      treeOrder.push(k);
      children[k].forEach(visit);
    }
    for (var k = 0; k < K; k++) if (!((themes[k].level | 0) > 0 && themes[k].parent >= 0 && themes[k].parent < K)) visit(k);
    for (var k = 0; k < K; k++) visit(k);
  })();
  // subtree lists theme k and all its sub-themes.
  function subtree(k) {
    var out = [k];
    for (var q = 0; q < out.length && out.length <= K; q++) out.push.apply(out, children[out[q]]);
    return out;
  }

  // ----- colour modes ---------------------------------------------------------
  // The dots are coloured by one category per paper: its theme (the
  // default), its year (a sequential scale) or a metadata field. cat[i] is
  // paper i's category + 1 (0: none); colours, shapes and enabled are
  // indexed by it.
  var cat = new Int32Array(N), enabled = null, catCount = null, catNames = null;
  var modes = [{ name: 'theme' }];
  if (years) modes.push({ name: 'year' });
  (data.fields || []).forEach(function (f) { modes.push({ name: String(f.name), field: f }); });
  var modeIndex = 0;
  var palette = (data.palette || ['#1f77b4']).map(rgbOf);
  // Viridis at five stops, interpolated: a sequential scale that stays
  // readable in grey and for colour-blind readers.
  var viridis = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function sequential(t) {
    var x = Math.max(0, Math.min(1, t)) * (viridis.length - 1), a = Math.min(viridis.length - 2, Math.floor(x)), f = x - a;
    return [0, 1, 2].map(function (c) { return Math.round(viridis[a][c] + (viridis[a + 1][c] - viridis[a][c]) * f); });
  }
  function setMode(idx) {
    var m = modes[idx] || modes[0];
    modeIndex = modes.indexOf(m);
    var none = themeColours[0];
    if (m.name === 'theme' && !m.field) {
      for (var i = 0; i < N; i++) cat[i] = themeOf[i] + 1;
      colours = themeColours;
      shapes = themeShapes;
      catNames = null;
    } else if (!m.field) {
      var seen = {}, vals = [];
      for (var j = 0; j < N; j++) if (years[j] && !seen[years[j]]) { seen[years[j]] = 1; vals.push(years[j]); }
      vals.sort(function (a, b) { return a - b; });
      var pos = {};
      vals.forEach(function (v, t) { pos[v] = t + 1; });
      for (var j2 = 0; j2 < N; j2++) cat[j2] = years[j2] ? pos[years[j2]] : 0;
      colours = [none].concat(vals.map(function (v, t) { return sequential(vals.length > 1 ? t / (vals.length - 1) : 1); }));
      catNames = vals.map(String);
    } else {
      if (!m.of) m.of = uint16sOf(m.field.of);
      for (var j3 = 0; j3 < N; j3++) cat[j3] = m.of[j3];
      var fv = m.field.values || [];
      colours = [none].concat(fv.map(function (v, t) { return palette[t % palette.length]; }));
      catNames = fv.map(String);
    }
    if (catNames) shapes = colours.map(function () { return 0; });
    enabled = new Uint8Array(colours.length).fill(1);
    catCount = new Int32Array(colours.length);
    for (var q = 0; q < N; q++) catCount[cat[q]]++;
  }
  setMode(0);

  var baseRadius = Math.min(5, Math.max(1.4, 5 * Math.pow(100 / Math.max(N, 1), 0.2)));
  var baseAlpha = Math.min(0.9, Math.max(0.4, 0.9 * Math.pow(200 / Math.max(N, 1), 0.1)));

  // ----- elements -----------------------------------------------------------
  function $(id) { return document.getElementById(id); }
  var mapEl = $('pm-map'), canvas = $('pm-canvas'), ctx = canvas.getContext('2d');
  var tooltip = $('pm-tooltip'), searchEl = $('pm-search'), countEl = $('pm-count');
  var panel = $('pm-panel'), legendList = $('pm-legend-list');

  // ----- view ---------------------------------------------------------------
  // Screen (CSS pixels, relative to the canvas) = (x*scale + tx, -y*scale + ty).
  var W = 1, H = 1, dpr = 1;
  var view = { scale: 1, tx: 0, ty: 0 }, fitScale = 1;
  var bounds = (function () {
    var b = { x0: Infinity, x1: -Infinity, y0: Infinity, y1: -Infinity };
    for (var i = 0; i < N; i++) {
      if (xs[i] < b.x0) b.x0 = xs[i];
      if (xs[i] > b.x1) b.x1 = xs[i];
      if (ys[i] < b.y0) b.y0 = ys[i];
      if (ys[i] > b.y1) b.y1 = ys[i];
    }
    if (!(b.x0 <= b.x1)) b = { x0: -1, x1: 1, y0: -1, y1: 1 };
    return b;
  })();

  // The opening view: data.view (the bulk of the papers, without far
  // islands of a few) when given, else every paper.
  var home = bounds;
  if (data.view && data.view.length === 4 && data.view[0] < data.view[2] && data.view[1] < data.view[3]) {
    home = { x0: +data.view[0], y0: +data.view[1], x1: +data.view[2], y1: +data.view[3] };
  }
  function fit() {
    var dx = home.x1 - home.x0, dy = home.y1 - home.y0;
    var s = Math.min((W - 80) / (dx || 1), (H - 80) / (dy || 1));
    if (!(s > 0) || !isFinite(s)) s = 1;
    view.scale = fitScale = s;
    view.tx = W / 2 - s * (home.x0 + home.x1) / 2;
    view.ty = H / 2 + s * (home.y0 + home.y1) / 2;
  }
  function sx(i) { return xs[i] * view.scale + view.tx; }
  function sy(i) { return -ys[i] * view.scale + view.ty; }

  function resize() {
    var r = mapEl.getBoundingClientRect();
    var w = Math.max(1, Math.round(r.width)), h = Math.max(1, Math.round(r.height));
    var d = window.devicePixelRatio || 1;
    if (w === W && h === H && d === dpr && canvas.width === Math.round(w * d)) return false;
    var first = W === 1 && H === 1;
    // Keep the centre of the view where it was.
    var cx = (W / 2 - view.tx) / view.scale, cy = (view.ty - H / 2) / view.scale;
    W = w; H = h; dpr = d;
    canvas.width = Math.round(W * dpr);
    canvas.height = Math.round(H * dpr);
    canvas.style.width = W + 'px';
    canvas.style.height = H + 'px';
    image = null;
    layerDirty = true;
    if (first) fit();
    else { view.tx = W / 2 - cx * view.scale; view.ty = H / 2 + cy * view.scale; }
    return true;
  }

  // ----- spatial grid for hit-testing ---------------------------------------
  var G = Math.max(1, Math.min(1024, Math.ceil(Math.sqrt(N / 2))));
  var gx0 = bounds.x0, gy0 = bounds.y0;
  var gw = (bounds.x1 - bounds.x0) / G || 1, gh = (bounds.y1 - bounds.y0) / G || 1;
  var cellStart = new Int32Array(G * G + 1), cellItems = new Int32Array(N);
  (function () {
    var cellOf = new Int32Array(N);
    for (var i = 0; i < N; i++) {
      var cx = Math.min(G - 1, Math.max(0, Math.floor((xs[i] - gx0) / gw)));
      var cy = Math.min(G - 1, Math.max(0, Math.floor((ys[i] - gy0) / gh)));
      cellOf[i] = cy * G + cx;
      cellStart[cellOf[i] + 1]++;
    }
    for (var c = 0; c < G * G; c++) cellStart[c + 1] += cellStart[c];
    var fill = cellStart.slice(0, G * G);
    for (var j = 0; j < N; j++) cellItems[fill[cellOf[j]]++] = j;
  })();

  function radius() {
    return Math.min(9, baseRadius * Math.max(1, Math.pow(view.scale / fitScale, 0.35)));
  }

  // pick returns the visible paper nearest the screen point (px, py) within
  // a few pixels, or -1.
  function pick(px, py) {
    var s = view.scale, tol = radius() + 4;
    var x = (px - view.tx) / s, y = (view.ty - py) / s, r = tol / s;
    var c0 = Math.max(0, Math.floor((x - r - gx0) / gw)), c1 = Math.min(G - 1, Math.floor((x + r - gx0) / gw));
    var r0 = Math.max(0, Math.floor((y - r - gy0) / gh)), r1 = Math.min(G - 1, Math.floor((y + r - gy0) / gh));
    var best = -1, bestD = tol * tol;
    for (var cy = r0; cy <= r1; cy++) {
      for (var cx = c0; cx <= c1; cx++) {
        var c = cy * G + cx;
        for (var q = cellStart[c]; q < cellStart[c + 1]; q++) {
          var i = cellItems[q];
          if (!enabled[cat[i]]) continue;
          var dx = sx(i) - px, dy = sy(i) - py, d = dx * dx + dy * dy;
          if (d <= bestD) { bestD = d; best = i; }
        }
      }
    }
    return best;
  }

  // ----- point sprites --------------------------------------------------------
  // A sprite lists the pixels one marker of a given shape and radius (in
  // device pixels) covers, with their coverage (0..1, 4x4 supersampled), so
  // dots are smooth at any size. weights() turns the coverage into integer
  // blend weights (0..256) for one opacity.
  var sprites = {};
  function inside(shape, x, y, r) {
    switch (shape) {
      case 1: return Math.abs(x) <= r * 0.89 && Math.abs(y) <= r * 0.89;           // square
      case 2: return y <= r * 0.75 && y >= -r && Math.abs(x) <= (r * 0.75 - y) * 0.62; // triangle
      case 3: return Math.abs(x) + Math.abs(y) <= r * 1.2;                           // diamond
      default: return x * x + y * y <= r * r;                                         // circle
    }
  }
  function sprite(shape, r) {
    var key = shape + ':' + r.toFixed(2);
    if (sprites[key]) return sprites[key];
    var R = Math.ceil(r * 1.25), dx = [], dy = [], cov = [];
    for (var py = -R; py <= R; py++) {
      for (var px = -R; px <= R; px++) {
        var c = 0;
        for (var sy2 = 0; sy2 < 4; sy2++) {
          for (var sx2 = 0; sx2 < 4; sx2++) {
            if (inside(shape, px + (sx2 + 0.5) / 4 - 0.5, -py - (sy2 + 0.5) / 4 + 0.5, r)) c++;
          }
        }
        if (c > 0) { dx.push(px); dy.push(py); cov.push(c / 16); }
      }
    }
    return (sprites[key] = { R: R, n: dx.length, dx: Int16Array.from(dx), dy: Int16Array.from(dy), cov: cov, w: {} });
  }
  function weights(sp, alpha) {
    var key = alpha.toFixed(3);
    var w = sp.w[key];
    if (!w) {
      w = sp.w[key] = new Int32Array(sp.n);
      for (var k = 0; k < sp.n; k++) w[k] = Math.round(sp.cov[k] * alpha * 256);
    }
    return w;
  }

  // Pixels are blended as 32-bit words; the byte order of the platform
  // decides where red sits in one.
  var littleEndian = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
  var RS = littleEndian ? 0 : 24, GS = littleEndian ? 8 : 16, BS = littleEndian ? 16 : 8, AS = littleEndian ? 24 : 0;
  function pack(r, g, b) { return ((255 << AS) | (r << RS) | (g << GS) | (b << BS)) >>> 0; }

  var image = null, buf32 = null, bg = [250, 250, 248], bgWord = pack(bg[0], bg[1], bg[2]);
  function stamp(px, py, sp, w, col, IW, IH) {
    var n = sp.n, dx = sp.dx, dy = sp.dy, R = sp.R;
    var cr = col[0], cg = col[1], cb = col[2];
    var clip = px < R || py < R || px + R >= IW || py + R >= IH;
    for (var k = 0; k < n; k++) {
      var x = px + dx[k], y = py + dy[k];
      if (clip && (x < 0 || y < 0 || x >= IW || y >= IH)) continue;
      var o = y * IW + x, d = buf32[o], a = w[k];
      var r = (d >>> RS) & 255, g = (d >>> GS) & 255, b = (d >>> BS) & 255;
      r += ((cr - r) * a) >> 8;
      g += ((cg - g) * a) >> 8;
      b += ((cb - b) * a) >> 8;
      buf32[o] = (255 << AS) | (r << RS) | (g << GS) | (b << BS);
    }
  }

  // ----- state ----------------------------------------------------------------
  var hover = -1, selected = -1, neighbours = [], showLabels = true;
  var matches = null, matchCount = 0, lowerTitles = null, query = '';
  var stats = { scriptStartMs: t0, parseMs: 0, firstDrawMs: -1, lateMs: -1, lastDrawMs: 0, lastPointsMs: 0, draws: 0, renders: 0 };

  // ----- drawing --------------------------------------------------------------
  // The dots are rendered into an offscreen layer (renderPoints); each frame
  // copies that layer to the screen and draws labels, rings and lines over
  // it (compose). Hover and selection only compose. While the user drags or
  // zooms and rendering is slow (many papers), frames move and scale the old
  // layer instead of re-rendering it, and one full render follows when the
  // gesture ends.
  var layer = document.createElement('canvas'), lctx = layer.getContext('2d');
  var layerView = null, layerDirty = true, wheelUntil = 0, settleTimer = 0;
  var slowRenderMs = 12;

  function renderPoints() {
    var t = performance.now();
    var IW = canvas.width, IH = canvas.height;
    if (!image || image.width !== IW || image.height !== IH) {
      image = ctx.createImageData(IW, IH);
      buf32 = new Uint32Array(image.data.buffer);
      layer.width = IW;
      layer.height = IH;
    }
    buf32.fill(bgWord);
    var r = radius() * dpr, s = view.scale * dpr, tx = view.tx * dpr, ty = view.ty * dpr;
    var dim = matches !== null;
    var alpha = dim ? baseAlpha * 0.22 : baseAlpha;
    var spr = [], wts = [], full = [];
    for (var k = 0; k < colours.length; k++) {
      spr.push(sprite(shapes[k], r));
      wts.push(weights(spr[k], k === 0 ? alpha * 0.6 : alpha));
      full.push(dim ? weights(spr[k], 1) : null);
    }
    var margin = spr[0].R + 2;
    var x0 = -margin, y0 = -margin, x1 = IW + margin, y1 = IH + margin;
    for (var i = 0; i < N; i++) {
      var th = cat[i];
      if (!enabled[th]) continue;
      var px = Math.round(xs[i] * s + tx), py = Math.round(-ys[i] * s + ty);
      if (px < x0 || py < y0 || px >= x1 || py >= y1) continue;
      stamp(px, py, spr[th], wts[th], colours[th], IW, IH);
    }
    if (dim) {
      for (var j = 0; j < N; j++) {
        if (!matches[j]) continue;
        var tj = cat[j];
        if (!enabled[tj]) continue;
        var qx = Math.round(xs[j] * s + tx), qy = Math.round(-ys[j] * s + ty);
        if (qx < x0 || qy < y0 || qx >= x1 || qy >= y1) continue;
        stamp(qx, qy, spr[tj], full[tj], colours[tj], IW, IH);
      }
    }
    lctx.putImageData(image, 0, 0);
    layerView = { scale: view.scale, tx: view.tx, ty: view.ty };
    layerDirty = false;
    stats.lastPointsMs = performance.now() - t;
    stats.renders++;
  }

  function interacting() {
    return (drag !== null && drag.moved) || performance.now() < wheelUntil;
  }

  // frame draws one frame: re-render the dots if needed (or if cheap),
  // then compose.
  function frame() {
    var t = performance.now();
    resize();
    var moved = !layerView || layerView.scale !== view.scale || layerView.tx !== view.tx || layerView.ty !== view.ty;
    if (layerDirty || (moved && !(interacting() && stats.lastPointsMs > slowRenderMs))) renderPoints();
    compose();
    stats.lastDrawMs = performance.now() - t;
    stats.draws++;
    if (stats.firstDrawMs < 0) {
      stats.firstDrawMs = performance.now();
      inflateText();
    }
  }

  function compose() {
    var IW = canvas.width, IH = canvas.height;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    var f = view.scale / layerView.scale;
    if (f === 1 && layerView.tx === view.tx && layerView.ty === view.ty) {
      ctx.drawImage(layer, 0, 0);
    } else {
      ctx.fillStyle = 'rgb(' + bg[0] + ',' + bg[1] + ',' + bg[2] + ')';
      ctx.fillRect(0, 0, IW, IH);
      ctx.drawImage(layer, (view.tx - f * layerView.tx) * dpr, (view.ty - f * layerView.ty) * dpr, IW * f, IH * f);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    drawOverlays();
  }

  // settle asks for a full render once a gesture has ended.
  function settle(delay) {
    clearTimeout(settleTimer);
    settleTimer = setTimeout(redraw, delay);
  }

  function ring(i, rad, colour, width) {
    ctx.beginPath();
    ctx.arc(sx(i), sy(i), rad, 0, 2 * Math.PI);
    ctx.lineWidth = width;
    ctx.strokeStyle = colour;
    ctx.stroke();
  }

  function drawOverlays() {
    var r = radius();
    if (matches !== null && matchCount > 0 && matchCount <= 2000) {
      for (var i = 0; i < N; i++) {
        if (matches[i] && enabled[cat[i]]) ring(i, r + 2.5, 'rgba(20,20,20,0.75)', 1.2);
      }
    }
    if (selected >= 0) {
      ctx.lineWidth = 1;
      ctx.strokeStyle = 'rgba(30,30,30,0.45)';
      ctx.beginPath();
      for (var n = 0; n < neighbours.length; n++) {
        ctx.moveTo(sx(selected), sy(selected));
        ctx.lineTo(sx(neighbours[n].i), sy(neighbours[n].i));
      }
      ctx.stroke();
      for (var n2 = 0; n2 < neighbours.length; n2++) ring(neighbours[n2].i, r + 3, '#e8590c', 2);
    }
    if (showLabels) drawLabels();
    if (selected >= 0) {
      ring(selected, r + 6, '#ffffff', 5);
      ring(selected, r + 6, '#111111', 2.5);
    }
    if (hover >= 0 && hover !== selected) {
      ring(hover, r + 4, '#ffffff', 4);
      ring(hover, r + 4, '#111111', 1.8);
    }
    if (N === 0) {
      ctx.fillStyle = '#666';
      ctx.font = '16px sans-serif';
      ctx.textAlign = 'center';
      ctx.fillText('No papers to show', W / 2, H / 2);
    }
  }

  // ----- labels -----------------------------------------------------------------
  // Theme labels are DOM elements over the canvas (text through textContent),
  // placed each frame: broad themes (level 0) first, then larger themes;
  // deeper levels only once the reader has zoomed in far enough
  // (levelZoom). A label goes on its theme's position, or beside it with a
  // leader line when that place is taken; a label with no free place is
  // hidden until zooming makes room. On maps of up to dotAvoidMax papers a
  // label also keeps off the dots: it takes the first free place that
  // covers none (dots counted in cells of dotCell pixels, so "none" means no
  // dot within about a cell of the box), else the free place that covers
  // fewest (the first of those).
  var labelLayer = $('pm-label-layer');
  var maxLevel = 0;
  for (var lk0 = 0; lk0 < K; lk0++) maxLevel = Math.max(maxLevel, themes[lk0].level | 0);
  var labelOrder = [], labelEls = [], labelSize = [], labelState = [];
  for (var lk = 0; lk < K; lk++) {
    var le = el('div', 'pm-label pm-level' + Math.min(2, themes[lk].level | 0) + (maxLevel > 0 ? ' pm-hier' : ''), themes[lk].label || String(themes[lk].id));
    le.dataset.theme = String(lk);
    le.dataset.level = String(themes[lk].level | 0);
    var lc = themeColours[lk + 1];
    le.style.borderColor = 'rgb(' + lc[0] + ',' + lc[1] + ',' + lc[2] + ')';
    labelLayer.appendChild(le);
    labelEls.push(le);
    labelState.push({ visible: false, moved: false, box: null });
    if (themeCount[lk + 1] > 0 || (themes[lk].level | 0) < maxLevel) labelOrder.push(lk);
  }
  labelOrder.sort(function (a, b) {
    return (themes[a].level | 0) - (themes[b].level | 0) || (themes[b].size | 0) - (themes[a].size | 0) || themeCount[b + 1] - themeCount[a + 1] || a - b;
  });
  // levelZoom is the zoom (relative to the whole map in view) from which
  // labels of a level are shown.
  function levelZoom(level) { return level <= 0 ? 0 : Math.pow(2.2, level); }
  var candidates = [[0, 0], [0, -1], [0, 1], [1, 0], [-1, 0], [1, -1], [-1, -1], [1, 1], [-1, 1], [0, -2], [0, 2], [2, 0], [-2, 0]];
  // nearCandidates is how many of them a label tries when it does not keep
  // off the dots; one that does also tries the places of a finer grid
  // within 3 steps, nearest first.
  var nearCandidates = candidates.length;
  (function () {
    var more = [];
    for (var cy = -3; cy <= 3; cy++) {
      for (var cx2 = -4; cx2 <= 4; cx2++) {
        var c = [cx2 / 2, cy];
        if (candidates.some(function (o) { return o[0] === c[0] && o[1] === c[1]; })) continue;
        more.push(c);
      }
    }
    more.sort(function (a, b) { return (a[0] * a[0] + a[1] * a[1]) - (b[0] * b[0] + b[1] * b[1]) || a[1] - b[1] || a[0] - b[0]; });
    candidates = candidates.concat(more);
  })();

  // dotGrid counts the visible dots per cell of dotCell pixels for the
  // current view, as a summed-area table (O(1) per box), rebuilt only when
  // the view or the dots change; null above dotAvoidMax papers, where
  // counting every dot for each frame of a pan would cost more than a label
  // can gain on a map that dense.
  var dotAvoidMax = 20000, dotCell = 6;
  var dotSums = null, dotCols = 0, dotRows = 0, dotKey = '';
  function dotGrid() {
    if (N > dotAvoidMax) return null;
    var key = view.scale + ',' + view.tx + ',' + view.ty + ',' + W + ',' + H + ',' + stats.renders;
    if (key === dotKey) return dotSums;
    dotKey = key;
    dotCols = Math.ceil(W / dotCell) + 1;
    dotRows = Math.ceil(H / dotCell) + 1;
    var w = dotCols + 1, sums = new Int32Array(w * (dotRows + 1));
    for (var i = 0; i < N; i++) {
      if (!enabled[cat[i]]) continue;
      var x = sx(i), y = sy(i);
      if (x < 0 || y < 0 || x >= W || y >= H) continue;
      sums[(Math.floor(y / dotCell) + 1) * w + Math.floor(x / dotCell) + 1]++;
    }
    for (var r = 1; r <= dotRows; r++) {
      for (var c = 1; c <= dotCols; c++) sums[r * w + c] += sums[(r - 1) * w + c] + sums[r * w + c - 1] - sums[(r - 1) * w + c - 1];
    }
    dotSums = sums;
    return sums;
  }
  // dotsUnder returns the number of dots in the cells that box b, grown by
  // the dots' radius r, touches.
  function dotsUnder(sums, b, r) {
    var w = dotCols + 1;
    var c0 = Math.max(0, Math.floor((b.x0 - r) / dotCell)), c1 = Math.min(dotCols - 1, Math.floor((b.x1 + r) / dotCell));
    var r0 = Math.max(0, Math.floor((b.y0 - r) / dotCell)), r1 = Math.min(dotRows - 1, Math.floor((b.y1 + r) / dotCell));
    if (c0 > c1 || r0 > r1) return 0;
    return sums[(r1 + 1) * w + c1 + 1] - sums[r0 * w + c1 + 1] - sums[(r1 + 1) * w + c0] + sums[r0 * w + c0];
  }

  function hideLabel(k) {
    if (labelState[k].visible) labelEls[k].style.visibility = 'hidden';
    labelState[k] = { visible: false, moved: false, box: null };
  }
  function drawLabels() {
    labelLayer.hidden = !showLabels;
    var placed = [], lines = [];
    var zoom = view.scale / fitScale;
    var dots = showLabels ? dotGrid() : null, rad = radius();
    for (var q = 0; q < labelOrder.length; q++) {
      var k = labelOrder[q], t = themes[k], lv = t.level | 0;
      var ok = showLabels && zoom >= levelZoom(lv) && (catNames || enabled[k + 1]);
      var x = t.x * view.scale + view.tx, y = -t.y * view.scale + view.ty;
      if (!ok || x < 0 || y < 0 || x > W || y > H) { hideLabel(k); continue; }
      if (!labelSize[k]) labelSize[k] = { w: labelEls[k].offsetWidth, h: labelEls[k].offsetHeight };
      var w = labelSize[k].w, h = labelSize[k].h, box = null, moved = false, least = Infinity;
      for (var a = 0; a < (dots ? candidates.length : nearCandidates) && least > 0; a++) {
        var cx = x + candidates[a][0] * (w / 2 + h / 2 + 4), cy = y + candidates[a][1] * (h + 4);
        var b = { x0: cx - w / 2, y0: cy - h / 2, x1: cx + w / 2, y1: cy + h / 2 };
        if (b.x0 < 2 || b.y0 < 2 || b.x1 > W - 2 || b.y1 > H - 2) continue;
        var free = true;
        for (var p = 0; p < placed.length && free; p++) {
          var o = placed[p];
          if (b.x0 < o.x1 + 2 && o.x0 < b.x1 + 2 && b.y0 < o.y1 + 2 && o.y0 < b.y1 + 2) free = false;
        }
        if (!free) continue;
        var under = dots ? dotsUnder(dots, b, rad) : 0;
        if (under < least) { box = b; moved = a > 0; least = under; }
      }
      if (!box) { hideLabel(k); continue; }
      placed.push(box);
      if (moved) lines.push([x, y, Math.max(box.x0, Math.min(x, box.x1)), Math.max(box.y0, Math.min(y, box.y1)), k]);
      var le = labelEls[k];
      le.style.transform = 'translate(' + Math.round(box.x0) + 'px,' + Math.round(box.y0) + 'px)';
      if (!labelState[k].visible) le.style.visibility = 'visible';
      labelState[k] = { visible: true, moved: moved, box: box };
    }
    for (var l = 0; l < lines.length; l++) {
      var ln = lines[l], c = themeColours[ln[4] + 1];
      ctx.strokeStyle = 'rgba(' + c[0] + ',' + c[1] + ',' + c[2] + ',0.9)';
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(ln[0], ln[1]);
      ctx.lineTo(ln[2], ln[3]);
      ctx.stroke();
      ctx.fillStyle = ctx.strokeStyle;
      ctx.beginPath();
      ctx.arc(ln[0], ln[1], 2.5, 0, 2 * Math.PI);
      ctx.fill();
    }
  }
  function roundRect(x, y, w, h, r) {
    ctx.beginPath();
    ctx.moveTo(x + r, y);
    ctx.arcTo(x + w, y, x + w, y + h, r);
    ctx.arcTo(x + w, y + h, x, y + h, r);
    ctx.arcTo(x, y + h, x, y, r);
    ctx.arcTo(x, y, x + w, y, r);
    ctx.closePath();
  }

  var pending = false;
  // invalidate marks the dots as changed (search, themes shown).
  function invalidate() {
    layerDirty = true;
    redraw();
  }
  function redraw() {
    if (pending) return;
    pending = true;
    requestAnimationFrame(function () {
      pending = false;
      frame();
    });
  }

  // ----- text helpers ---------------------------------------------------------
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function themeName(i) {
    var k = themeOf[i];
    return k < 0 ? 'no theme' : themes[k].id + ' ' + themes[k].label;
  }
  function yearOf(i) { return years && years[i] ? years[i] : 0; }
  function safeURL(u) {
    if (typeof u !== 'string' || !/^https?:\/\//i.test(u)) return null;
    try {
      var p = new URL(u);
      return p.protocol === 'http:' || p.protocol === 'https:' ? p.href : null;
    } catch (e) {
      return null;
    }
  }
  function swatch(k) {
    var sw = el('span', 'pm-swatch pm-shape' + themeShapes[k + 1]);
    var c = themeColours[k + 1];
    sw.style.background = 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')';
    return sw;
  }

  // ----- tooltip ----------------------------------------------------------------
  function showTooltip(i, px, py) {
    if (i < 0) {
      tooltip.hidden = true;
      return;
    }
    tooltip.textContent = '';
    tooltip.appendChild(el('div', 'pm-tt-title', titles[i] || ids[i] || (textReady ? '' : 'loading titles\u2026')));
    var meta = [];
    if (yearOf(i)) meta.push(String(yearOf(i)));
    meta.push(themeName(i));
    tooltip.appendChild(el('div', 'pm-tt-meta', meta.join(' \u00b7 ')));
    tooltip.hidden = false;
    var tw = tooltip.offsetWidth, tht = tooltip.offsetHeight;
    var x = px + 14, y = py + 14;
    if (x + tw > W - 4) x = Math.max(4, px - tw - 14);
    if (y + tht > H - 4) y = Math.max(4, py - tht - 14);
    tooltip.style.transform = 'translate(' + x + 'px,' + y + 'px)';
  }

  // ----- neighbours -------------------------------------------------------------
  function nearest(i, k) {
    if (!nb || nb.dim <= 0) return [];
    var D = nb.dim, codes = nb.codes;
    if (!nb.norms) {
      nb.norms = new Float32Array(N);
      for (var a = 0; a < N; a++) {
        var ss = 0;
        for (var d = 0, o = a * D; d < D; d++, o++) ss += codes[o] * codes[o];
        nb.norms[a] = Math.sqrt(ss);
      }
    }
    var ni = nb.norms[i];
    if (!(ni > 0)) return [];
    var base = i * D, best = [];
    var worst = -Infinity;
    for (var j = 0; j < N; j++) {
      if (j === i || !(nb.norms[j] > 0)) continue;
      var dot = 0;
      for (var e = 0, oj = j * D, oi = base; e < D; e++) dot += codes[oi++] * codes[oj++];
      var sc = dot / (ni * nb.norms[j]);
      if (best.length < k || sc > worst) {
        var pos = best.length;
        while (pos > 0 && best[pos - 1].s < sc) pos--;
        best.splice(pos, 0, { i: j, s: sc });
        if (best.length > k) best.pop();
        worst = best[best.length - 1].s;
      }
    }
    return best;
  }

  // ----- side panel -------------------------------------------------------------
  var neighbourCount = data.neighbourCount || 10;
  function select(i, centre) {
    selected = i;
    neighbours = i >= 0 ? nearest(i, neighbourCount) : [];
    renderPanel();
    if (i >= 0 && centre) {
      var x = sx(i), y = sy(i);
      if (x < 20 || y < 20 || x > W - 20 || y > H - 20) {
        view.tx += W / 2 - x;
        view.ty += H / 2 - y;
      }
    }
    redraw();
  }

  function renderPanel() {
    panel.textContent = '';
    if (selected < 0) {
      panel.hidden = true;
      return;
    }
    var i = selected;
    var close = el('button', 'pm-close', '\u00d7');
    close.title = 'Close';
    close.setAttribute('aria-label', 'Close');
    close.addEventListener('click', function () { select(-1); });
    panel.appendChild(close);
    panel.appendChild(el('h2', 'pm-p-title', titles[i] || ids[i]));
    var meta = el('div', 'pm-p-meta');
    if (themeOf[i] >= 0) meta.appendChild(swatch(themeOf[i]));
    meta.appendChild(el('span', null, themeName(i)));
    if (yearOf(i)) meta.appendChild(el('span', 'pm-p-year', String(yearOf(i))));
    panel.appendChild(meta);
    var idLine = el('div', 'pm-p-id', ids[i]);
    var u = urls ? safeURL(urls[i]) : null;
    if (u) {
      var a = el('a', 'pm-p-link', 'open \u2197');
      a.href = u;
      a.target = '_blank';
      a.rel = 'noopener noreferrer';
      idLine.appendChild(document.createTextNode(' '));
      idLine.appendChild(a);
    }
    panel.appendChild(idLine);
    if (snippets[i]) panel.appendChild(el('p', 'pm-p-snippet', snippets[i]));
    if (themeOf[i] >= 0 && themes[themeOf[i]].keywords && themes[themeOf[i]].keywords.length) {
      panel.appendChild(el('div', 'pm-p-kw', 'Theme keywords: ' + themes[themeOf[i]].keywords.join(', ')));
    }
    if (nb) {
      panel.appendChild(el('h3', null, 'Nearest papers'));
      var ol = el('ol', 'pm-nb');
      ol.id = 'pm-neighbours';
      neighbours.forEach(function (n) {
        var li = el('li');
        var b = el('button', 'pm-nb-item');
        b.dataset.index = String(n.i);
        b.appendChild(el('span', 'pm-nb-title', titles[n.i] || ids[n.i]));
        b.appendChild(el('span', 'pm-nb-score', n.s.toFixed(2)));
        b.title = themeName(n.i);
        b.addEventListener('click', function () { select(n.i, true); });
        li.appendChild(b);
        ol.appendChild(li);
      });
      panel.appendChild(ol);
    }
    panel.hidden = false;
    panel.scrollTop = 0;
  }

  // ----- search -------------------------------------------------------------------
  function runSearch() {
    var q = searchEl.value.trim().toLowerCase();
    query = q;
    if (!q) {
      matches = null;
      matchCount = 0;
      countEl.textContent = '';
    } else if (!textReady) {
      // The titles are not read yet: the search runs once they are.
      matches = null;
      matchCount = 0;
      countEl.textContent = 'loading titles\u2026';
    } else {
      if (!lowerTitles) lowerTitles = titles.map(function (t) { return String(t).toLowerCase(); });
      matches = new Uint8Array(N);
      matchCount = 0;
      for (var i = 0; i < N; i++) {
        if (lowerTitles[i].indexOf(q) >= 0) { matches[i] = 1; matchCount++; }
      }
      countEl.textContent = matchCount === 0 ? 'no match' : matchCount === 1 ? '1 match' : matchCount + ' matches';
    }
    invalidate();
    return matchCount;
  }
  searchEl.addEventListener('input', runSearch);
  searchEl.addEventListener('keydown', function (e) {
    if (e.key === 'Escape') { searchEl.value = ''; runSearch(); }
    if (e.key === 'Enter' && matches) {
      for (var i = 0; i < N; i++) if (matches[i] && enabled[cat[i]]) { select(i, true); break; }
    }
  });

  // ----- legend -------------------------------------------------------------------
  function buildLegend() {
    legendList.textContent = '';
    $('pm-legend-title').textContent = modeIndex === 0 ? 'Themes' : modes[modeIndex].name;
    var rows = [];
    if (!catNames) {
      for (var q = 0; q < K; q++) rows.push(treeOrder[q] + 1);
    } else {
      for (var v = 0; v < catNames.length; v++) rows.push(v + 1);
    }
    if (catCount[0] > 0) rows.push(0);
    rows.forEach(function (c) {
      var li = el('li');
      var b = el('button', 'pm-legend-item');
      b.setAttribute('aria-pressed', enabled[c] ? 'true' : 'false');
      if (c > 0 && !catNames) {
        var k = c - 1;
        if (themes[k].level | 0) b.style.paddingLeft = (4 + 14 * Math.min(4, themes[k].level | 0)) + 'px';
        if (children[k].length) b.classList.add('pm-legend-broad');
        b.appendChild(swatch(k));
        b.appendChild(el('span', 'pm-legend-id', themes[k].id));
        b.appendChild(el('span', 'pm-legend-label', themes[k].label));
        b.title = (themes[k].keywords || []).join(', ');
      } else {
        var sw = el('span', 'pm-swatch');
        var col = colours[c];
        sw.style.background = 'rgb(' + col[0] + ',' + col[1] + ',' + col[2] + ')';
        b.appendChild(sw);
        b.appendChild(el('span', 'pm-legend-id', ''));
        b.appendChild(el('span', 'pm-legend-label', c > 0 ? catNames[c - 1] : (catNames ? 'unknown' : 'no theme')));
      }
      var tree = c > 0 && !catNames && children[c - 1].length > 0;
      b.appendChild(el('span', 'pm-legend-n', tree ? treeCount[c] : catCount[c]));
      b.dataset.cat = String(c);
      b.addEventListener('click', function () {
        var on = enabled[c] ? 0 : 1;
        // A broad theme shows or hides its sub-themes with it.
        var cs = tree ? subtree(c - 1).map(function (k) { return k + 1; }) : [c];
        cs.forEach(function (d) {
          enabled[d] = on;
          var db = legendList.querySelector('button[data-cat="' + d + '"]');
          if (db) db.setAttribute('aria-pressed', on ? 'true' : 'false');
        });
        if (hover >= 0 && !enabled[cat[hover]]) { hover = -1; tooltip.hidden = true; }
        invalidate();
      });
      li.appendChild(b);
      legendList.appendChild(li);
    });
  }
  var modeEl = $('pm-colour');
  modes.forEach(function (m, t) {
    var o = el('option', null, t === 0 ? 'theme' : m.name);
    o.value = String(t);
    modeEl.appendChild(o);
  });
  modeEl.parentNode.hidden = modes.length < 2;
  modeEl.addEventListener('change', function () {
    setMode(parseInt(modeEl.value, 10) || 0);
    buildLegend();
    invalidate();
  });
  function setAll(on) {
    enabled.fill(on ? 1 : 0);
    var bs = legendList.querySelectorAll('button');
    for (var i = 0; i < bs.length; i++) bs[i].setAttribute('aria-pressed', on ? 'true' : 'false');
    invalidate();
  }
  $('pm-all').addEventListener('click', function () { setAll(true); });
  $('pm-none').addEventListener('click', function () { setAll(false); });
  $('pm-labels').addEventListener('change', function (e) { showLabels = e.target.checked; redraw(); });

  // ----- pan and zoom -------------------------------------------------------------
  function zoomAt(px, py, f) {
    var s = Math.min(fitScale * 2000, Math.max(fitScale * 0.2, view.scale * f));
    f = s / view.scale;
    view.tx = px - (px - view.tx) * f;
    view.ty = py - (py - view.ty) * f;
    view.scale = s;
    redraw();
  }
  $('pm-zoom-in').addEventListener('click', function () { zoomAt(W / 2, H / 2, 1.6); });
  $('pm-zoom-out').addEventListener('click', function () { zoomAt(W / 2, H / 2, 1 / 1.6); });
  $('pm-reset').addEventListener('click', function () { fit(); redraw(); });

  function local(e) {
    var r = canvas.getBoundingClientRect();
    return { x: e.clientX - r.left, y: e.clientY - r.top };
  }
  canvas.addEventListener('wheel', function (e) {
    e.preventDefault();
    var p = local(e);
    var dy = e.deltaMode === 1 ? e.deltaY * 16 : e.deltaY;
    wheelUntil = performance.now() + 150;
    settle(160);
    zoomAt(p.x, p.y, Math.exp(-dy * 0.0015));
  }, { passive: false });

  var drag = null, hoverReq = null;
  canvas.addEventListener('pointerdown', function (e) {
    if (e.button !== 0) return;
    var p = local(e);
    drag = { x: p.x, y: p.y, tx: view.tx, ty: view.ty, moved: false, id: e.pointerId };
    try { canvas.setPointerCapture(e.pointerId); } catch (err) { /* not all pointers can be captured */ }
  });
  canvas.addEventListener('pointermove', function (e) {
    var p = local(e);
    if (drag) {
      var dx = p.x - drag.x, dy = p.y - drag.y;
      if (!drag.moved && dx * dx + dy * dy > 9) {
        drag.moved = true;
        canvas.classList.add('pm-dragging');
        tooltip.hidden = true;
        hover = -1;
      }
      if (drag.moved) {
        view.tx = drag.tx + dx;
        view.ty = drag.ty + dy;
        redraw();
        return;
      }
    }
    updateHover(p.x, p.y);
  });
  function updateHover(px, py) {
    var h = pick(px, py);
    showTooltip(h, px, py);
    canvas.style.cursor = h >= 0 ? 'pointer' : '';
    if (h !== hover) {
      hover = h;
      redraw();
    }
  }
  function endDrag(e) {
    if (!drag) return;
    var d = drag;
    drag = null;
    canvas.classList.remove('pm-dragging');
    if (d.moved) redraw();
    if (!d.moved && e.type === 'pointerup') {
      var p = local(e);
      var i = pick(p.x, p.y);
      if (i >= 0) select(i, false);
    }
  }
  canvas.addEventListener('pointerup', endDrag);
  canvas.addEventListener('pointercancel', endDrag);
  canvas.addEventListener('pointerleave', function () {
    if (drag) return;
    tooltip.hidden = true;
    if (hover >= 0) { hover = -1; redraw(); }
  });
  document.addEventListener('keydown', function (e) {
    if (e.key === 'Escape' && document.activeElement !== searchEl) select(-1);
  });
  window.addEventListener('resize', invalidate);
  // The map's box can change size without the window doing so (inside a
  // notebook's iframe or a report, or laid out after the script ran).
  if (window.ResizeObserver) new ResizeObserver(invalidate).observe(mapEl);

  // ----- test and scripting hook ----------------------------------------------------
  var api = {
    ready: false,
    pointCount: N,
    themeCount: K,
    stats: stats,
    dotAlpha: baseAlpha,
    background: bg.slice(),
    // screenOf returns where paper i is drawn, in viewport (client) pixels.
    screenOf: function (i) {
      var r = canvas.getBoundingClientRect();
      return { x: r.left + sx(i), y: r.top + sy(i) };
    },
    // dotRadius is the radius of the dots at the current zoom, in pixels.
    dotRadius: function () { return radius(); },
    hoverText: function () { return tooltip.hidden ? '' : tooltip.textContent; },
    search: function (q) { searchEl.value = q; return runSearch(); },
    select: function (i) { select(i, true); return api.neighbours(); },
    selected: function () { return selected; },
    neighbours: function () { return neighbours.map(function (n) { return n.i; }); },
    colourOf: function (k) { return themeColours[k + 1].slice(); },
    // benchPan redraws the map `frames` times, panning a little each time,
    // and returns the draw times in milliseconds.
    // benchPan pans by a few pixels `frames` times as a drag would, drawing
    // each frame as the page does, and returns the frame times in
    // milliseconds; benchRender does the same with a full re-render of
    // the dots every frame.
    benchPan: function (frames) {
      var times = [];
      drag = { x: 0, y: 0, tx: view.tx, ty: view.ty, moved: true, id: -1 };
      for (var f = 0; f < frames; f++) {
        view.tx += 3;
        view.ty += 2;
        var t = performance.now();
        frame();
        times.push(performance.now() - t);
      }
      drag = null;
      frame();
      return times;
    },
    benchRender: function (frames) {
      var times = [];
      for (var f = 0; f < frames; f++) {
        view.tx += 3;
        view.ty += 2;
        layerDirty = true;
        var t = performance.now();
        frame();
        times.push(performance.now() - t);
      }
      return times;
    },
    redrawNow: function () { frame(); },
    // labels describes every theme label as last drawn: its theme index,
    // level, text, whether it is visible and moved off its theme's
    // position, and its box in canvas pixels.
    labels: function () {
      return labelEls.map(function (e, k) {
        var st = labelState[k];
        return { theme: k, level: themes[k].level | 0, text: e.textContent, visible: st.visible, moved: st.moved, box: st.box };
      });
    },
    // zoomTo centres the view on theme k's label position at zoom z
    // (1: the whole map in view) and draws.
    zoomTo: function (k, z) {
      fit();
      var s = fitScale * z, t = themes[k];
      view.scale = s;
      view.tx = W / 2 - t.x * s;
      view.ty = H / 2 + t.y * s;
      frame();
    },
    reset: function () { fit(); frame(); },
    modes: function () { return modes.map(function (m) { return m.name; }); },
    setMode: function (i) { modeEl.value = String(i); setMode(i); buildLegend(); layerDirty = true; frame(); return catCount.length - 1; },
    legendText: function () { return legendList.textContent; }
  };
  window.papermap = api;

  stats.parseMs = performance.now() - t0;
  buildLegend();
  frame();
})();
