#!/usr/bin/env bash
# `npm run demo`: the bootstrap that runs before any dependency exists (a fresh clone has no
# node_modules, so no tsx): check Node, install the Debian packages the proving ground needs, run
# `npm ci` when node_modules is missing or older than package-lock.json, then hand over to
# scripts/demo/main.ts. Every step is skipped when already done, so running it twice is safe.
set -euo pipefail
cd "$(dirname "$0")/.."

step() { if [ -t 1 ]; then printf '\n\033[1m==> %s\033[0m\n' "$*"; else printf '\n==> %s\n' "$*"; fi; }

major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$major" -lt 20 ]; then
  echo "error: npm run demo needs Node 20 or newer (found $(node --version 2>/dev/null || echo none)); install Node 20+ and run it again" >&2
  exit 1
fi

if [ -z "${KUBECONFIG:-}" ]; then
  # The proving ground runs member pods as local processes: they need the engines and the netns tools.
  step "Debian packages"
  bash scripts/install-debian-packages.sh
  bash scripts/install-valkey.sh
  echo "all present"
fi

step "npm packages"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
else
  echo "node_modules is up to date"
fi

exec node --import tsx scripts/demo/main.ts "$@"
