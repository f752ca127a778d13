// Copies the console's browser libraries from node_modules into api/web/static/vendor/.
// No bundler: the files are used as published. Run after `npm ci` (scripts/install does both).
// A ".complete" stamp is written last, so a half-copied folder is never taken as done.
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = join(here, "node_modules");
const vendor = join(here, "..", "api", "web", "static", "vendor");

// package -> [source path inside the package, target path inside vendor/]
const FILES = {
  leaflet: [
    ["dist/leaflet.js", "leaflet/leaflet.js"],
    ["dist/leaflet.css", "leaflet/leaflet.css"],
    ["dist/images/layers.png", "leaflet/images/layers.png"],
    ["dist/images/layers-2x.png", "leaflet/images/layers-2x.png"],
    ["dist/images/marker-icon.png", "leaflet/images/marker-icon.png"],
    ["dist/images/marker-icon-2x.png", "leaflet/images/marker-icon-2x.png"],
    ["dist/images/marker-shadow.png", "leaflet/images/marker-shadow.png"],
    ["LICENSE", "leaflet/LICENSE"],
  ],
  "leaflet.markercluster": [
    ["dist/leaflet.markercluster.js", "leaflet.markercluster/leaflet.markercluster.js"],
    ["dist/MarkerCluster.css", "leaflet.markercluster/MarkerCluster.css"],
    ["dist/MarkerCluster.Default.css", "leaflet.markercluster/MarkerCluster.Default.css"],
    ["MIT-LICENCE.txt", "leaflet.markercluster/LICENSE"],
  ],
  "leaflet.heat": [
    ["dist/leaflet-heat.js", "leaflet.heat/leaflet-heat.js"],
    ["LICENSE", "leaflet.heat/LICENSE"],
  ],
};

function copyAll() {
  rmSync(vendor, { recursive: true, force: true });
  const versions = {};
  for (const [pkg, files] of Object.entries(FILES)) {
    const root = join(modules, pkg);
    versions[pkg] = JSON.parse(readFileSync(join(root, "package.json"), "utf8")).version;
    for (const [src, dst] of files) {
      const target = join(vendor, dst);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(join(root, src), target);
    }
  }
  writeFileSync(join(vendor, "versions.json"), JSON.stringify(versions, null, 2) + "\n");
  writeFileSync(join(vendor, ".complete"), new Date().toISOString() + "\n");
  return versions;
}

try {
  const versions = copyAll();
  const summary = Object.entries(versions).map(([p, v]) => `${p}@${v}`).join(", ");
  process.stdout.write(`console vendor files: ${summary} -> ${vendor}\n`);
} catch (err) {
  process.stderr.write(`copy-vendor: ${err.message}\n(did \`npm ci\` run in web/?)\n`);
  process.exit(1);
}
