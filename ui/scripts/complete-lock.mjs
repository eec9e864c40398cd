#!/usr/bin/env node
// Completes package-lock.json with the platform-specific optional packages (rollup, tauri-cli,
// …) for other operating systems. The registry mirror on Baton's build machines serves only the
// Linux ones, so `npm install` here leaves the others out of the lock file, and `npm ci` then
// refuses the lock as out of sync. This adds a stub entry (version, os, cpu, libc, optional) for
// each one; npm skips them on platforms they do not match, and fetches them where they do.
//
// Run after any `npm install` that rewrites the lock:  node scripts/complete-lock.mjs

import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const lockPath = fileURLToPath(new URL("../package-lock.json", import.meta.url));
const lock = JSON.parse(readFileSync(lockPath, "utf8"));
const packages = lock.packages;

const OS = ["darwin", "linux", "win32", "android", "freebsd", "openbsd", "netbsd", "openharmony", "sunos", "aix"];
const CPU = ["arm64", "x64", "ia32", "riscv64", "loong64", "ppc64", "s390x", "arm", "mips64el"];

function platformOf(name) {
  const parts = name.split("/").pop().split("-");
  const os = parts.find((p) => OS.includes(p));
  const cpu = parts.find((p) => CPU.includes(p));
  if (!os || !cpu) return null;
  const entry = { os: [os], cpu: [cpu] };
  if (os === "linux") {
    if (parts.some((p) => p.startsWith("musl"))) entry.libc = ["musl"];
    else if (parts.some((p) => p.startsWith("gnu"))) entry.libc = ["glibc"];
  }
  return entry;
}

let added = 0;
for (const [path, pkg] of Object.entries(packages)) {
  if (!path.startsWith("node_modules/") || !pkg.optionalDependencies) continue;
  const base = path.slice(0, path.lastIndexOf("node_modules/"));
  for (const [dep, spec] of Object.entries(pkg.optionalDependencies)) {
    const key = `${base}node_modules/${dep}`;
    const hoisted = `node_modules/${dep}`;
    if (packages[key] || packages[hoisted]) continue;
    if (!/^\d+\.\d+\.\d+(-[\w.]+)?$/.test(spec)) continue;
    const platform = platformOf(dep);
    if (!platform) continue;
    // Field order as npm writes it, so a later `npm install` leaves the file unchanged.
    packages[hoisted] = {
      version: spec,
      cpu: platform.cpu,
      ...(pkg.dev ? { dev: true } : {}),
      ...(platform.libc ? { libc: platform.libc } : {}),
      optional: true,
      os: platform.os,
    };
    added += 1;
  }
}

const sorted = {};
for (const key of Object.keys(packages).sort((a, b) => (a === "" ? -1 : b === "" ? 1 : a < b ? -1 : a > b ? 1 : 0))) {
  sorted[key] = packages[key];
}
lock.packages = sorted;
writeFileSync(lockPath, `${JSON.stringify(lock, null, 2)}\n`);
console.log(`complete-lock: added ${added} platform package entries`);
