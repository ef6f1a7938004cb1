# Sourced by .ci/run and the README's test command: venv, Python deps, Chromium, axe-core, services.
# Idempotent: a second run on the same machine installs nothing new.
set -euo pipefail
ROOT="$(pwd)"
export PIP_DISABLE_PIP_VERSION_CHECK=1

if [ ! -x .venv/bin/python ]; then
  python3 -m venv .venv
fi
. .venv/bin/activate
python -m pip install -q --upgrade pip >/dev/null
python -m pip install -q -e ".[test,bench]"

# Chromium from Debian (no browser can be downloaded by Playwright here).
if [ ! -x /usr/bin/chromium ]; then
  if command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk) >/dev/null 2>&1 \
      || echo "warning: could not install chromium; browser tests will skip" >&2
  fi
fi

# axe-core for accessibility checks (from the npm registry, into an ignored folder).
if [ ! -f node_modules/axe-core/axe.min.js ] && command -v npm >/dev/null 2>&1; then
  npm install --no-save --no-audit --no-fund --silent axe-core@4.11.0 >/dev/null 2>&1 \
    || echo "warning: could not install axe-core; accessibility tests will skip" >&2
fi

# The HubSpot app card's build and render test (tests/hosts/test_hubspot_card_build.py): @hubspot/ui-extensions,
# react and esbuild from the npm registry, pinned in .ci/hubspot-card (lockfile), into its ignored node_modules.
if [ ! -f .ci/hubspot-card/node_modules/@hubspot/ui-extensions/package.json ] && command -v npm >/dev/null 2>&1; then
  (cd .ci/hubspot-card && npm ci --no-audit --no-fund --silent) >/dev/null 2>&1 \
    || echo "warning: could not install the HubSpot card's npm packages; its build and render tests will skip" >&2
fi
# Node 18+ runs the Freshworks app's serverless function in tests (devkit/freshworks/fdk_runner.js); they skip without.
if ! command -v node >/dev/null 2>&1 && command -v apt-get >/dev/null 2>&1; then
  (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs) >/dev/null 2>&1 \
    || echo "warning: could not install node; the Freshworks function tests will skip" >&2
fi

# PostgreSQL and Redis: start them if they are installed but not running.
if command -v pg_ctlcluster >/dev/null 2>&1 && ! (echo > /dev/tcp/127.0.0.1/5432) 2>/dev/null; then
  pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -n1)" main start || true
fi
if command -v redis-server >/dev/null 2>&1 && ! (echo > /dev/tcp/127.0.0.1/6379) 2>/dev/null; then
  mkdir -p /var/lib/redis /var/log/redis
  redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no \
    --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
fi
cd "$ROOT"
