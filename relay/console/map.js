// 管内の地図: the municipalities of the prefectures this relay serves, drawn
// as SVG from the TopoJSON of GET /api/geometry (the N03 boundaries of
// ../shared/data/geometry, served as is; no copy in the repository). The
// decoder below is TopoJSON's own rule: quantized, delta-encoded arcs; a
// negative arc index ~i is arc i reversed.

import { svg, clear } from "./util.js";

// The arcs as absolute [lon, lat] points, decoded once per file.
function decodeArcs(topo) {
  const t = topo.transform;
  return topo.arcs.map((arc) => {
    let x = 0, y = 0;
    return arc.map((p) => {
      if (t) {
        x += p[0];
        y += p[1];
        return [x * t.scale[0] + t.translate[0], y * t.scale[1] + t.translate[1]];
      }
      return [p[0], p[1]];
    });
  });
}

// One ring: its arcs joined, the shared point between two arcs once.
function ring(arcs, indexes) {
  const pts = [];
  for (const i of indexes) {
    const a = i < 0 ? arcs[~i].slice().reverse() : arcs[i];
    for (let k = 0; k < a.length; k++) {
      if (k === 0 && pts.length) continue;
      pts.push(a[k]);
    }
  }
  return pts;
}

function polygons(arcs, g) {
  if (g.type === "Polygon") return [g.arcs.map((r) => ring(arcs, r))];
  if (g.type === "MultiPolygon")
    return g.arcs.map((p) => p.map((r) => ring(arcs, r)));
  return [];
}

// The features of the prefectures in serves (two-digit codes; "mic" and
// other non-prefecture entries have no outline), as
// [{code, pref, city, name, rings: [[lon, lat]...]}].
export function features(topo, serves) {
  const prefs = new Set(serves.filter((s) => /^\d{2}$/.test(s)));
  const obj = topo.objects["N03-21_210101"] || Object.values(topo.objects)[0];
  const arcs = decodeArcs(topo);
  const out = [];
  for (const g of obj.geometries) {
    const p = g.properties || {};
    const code = p.N03_007;
    if (typeof code !== "string" || !prefs.has(code.slice(0, 2))) continue;
    out.push({
      code, pref: p.N03_001, city: p.N03_003, name: p.N03_004 || p.N03_003 || code,
      rings: polygons(arcs, g).flat(),
    });
  }
  return out;
}

// The node of a feature: the entity whose id starts with its 5-digit code;
// a ward of a designated city (N03_003 ends with 市, its code is not an
// entity) folds into its city, found by name.
export function nodeOf(f, byCode, byName) {
  const n = byCode.get(f.code);
  if (n) return n;
  if (f.city && f.city.endsWith("市")) return byName.get(f.code.slice(0, 2) + f.city) || null;
  return null;
}

// Draws features into the <svg> el; colour(f) -> {cls, title, state} for
// each feature; onClick(f) if given. Equirectangular with the cosine of
// the middle latitude: good enough for one prefecture.
export function draw(el, feats, colour, onClick) {
  clear(el);
  if (!feats.length) return;
  let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
  for (const f of feats) for (const r of f.rings) for (const [x, y] of r) {
    if (x < minX) minX = x;
    if (x > maxX) maxX = x;
    if (y < minY) minY = y;
    if (y > maxY) maxY = y;
  }
  const k = Math.cos(((minY + maxY) / 2) * Math.PI / 180);
  const W = 600, pad = 6;
  const sx = (W - 2 * pad) / ((maxX - minX) * k || 1);
  const H = Math.round((maxY - minY) * sx + 2 * pad);
  el.setAttribute("viewBox", `0 0 ${W} ${H}`);
  const px = (x) => (pad + (x - minX) * k * sx).toFixed(1);
  const py = (y) => (pad + (maxY - y) * sx).toFixed(1);
  for (const f of feats) {
    const d = f.rings.map((r) => "M" + r.map(([x, y]) => px(x) + "," + py(y)).join("L") + "Z").join("");
    const c = colour(f);
    const path = svg("path", {
      d, class: "muni " + c.cls, "fill-rule": "evenodd",
      data: { code: f.code, state: c.state, entity: c.entity || "" },
    }, svg("title", {}, c.title));
    if (onClick) path.addEventListener("click", () => onClick(f));
    el.appendChild(path);
  }
}
