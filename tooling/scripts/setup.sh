#!/usr/bin/env bash
# One-step set-up on a fresh Debian/Ubuntu (or any) machine with Node >= 20: pnpm, the workspace's packages, and —
# where apt is available and we are root — the system data and benchmark peers Optik uses.
#   bash tooling/scripts/setup.sh            # what the tests need, incl. dataset-fashion-mnist (real-data tests)
#   bash tooling/scripts/setup.sh --bench    # plus PyTorch (Debian python3-torch), the benchmark peer
#   bash tooling/scripts/setup.sh --data     # kept for clarity: Fashion-MNIST is always installed
set -euo pipefail
cd "$(dirname "$0")/../.."

want_bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    --data) ;;
    *) echo "setup.sh: unknown option $arg (use --bench, --data)" >&2; exit 2 ;;
  esac
done

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup.sh: Optik needs Node.js >= 20 (found $(node --version))." >&2
  exit 1
fi

if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version)" != "12.4.2" ]; then
  echo "setup.sh: installing pnpm 12.4.2" >&2
  npm install -g pnpm@12.4.2 >/dev/null
fi

apt_install() {
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    local missing=()
    for pkg in "$@"; do dpkg -s "$pkg" >/dev/null 2>&1 || missing+=("$pkg"); done
    if [ "${#missing[@]}" -gt 0 ]; then
      echo "setup.sh: apt-get install ${missing[*]}" >&2
      apt-get update -qq >/dev/null || true
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
    fi
  else
    echo "setup.sh: not root or no apt: skipping $* (optional)" >&2
  fi
}
# The real-data tests and the main job read Fashion-MNIST from Debian's package (~30 MB); the localization set pastes
# its items on photos from opencv-doc (Apache-2.0 AND BSD-3-Clause samples, ~96 MB); `optik data synth` pastes
# openclipart-svg drawings (public domain, ~25 MB, no dependencies) on the same photos.
apt_install dataset-fashion-mnist opencv-doc openclipart-svg
if [ "$want_bench" = 1 ]; then apt_install python3-torch; fi

# Native addons (better-sqlite3) fall back to a source build when their prebuilt binary cannot be downloaded.
# Point node-gyp at the local Node headers when they match, so that build needs no download either.
# The same finder serves the publishability test (tooling/scripts/pack-test.mjs), which installs tarballs afresh.
nodedir=$(node tooling/scripts/node-headers.mjs)
if [ -n "$nodedir" ] && [ -z "${npm_config_nodedir:-}" ]; then export npm_config_nodedir="$nodedir"; fi
pnpm install --frozen-lockfile 2>&1 | grep -v '@tensorflow/tfjs-node-gpu install' || true
test "${PIPESTATUS[0]}" = 0
