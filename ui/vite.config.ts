/// <reference types="vitest/config" />
import { availableParallelism } from "node:os";
import { defineConfig, type ProxyOptions } from "vite";

// Tauri loads http://localhost:1420 in development and ../ui/dist in release builds.
// JSX is compiled by esbuild (automatic runtime); no plugin injects inline scripts, so the
// page runs under Baton's strict CSP (no inline scripts, no eval, no remote resources).

/**
 * In a plain browser the UI talks to `baton preview` (src/lib/httpTransport.ts). Under
 * `vite dev`, `/api` is proxied to the preview whose URL (as it printed it, token included)
 * is in BATON_PREVIEW_URL, and the proxy adds the token: the page needs none.
 */
function previewProxy(printed: string | undefined): Record<string, ProxyOptions> | undefined {
  if (!printed) return undefined;
  const url = new URL(printed);
  const token = url.searchParams.get("token") ?? "";
  return {
    "/api": {
      target: url.origin,
      headers: { "x-baton-token": token },
      rewrite: (path) =>
        path.startsWith("/api/events") ? `/api/events?token=${encodeURIComponent(token)}` : path,
    },
  };
}

export default defineConfig({
  clearScreen: false,
  esbuild: { jsx: "automatic" },
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
    watch: { ignored: ["**/src-tauri/**"] },
    proxy: previewProxy(process.env.BATON_PREVIEW_URL),
  },
  preview: { port: 1420, strictPort: true, host: "localhost" },
  envPrefix: ["VITE_", "TAURI_ENV_"],
  build: {
    outDir: "dist",
    emptyOutDir: true,
    target: "es2022",
    sourcemap: false,
    // Inlined assets would become data: URLs, which the CSP does not allow.
    assetsInlineLimit: 0,
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["./src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    // A test file per core: Vitest's default (cores - 1) leaves one core of two idle, and most of
    // a file's time is its jsdom starting, not work another file waits for.
    maxWorkers: availableParallelism(),
    minWorkers: availableParallelism(),
    // `make test` runs these beside both passes of the Rust tests on the same two cores: a test
    // that types a form key by key took over 5 s (Vitest's default) there once.
    testTimeout: 20_000,
  },
});
