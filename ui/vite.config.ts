/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Tauri loads http://localhost:1420 in development and ../ui/dist in release builds.
// JSX is compiled by esbuild (automatic runtime); no plugin injects inline scripts, so the
// page runs under Baton's strict CSP (no inline scripts, no eval, no remote resources).
export default defineConfig({
  clearScreen: false,
  esbuild: { jsx: "automatic" },
  server: {
    port: 1420,
    strictPort: true,
    host: "localhost",
    watch: { ignored: ["**/src-tauri/**"] },
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
  },
});
