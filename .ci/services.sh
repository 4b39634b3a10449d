# Shell functions that install (from Debian packages) and start the servers the tests talk
# to. Sourced by .ci/test. Each function is idempotent and fails loudly.

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi
}

apt_updated=""
apt_install() {
  if [ -z "$apt_updated" ]; then
    as_root apt-get update -qq
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@"
}

# PostgreSQL at 127.0.0.1:5432 with trust authentication for local TCP connections, and a
# database "test" (FOI_TEST_POSTGRES_URL overrides where the tests look).
ensure_postgres() {
  local url="${FOI_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
  if command -v psql >/dev/null && psql "$url" -qtAc 'select 1' >/dev/null 2>&1; then
    echo "== PostgreSQL: reachable at $url"
    return 0
  fi
  echo "== PostgreSQL: not reachable at $url; installing/starting it"
  if ! command -v pg_ctlcluster >/dev/null; then
    apt_install postgresql postgresql-client
  fi
  local version
  version=$(ls /etc/postgresql 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$version" ]; then
    version=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
    as_root pg_createcluster "$version" main
  fi
  local hba="/etc/postgresql/$version/main/pg_hba.conf"
  if ! as_root grep -q '^host all all 127.0.0.1/32 trust' "$hba"; then
    as_root sed -i '1i host all all 127.0.0.1/32 trust' "$hba"
  fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start 2>/dev/null \
    || as_root pg_ctlcluster --skip-systemctl-redirect "$version" main reload
  for _ in $(seq 1 30); do
    pg_isready -q -h 127.0.0.1 -p 5432 && break
    sleep 1
  done
  if ! psql "postgres://postgres@127.0.0.1:5432/postgres" -qtAc "select 1 from pg_database where datname = 'test'" | grep -q 1; then
    psql "postgres://postgres@127.0.0.1:5432/postgres" -qc 'create database test'
  fi
  psql "$url" -qtAc 'select 1' >/dev/null || { echo "PostgreSQL is still not reachable at $url" >&2; return 1; }
  echo "== PostgreSQL: ready at $url"
}

# Postfix and Dovecot for the mail integration tests (crates/testkit): each test starts its own
# private instances under a temp dir on free 127.0.0.1 ports, so only the packages are needed.
# Postfix is installed with "No configuration" (no /etc/postfix/main.cf, nothing listening);
# if the install started a system-wide daemon anyway, it is stopped. The tests need root.
ensure_mail_servers() {
  if [ ! -x /usr/sbin/postfix ] || [ ! -x /usr/sbin/dovecot ] \
    || [ ! -e /usr/lib/dovecot/imap ] || [ ! -e /usr/lib/dovecot/lmtp ]; then
    echo "== Mail servers: installing postfix, dovecot-imapd, dovecot-lmtpd"
    echo "postfix postfix/main_mailer_type select No configuration" | as_root debconf-set-selections
    apt_install postfix dovecot-imapd dovecot-lmtpd
    # The tests run their own instances: stop any system-wide daemon the install started.
    as_root postfix stop >/dev/null 2>&1 || true
    as_root doveadm stop >/dev/null 2>&1 || true
    as_root service postfix stop >/dev/null 2>&1 || true
    as_root service dovecot stop >/dev/null 2>&1 || true
  fi
  local bin
  for bin in /usr/sbin/postfix /usr/lib/postfix/sbin/master /usr/sbin/dovecot /usr/lib/dovecot/imap /usr/lib/dovecot/lmtp; do
    [ -e "$bin" ] || { echo "Mail servers: $bin is missing after the install" >&2; return 1; }
  done
  if ! id postfix >/dev/null 2>&1 || ! id nobody >/dev/null 2>&1 || ! getent group postdrop >/dev/null; then
    echo "Mail servers: the postfix or nobody user, or the postdrop group, is missing" >&2
    return 1
  fi
  if [ "$(id -u)" != 0 ]; then
    echo "== Mail servers: warning: the mail tests start Postfix and so must run as root" >&2
  fi
  echo "== Mail servers: postfix $(/usr/sbin/postconf -d -h mail_version), $(/usr/sbin/dovecot --version | cut -d' ' -f1 | sed 's/^/dovecot /')"
}

# poppler's pdftotext, which the inbox runs in a child process to read PDF attachments.
ensure_extractors() {
  if ! command -v pdftotext >/dev/null; then
    echo "== Extractors: installing poppler-utils (pdftotext)"
    apt_install poppler-utils
  fi
  command -v pdftotext >/dev/null || { echo "Extractors: pdftotext is missing after the install" >&2; return 1; }
  echo "== Extractors: $(pdftotext -v 2>&1 | head -n 1)"
}

# Debian's Chromium and ChromeDriver for the web UI's browser tests (the tests start their
# own chromedriver on a free loopback port and a headless Chromium through it).
ensure_chromium() {
  if ! command -v chromium >/dev/null || ! command -v chromedriver >/dev/null; then
    echo "== Browser: installing chromium and chromium-driver"
    apt_install chromium chromium-driver
  fi
  command -v chromedriver >/dev/null || { echo "Browser: chromedriver is missing after the install" >&2; return 1; }
  echo "== Browser: $(chromium --version 2>/dev/null | head -n 1); $(chromedriver --version | head -n 1)"
}
