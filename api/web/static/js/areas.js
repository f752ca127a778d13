// Areas from GET /areas as a GeoJSON FeatureCollection, whatever shape the server sends:
// a FeatureCollection, a page {data: [...]}, or a list of rows with `geometry` (GeoJSON) or
// `geom_wkt` (WKT POLYGON / MULTIPOLYGON).

function parseRing(text) {
  return text
    .trim()
    .split(",")
    .map((pair) => pair.trim().split(/\s+/).map(Number).slice(0, 2));
}

function parsePolygonBody(body) {
  // body like "(x y, x y), (x y, ...)"
  const rings = [];
  const re = /\(([^()]+)\)/g;
  let match;
  while ((match = re.exec(body)) !== null) rings.push(parseRing(match[1]));
  return rings;
}

/** A GeoJSON geometry from WKT (POLYGON, MULTIPOLYGON, POINT); null when not understood. */
export function wktToGeometry(wkt) {
  if (typeof wkt !== "string") return null;
  const text = wkt.trim().replace(/^SRID=\d+;/i, "");
  const kind = text.slice(0, text.indexOf("(")).trim().toUpperCase();
  const body = text.slice(text.indexOf("("));
  if (kind === "POLYGON") return { type: "Polygon", coordinates: parsePolygonBody(body) };
  if (kind === "MULTIPOLYGON") {
    const polygons = body
      .slice(1, -1)
      .split(/\)\s*\)\s*,\s*\(\s*\(/)
      .map((part) => parsePolygonBody(`((${part.replace(/^[(\s]+|[)\s]+$/g, "")}))`));
    return { type: "MultiPolygon", coordinates: polygons };
  }
  if (kind === "POINT") return { type: "Point", coordinates: parseRing(body.slice(1, -1))[0] };
  return null;
}

function rowToFeature(row) {
  const geometry = row.geometry ?? wktToGeometry(row.geom_wkt ?? row.wkt);
  if (!geometry) return null;
  const { geometry: _g, geom_wkt: _w, wkt: _k, ...props } = row;
  return { type: "Feature", geometry, properties: props };
}

/** Normalise whatever /areas returned into a FeatureCollection with properties.kind set. */
export function toFeatureCollection(payload) {
  if (!payload) return { type: "FeatureCollection", features: [] };
  if (payload.type === "FeatureCollection") {
    const features = payload.features.map((f) => ({
      ...f,
      properties: { ...(f.properties ?? {}), id: f.properties?.id ?? f.id },
    }));
    return { type: "FeatureCollection", features };
  }
  const rows = Array.isArray(payload) ? payload : payload.data ?? payload.areas ?? [];
  return { type: "FeatureCollection", features: rows.map(rowToFeature).filter(Boolean) };
}

/** Which map layer an area belongs to: "grid", "resp" (responsibility) or "districts". */
export function layerOf(feature) {
  const kind = String(feature.properties?.kind ?? "").toLowerCase();
  if (kind === "grid" || kind === "cell") return "grid";
  if (kind.includes("resp") || kind === "unit" || kind === "duty") return "resp";
  return "districts";
}

const STYLE = {
  district: { color: "#1f4e79", weight: 3, fillOpacity: 0.02, dashArray: null },
  street: { color: "#2e75b6", weight: 2, fillOpacity: 0.02, dashArray: "8 4" },
  community: { color: "#5b9bd5", weight: 1.5, fillOpacity: 0.03, dashArray: "4 4" },
  grid: { color: "#8497b0", weight: 1, fillOpacity: 0.0, dashArray: "2 3" },
  resp: { color: "#c55a11", weight: 2, fillOpacity: 0.05, dashArray: "6 3" },
};

/** Leaflet path style for an area feature. */
export function areaStyle(feature) {
  const kind = String(feature.properties?.kind ?? "").toLowerCase();
  const base = STYLE[kind] ?? (layerOf(feature) === "resp" ? STYLE.resp : STYLE.community);
  return { ...base, fillColor: base.color, opacity: 0.9 };
}
