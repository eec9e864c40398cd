// The pages of the floor app (src-tauri/examples/floor: the least a Tauri app costs here, which
// `floor_bench` compares Baton with): a blank page, and a React hello-world padded to the size
// of Baton's first bundle. Built into floor/dist by `npm run build:floor` (`make bench`), never
// by `make test`.
import { readdirSync, statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { defineConfig, type Plugin } from "vite";

import baton from "./vite.config";

const here = fileURLToPath(new URL(".", import.meta.url));
const FILLER_ID = "virtual:floor-filler";
/** When Baton's UI is not built yet: its first bundle's size on 2026-11-26. */
const BUNDLE_BYTES_WITHOUT_DIST = 521_298;

/** The bytes of Baton's first bundle (ui/dist/assets/index-*.js), or the figure above. */
function batonBundleBytes(): number {
  const assets = `${here}dist/assets`;
  try {
    const index = readdirSync(assets).find((f) => f.startsWith("index-") && f.endsWith(".js"));
    if (index) return statSync(`${assets}/${index}`).size;
  } catch {
    // not built: the figure above
  }
  return BUNDLE_BYTES_WITHOUT_DIST;
}

/**
 * A module of distinct small functions, together about `bytes` long once minified, less what
 * React and the page take (about 223 kB).
 */
function filler(bytes: number): Plugin {
  const resolved = `\0${FILLER_ID}`;
  return {
    name: "floor-filler",
    resolveId: (id) => (id === FILLER_ID ? resolved : undefined),
    load(id) {
      if (id !== resolved) return undefined;
      // Each function below minifies to about 73 bytes.
      const count = Math.max(0, Math.round((bytes - 223_000) / 73));
      const fns = Array.from(
        { length: count },
        (_, i) =>
          `(n) => { let s = ${i}; for (let k = 0; k < (n % 3) + 1; k++) s = (s * 31 + k + ${i * 7}) % 1000003; return s; }`,
      );
      return `export const fillers = [\n${fns.join(",\n")}\n];\n`;
    },
  };
}

export default defineConfig({
  root: "floor",
  clearScreen: false,
  esbuild: baton.esbuild,
  plugins: [filler(batonBundleBytes())],
  build: {
    // Baton's own build options (its outDir, dist, is relative to this root: floor/dist).
    ...baton.build,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      input: { blank: `${here}floor/blank.html`, hello: `${here}floor/hello.html` },
    },
  },
});
