#!/usr/bin/env bash
# Regenerates every icon size Tauri needs from icons/icon.svg (the source of truth).
# Needs ImageMagick (`convert`); uses the Tauri CLI from ui/node_modules for the full set
# (ico, icns, Windows logos) when it is installed.
set -euo pipefail
cd "$(dirname "$0")/.."
# Prefer the distribution's ImageMagick over any wrapper earlier on PATH.
convert=/usr/bin/convert
[ -x "$convert" ] || convert=convert
master=$(mktemp --suffix=.png)
trap 'rm -f "$master"' EXIT
"$convert" -background none -density 384 icons/icon.svg -resize 1024x1024 "PNG32:$master"
if [ -x ui/node_modules/.bin/tauri ]; then
  ui/node_modules/.bin/tauri icon "$master" --output icons >/dev/null 2>&1
  rm -rf icons/android icons/ios   # Baton is a desktop app
else
  for size in 32 128 256 512; do
    "$convert" "$master" -resize "${size}x${size}" "PNG32:icons/${size}x${size}.png"
  done
  cp icons/256x256.png icons/128x128@2x.png && rm icons/256x256.png
  mv icons/512x512.png icons/icon.png
  "$convert" "$master" -define icon:auto-resize=256,128,64,48,32,16 icons/icon.ico
fi
echo "icons regenerated from icons/icon.svg"
