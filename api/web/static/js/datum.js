// Map datums. Everything is stored and sent in WGS84; when the base map is GCJ-02 (Amap-style
// tiles) every coordinate is shifted for display and shifted back when the operator clicks.
// Same published algorithm as gis/datums.py (Krasovsky 1940 ellipsoid, China bounding box).

const A_M = 6378245.0;
const EE = 0.00669342162296594323;
let displayDatum = "wgs84";

export function inChina(lon, lat) {
  return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

function offsetDeg(lon, lat) {
  const x = lon - 105.0;
  const y = lat - 35.0;
  const common = ((20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2) / 3;
  const sqrtAbsX = Math.sqrt(Math.abs(x));
  let dLat = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrtAbsX + common;
  dLat += ((20 * Math.sin(y * Math.PI) + 40 * Math.sin((y / 3) * Math.PI)) * 2) / 3;
  dLat += ((160 * Math.sin((y / 12) * Math.PI) + 320 * Math.sin((y * Math.PI) / 30)) * 2) / 3;
  let dLon = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrtAbsX + common;
  dLon += ((20 * Math.sin(x * Math.PI) + 40 * Math.sin((x / 3) * Math.PI)) * 2) / 3;
  dLon += ((150 * Math.sin((x / 12) * Math.PI) + 300 * Math.sin((x / 30) * Math.PI)) * 2) / 3;
  const radLat = (lat * Math.PI) / 180;
  const magic = 1 - EE * Math.sin(radLat) ** 2;
  const sqrtMagic = Math.sqrt(magic);
  dLat = (dLat * 180) / (((A_M * (1 - EE)) / (magic * sqrtMagic)) * Math.PI);
  dLon = (dLon * 180) / ((A_M / sqrtMagic) * Math.cos(radLat) * Math.PI);
  return [dLon, dLat];
}

/** WGS84 -> GCJ-02 as [lon, lat] (identity outside China). */
export function wgs84ToGcj02(lon, lat) {
  if (!inChina(lon, lat)) return [lon, lat];
  const [dLon, dLat] = offsetDeg(lon, lat);
  return [lon + dLon, lat + dLat];
}

/** GCJ-02 -> WGS84 by fixed-point iteration of the forward formula. */
export function gcj02ToWgs84(lon, lat) {
  let wLon = lon;
  let wLat = lat;
  for (let i = 0; i < 30; i += 1) {
    const [fLon, fLat] = wgs84ToGcj02(wLon, wLat);
    const eLon = fLon - lon;
    const eLat = fLat - lat;
    wLon -= eLon;
    wLat -= eLat;
    if (Math.max(Math.abs(eLon), Math.abs(eLat)) < 1e-10) break;
  }
  return [wLon, wLat];
}

export function setDisplayDatum(datum) {
  displayDatum = datum === "gcj02" ? "gcj02" : "wgs84";
}

export function getDisplayDatum() {
  return displayDatum;
}

/** A stored WGS84 (lon, lat) as a Leaflet [lat, lng] in the display datum. */
export function toLatLng(lon, lat) {
  const [x, y] = displayDatum === "gcj02" ? wgs84ToGcj02(lon, lat) : [lon, lat];
  return [y, x];
}

/** A Leaflet LatLng clicked on the map back to WGS84 [lon, lat]. */
export function fromLatLng(latlng) {
  return displayDatum === "gcj02" ? gcj02ToWgs84(latlng.lng, latlng.lat) : [latlng.lng, latlng.lat];
}

/** Great-circle distance in metres between two WGS84 points. */
export function distanceM(lon1, lat1, lon2, lat2) {
  const rad = Math.PI / 180;
  const dLat = (lat2 - lat1) * rad;
  const dLon = (lon2 - lon1) * rad;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) ** 2;
  return 2 * 6371008.8 * Math.asin(Math.min(1, Math.sqrt(h)));
}

/** Straight-line ETA as the server's StraightLineTravel estimates it (8 m/s, detour 1.4). */
export function straightEtaS(distance_m, speed_mps = 8.0, detour = 1.4) {
  return (distance_m * detour) / speed_mps;
}
