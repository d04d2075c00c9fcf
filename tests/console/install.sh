#!/usr/bin/env bash
# Installs the browser tests' npm packages (playwright-core, pinned by package-lock.json) into
# DEST/node_modules, only when they are missing or the lock file changed. Chromium is Debian's
# (scripts/install-deps.sh); no browser is downloaded.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
dest="$1"
for tool in node npm /usr/bin/chromium; do
  command -v "$tool" >/dev/null || { echo "$tool is missing: run scripts/install-deps.sh" >&2; exit 1; }
done
mkdir -p "$dest"
if [ -f "$dest/node_modules/.package-lock.json" ] && cmp -s "$here/package-lock.json" "$dest/package-lock.json"; then
  exit 0
fi
cp "$here/package.json" "$here/package-lock.json" "$dest/"
cd "$dest"
PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
echo "installed: $(node -p 'require("playwright-core/package.json").version' 2>/dev/null || echo '?') playwright-core in $dest"
