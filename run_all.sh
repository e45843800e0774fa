#!/usr/bin/env bash
# Start pktlens as five separate processes (plus the embedded database server when DATABASE_URL is unset),
# then replay a capture file or sniff an interface into them. Ctrl-C stops everything.
#
#   ./run_all.sh                          asks: 1) PCAP replay  2) Live sniffing
#   ./run_all.sh pcap FILE [OPTION...]    replay FILE (options go to `pktlens capture`: --realtime, --speed X, --name N)
#   ./run_all.sh live IFACE [BPF]         sniff IFACE, optionally with a BPF filter
#   ./run_all.sh --help
#
# Exit status: 0 after --help; 130 / 143 / 129 after an orderly stop on SIGINT / SIGTERM / SIGHUP; 1 when a service
# fails to start or dies; 2 on a usage error.
set -euo pipefail

readonly ME=run_all.sh
ORIG_PWD=$PWD
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
readonly ROOT
NODE=${NODE:-node}
PKTLENS=("$NODE" "$ROOT/bin/pktlens.js")
READY_TIMEOUT=${PKTLENS_READY_TIMEOUT:-90}   # seconds each service gets to answer /readyz
STOP_TIMEOUT=${PKTLENS_STOP_TIMEOUT:-10}     # seconds each process gets between SIGTERM and SIGKILL
DEFAULT_PCAP=samples/sample.pcap

usage() {
  cat <<EOF
usage: ./run_all.sh                         ask: 1) PCAP replay  2) Live sniffing
       ./run_all.sh pcap FILE [OPTION...]   replay FILE into the stack (OPTIONs go to \`pktlens capture\`:
                                            --realtime, --speed X, --name NAME); the stack stays up afterwards
       ./run_all.sh live IFACE [BPF]        sniff IFACE (needs root or CAP_NET_RAW), with an optional BPF filter
       ./run_all.sh --help

Starts, in this order and each after the previous one answers /readyz:
  db (only without DATABASE_URL: the embedded database served on port ${PKTLENS_DB_PORT:-5433}),
  persistor, parser, analyzer, ui; then \`pktlens capture\`. Dashboard: http://127.0.0.1:${PKTLENS_UI_PORT:-5000}
Ctrl-C (or SIGTERM) stops capture, ui, analyzer, parser, persistor, db in that order.

Environment (all optional):
  DATABASE_URL            PostgreSQL server; without it the embedded database in PKTLENS_DATA is served to the others
  PKTLENS_DATA            embedded database folder (default ./pktlens-data)
  PKTLENS_LOG_DIR         logs (default ./logs): <service>.log written by each service, <service>.out its stdout/stderr
  PKTLENS_HOST            bind address (default 127.0.0.1)
  PKTLENS_UI_PORT PKTLENS_PARSER_PORT PKTLENS_PERSISTOR_PORT PKTLENS_ANALYZER_PORT PKTLENS_DB_PORT
                          ports (default 5000 5001 5002 5003 5433)
  PKTLENS_TOKEN           bearer token the parser and persistor require (passed to every process)
  PKTLENS_PASSWORD        login password of the ui and analyzer when PKTLENS_HOST is beyond loopback (generated
                          and printed when unset; the same for both, so the ui can forward /api)
  PKTLENS_READY_TIMEOUT   seconds to wait for each service to become ready (default 90)
  PKTLENS_STOP_TIMEOUT    seconds each process gets to stop before it is killed (default 10)

Exit status: 130/143 after Ctrl-C/SIGTERM, 1 when a service fails, 2 on a usage error.
EOF
}

say() { printf '%s: %s\n' "$ME" "$*"; }
warn() { printf '%s: %s\n' "$ME" "$*" >&2; }
die() { warn "$*"; exit 1; }
usage_error() { warn "$*"; warn "try ./run_all.sh --help"; exit 2; }

# Make a path given by the user absolute, relative to the directory the script was started from.
abspath() {
  case $1 in
    /*) printf '%s\n' "$1" ;;
    *) printf '%s\n' "$ORIG_PWD/$1" ;;
  esac
}

# A capture file as the user named it: relative to their directory, else to the project root (samples/…).
resolve_pcap() {
  local f=$1
  if [[ $f == /* ]]; then printf '%s\n' "$f"
  elif [[ -e $ORIG_PWD/$f ]]; then printf '%s\n' "$ORIG_PWD/$f"
  else printf '%s\n' "$ROOT/$f"
  fi
}

check_pcap() {
  [[ -f $1 && -r $1 ]]
}

# ---------------------------------------------------------------------------------------------------------------
# Arguments (checked before anything starts)
MODE=""
PCAP=""
IFACE=""
BPF=""
CAPTURE_OPTS=()
case ${1-} in
  -h | --help | help)
    usage
    exit 0
    ;;
  "") ;;
  pcap | replay)
    [[ $# -ge 2 && -n $2 ]] || usage_error "pcap needs a FILE"
    MODE=pcap
    PCAP=$(resolve_pcap "$2")
    check_pcap "$PCAP" || usage_error "no readable capture file $2"
    CAPTURE_OPTS=("${@:3}")
    ;;
  live | sniff)
    [[ $# -ge 2 && -n $2 ]] || usage_error "live needs an IFACE"
    [[ $# -le 3 ]] || usage_error "live takes IFACE and one BPF filter (quote it: './run_all.sh live eth0 \"tcp port 443\"')"
    MODE=live
    IFACE=$2
    BPF=${3-}
    ;;
  *) usage_error "unknown mode \"$1\" (pcap or live)" ;;
esac

cd "$ROOT"

# ---------------------------------------------------------------------------------------------------------------
# Build when needed (npm ci runs `prepare`, which builds everything)
if [[ ! -f dist/src/cli/main.js || ! -f dist/src/services/config.js ]]; then
  if [[ ! -d node_modules ]]; then
    say "installing and building (npm ci)…"
    npm ci --no-audit --no-fund
  else
    say "building (npm run prepare)…"
    npm run prepare
  fi
  [[ -f dist/src/cli/main.js ]] || die "the build did not produce dist/src/cli/main.js"
  if [[ ! -f web/dist/index.html && -f web/package.json ]]; then
    say "building the dashboard (npm run build --workspace web)…"
    npm run build --workspace web || warn "the dashboard build failed; the API still works"
  fi
fi
if [[ ! -f web/dist/index.html ]]; then
  warn "note: web/dist is missing, so the dashboard page will not load (the API will); build it with: npm run build --workspace web"
fi

# ---------------------------------------------------------------------------------------------------------------
# Ports, addresses and folders, from src/services/config.ts (the one source of truth), honouring the overrides
PORTS=$("$NODE" --input-type=module -e '
  const c = await import(process.argv[1]);
  console.log(["ui", "parser", "persistor", "analyzer", "db"].map((s) => c.portOf(s)).join(" "));
' "$ROOT/dist/src/services/config.js") || die "cannot read the service ports (see above)"
read -r UI_PORT PARSER_PORT PERSISTOR_PORT ANALYZER_PORT DB_PORT <<<"$PORTS"
[[ $DB_PORT =~ ^[0-9]+$ ]] || die "cannot read the service ports: $PORTS"
export PKTLENS_UI_PORT=$UI_PORT PKTLENS_PARSER_PORT=$PARSER_PORT PKTLENS_PERSISTOR_PORT=$PERSISTOR_PORT
export PKTLENS_ANALYZER_PORT=$ANALYZER_PORT PKTLENS_DB_PORT=$DB_PORT

# Where this script (and the services, for each other) reach the services: the bind address, or loopback when
# they bind every address.
BIND=${PKTLENS_HOST:-127.0.0.1}
case $BIND in
  0.0.0.0 | :: | "[::]") HOST=127.0.0.1 ;;
  *) HOST=$BIND ;;
esac
RAW_HOST=${HOST#[}
RAW_HOST=${RAW_HOST%]}
if [[ $RAW_HOST == *:* ]]; then URL_HOST="[$RAW_HOST]"; else URL_HOST=$RAW_HOST; fi
export PKTLENS_PERSISTOR_URL=${PKTLENS_PERSISTOR_URL:-http://$URL_HOST:$PERSISTOR_PORT}
export PKTLENS_PARSER_URL=${PKTLENS_PARSER_URL:-http://$URL_HOST:$PARSER_PORT}
export PKTLENS_ANALYZER_URL=${PKTLENS_ANALYZER_URL:-http://$URL_HOST:$ANALYZER_PORT}
UI_URL="http://$URL_HOST:$UI_PORT"

# Beyond loopback the ui and the analyzer require a login: one password for both processes (the ui forwards /api
# to the analyzer with it), generated here when none is given.
LOGIN_NOTE=
RAW_BIND=${BIND#[}
case ${RAW_BIND%]} in
  127.* | localhost | ::1) ;;
  *)
    if [[ ${PKTLENS_LOGIN:-} != off ]]; then
      if [[ -z ${PKTLENS_PASSWORD:-} ]]; then
        PKTLENS_PASSWORD=$(node -e 'process.stdout.write(require("node:crypto").randomBytes(18).toString("base64url"))') || die "cannot generate a password"
        LOGIN_NOTE="login required; generated password: $PKTLENS_PASSWORD (set PKTLENS_PASSWORD to choose one)"
      else
        LOGIN_NOTE="login required (PKTLENS_PASSWORD)"
      fi
      export PKTLENS_PASSWORD
    fi
    ;;
esac

LOG_DIR=$(abspath "${PKTLENS_LOG_DIR:-$ROOT/logs}")
export PKTLENS_LOG_DIR=$LOG_DIR
mkdir -p "$LOG_DIR"

EMBEDDED_DB=0
if [[ -z ${DATABASE_URL-} ]]; then
  EMBEDDED_DB=1
  DATA_DIR=$(abspath "${PKTLENS_DATA:-$ROOT/pktlens-data}")
  export PKTLENS_DATA=$DATA_DIR
fi

# ---------------------------------------------------------------------------------------------------------------
# Children: one process group each (job control on while it starts), so a stop reaches whatever they spawned
# (tcpdump under capture) and a Ctrl-C on the terminal reaches only this script, which stops them in order.
declare -A PID=()
STOP_ORDER=(capture ui analyzer parser persistor db)
SLEEPER=""
STOPPING=0

# start NAME ARGS...: run `pktlens ARGS...` in the background, stdout/stderr to LOG_DIR/NAME.out
start() {
  local name=$1
  shift
  : >"$LOG_DIR/$name.out"
  set -m
  "${PKTLENS[@]}" "$@" </dev/null >>"$LOG_DIR/$name.out" 2>&1 &
  PID[$name]=$!
  set +m
  say "started $name (pid ${PID[$name]}): pktlens $*"
}

alive() { kill -0 "$1" 2>/dev/null; }

# RC := the exit status of a child that has ended (not in a subshell: only this shell can wait for its children).
RC=0
reap() {
  RC=0
  wait "$1" 2>/dev/null || RC=$?
}

describe_status() {
  local rc=$1
  if ((rc > 128)); then
    printf 'killed by signal %s (%s)' "$((rc - 128))" "$(kill -l "$((rc - 128))" 2>/dev/null || echo '?')"
  else
    printf 'exit status %s' "$rc"
  fi
}

show_logs() {
  local name=$1 f
  for f in "$LOG_DIR/$name.log" "$LOG_DIR/$name.out"; do
    if [[ -s $f ]]; then
      warn "---- last lines of $f ----"
      tail -n 25 "$f" | sed 's/^/    /' >&2 || true
    fi
  done
}

# A child ended without being asked to: say which and why, then stop the rest (EXIT trap) and fail.
child_died() {
  local name=$1 rc=$2
  warn "$name (pid ${PID[$name]}) stopped unexpectedly: $(describe_status "$rc")"
  show_logs "$name"
  warn "stopping the other processes"
  exit 1
}

# Stop one child and everything in its process group: SIGTERM, then SIGKILL after STOP_TIMEOUT.
stop_one() {
  local name=$1 pid=${PID[$1]} i
  if alive "$pid"; then
    say "stopping $name (pid $pid)"
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < STOP_TIMEOUT * 10; i++)); do
      alive "$pid" || break
      sleep 0.1
    done
    if alive "$pid"; then
      warn "$name (pid $pid) did not stop within ${STOP_TIMEOUT}s: killing it"
      kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  wait "$pid" 2>/dev/null || true
  # whatever the child left behind in its group
  if kill -0 -- "-$pid" 2>/dev/null; then
    kill -TERM -- "-$pid" 2>/dev/null || true
    sleep 0.5
    kill -KILL -- "-$pid" 2>/dev/null || true
  fi
  unset "PID[$name]"
}

stop_all() {
  ((STOPPING)) && return 0
  STOPPING=1
  if [[ -n $SLEEPER ]]; then
    kill "$SLEEPER" 2>/dev/null || true
    wait "$SLEEPER" 2>/dev/null || true
  fi
  local name
  for name in "${STOP_ORDER[@]}"; do
    if [[ -n ${PID[$name]-} ]]; then stop_one "$name"; fi
  done
}

on_signal() {
  trap '' INT TERM HUP
  echo >&2
  say "$1: stopping pktlens"
  stop_all
  say "stopped"
  case $1 in
    INT) exit 130 ;;
    HUP) exit 129 ;;
    *) exit 143 ;;
  esac
}

on_exit() {
  local rc=$?
  trap '' INT TERM HUP
  if ((!STOPPING)) && ((${#PID[@]} > 0)); then stop_all; fi
  exit "$rc"
}

trap 'on_signal INT' INT
trap 'on_signal TERM' TERM
trap 'on_signal HUP' HUP
trap on_exit EXIT

# Sleep that a signal interrupts at once (the trap runs when `wait` returns).
nap() {
  sleep "$1" &
  SLEEPER=$!
  wait "$SLEEPER" 2>/dev/null || true
  SLEEPER=""
}

# Is something already listening on PORT?
port_busy() {
  (exec 3<>"/dev/tcp/$RAW_HOST/$1") 2>/dev/null
}

# HTTP status of GET PATH on PORT (000 when nothing answers).
http_status() {
  local port=$1 path=$2
  (
    exec 3<>"/dev/tcp/$RAW_HOST/$port" || exit 1
    printf 'GET %s HTTP/1.0\r\nHost: %s:%s\r\nConnection: close\r\n\r\n' "$path" "$URL_HOST" "$port" >&3
    IFS=' ' read -r -t 5 _ code _ <&3 || exit 1
    printf '%s\n' "$code"
  ) 2>/dev/null || printf '000\n'
}

# Does the database answer a query?
db_ready() {
  "$NODE" --input-type=module -e '
    import pg from "pg";
    const c = new pg.Client({ connectionString: process.argv[1], connectionTimeoutMillis: 3000 });
    c.on("error", () => {});
    try { await c.connect(); await c.query("SELECT 1"); await c.end(); process.exit(0); } catch { process.exit(1); }
  ' "$1" >/dev/null 2>&1
}

# wait_ready NAME PORT: until /readyz answers 200 (for db: a query succeeds), the child dies, or the timeout.
wait_ready() {
  local name=$1 port=$2 pid=${PID[$1]} deadline=$((SECONDS + READY_TIMEOUT)) code=000
  while :; do
    if ! alive "$pid"; then reap "$pid" && child_died "$name" "$RC"; fi
    if [[ $name == db ]]; then
      db_ready "$DB_URL" && break
    else
      code=$(http_status "$port" /readyz)
      [[ $code == 200 ]] && break
    fi
    if ((SECONDS >= deadline)); then
      if [[ $name == db ]]; then
        warn "db (the embedded database server) did not accept connections on $RAW_HOST:$port within ${READY_TIMEOUT}s"
      else
        warn "$name did not become ready within ${READY_TIMEOUT}s: http://$URL_HOST:$port/readyz answered $code"
      fi
      warn "see its log: $LOG_DIR/$name.log (and $LOG_DIR/$name.out)"
      show_logs "$name"
      exit 1
    fi
    nap 0.25
  done
  say "$name is ready on $RAW_HOST:$port"
}

# Fail early and clearly when another program (another pktlens?) already has one of the ports.
declare -A PORT_OF=([persistor]=$PERSISTOR_PORT [parser]=$PARSER_PORT [analyzer]=$ANALYZER_PORT [ui]=$UI_PORT)
SERVICES=(persistor parser analyzer ui)
if ((EMBEDDED_DB)); then
  PORT_OF[db]=$DB_PORT
  SERVICES=(db "${SERVICES[@]}")
fi
declare -A PORT_ENV=([db]=PKTLENS_DB_PORT [persistor]=PKTLENS_PERSISTOR_PORT [parser]=PKTLENS_PARSER_PORT
  [analyzer]=PKTLENS_ANALYZER_PORT [ui]=PKTLENS_UI_PORT)
for name in "${SERVICES[@]}"; do
  if port_busy "${PORT_OF[$name]}"; then
    die "port ${PORT_OF[$name]} ($name) on $RAW_HOST is already in use (another pktlens running?); stop it or choose another port with ${PORT_ENV[$name]}=…"
  fi
done

# ---------------------------------------------------------------------------------------------------------------
# The stack, in dependency order
say "logs in $LOG_DIR"
if ((EMBEDDED_DB)); then
  mkdir -p "$DATA_DIR"
  # the server itself must not get DATABASE_URL (it would connect to itself); the others get it afterwards
  DB_URL="postgresql://postgres@$URL_HOST:$DB_PORT/postgres"
  start db serve --target db --data "$DATA_DIR"
  wait_ready db "$DB_PORT"
  export DATABASE_URL=$DB_URL
  # one connection per process: the embedded server runs every connection on a single backend (src/store/db.ts)
  export PKTLENS_DB_POOL=${PKTLENS_DB_POOL:-1}
  say "embedded database (data in $DATA_DIR) is served at $DATABASE_URL"
fi
for name in persistor parser analyzer ui; do
  start "$name" serve --target "$name"
  wait_ready "$name" "${PORT_OF[$name]}"
done
say "all services are up; dashboard: $UI_URL"
[[ -n $LOGIN_NOTE ]] && say "$LOGIN_NOTE"

# ---------------------------------------------------------------------------------------------------------------
# What to capture: from the arguments, else ask
list_interfaces() {
  local out name
  if out=$("${PKTLENS[@]}" capture --list-interfaces 2>/dev/null) && [[ -n $out ]]; then
    printf '%s\n' "$out"
  elif [[ -d /sys/class/net ]]; then
    for name in /sys/class/net/*; do printf '%s\n' "${name##*/}"; done
  fi
}

# The first interface that is up and not loopback (running first, then any that is administratively up).
default_interface() {
  local names=() line name flags pass
  while IFS= read -r line; do
    name=${line%%[[:space:]]*}
    name=${name%:}
    [[ -n $name ]] && names+=("$name")
  done < <(list_interfaces)
  if [[ -d /sys/class/net ]]; then
    for pass in running up; do
      for name in "${names[@]}"; do
        [[ -r /sys/class/net/$name/flags ]] || continue
        flags=$(<"/sys/class/net/$name/flags")
        ((flags & 0x8)) && continue  # IFF_LOOPBACK
        ((flags & 0x1)) || continue  # IFF_UP
        if [[ $pass == running ]]; then
          [[ $(<"/sys/class/net/$name/operstate") == up ]] || continue
        fi
        printf '%s\n' "$name"
        return 0
      done
    done
  fi
  for name in "${names[@]}"; do
    case $name in lo | lo0 | any | nflog | nfqueue | dbus-* | bluetooth-monitor) continue ;; esac
    printf '%s\n' "$name"
    return 0
  done
  return 1
}

# ask PROMPT DEFAULT: ANSWER := the line typed, or DEFAULT for an empty line
ANSWER=""
ask() {
  if ! read -r -p "$1 [$2]: " ANSWER; then
    echo >&2
    usage_error "no answer on standard input; non-interactive use: ./run_all.sh pcap FILE | ./run_all.sh live IFACE [BPF]"
  fi
  ANSWER=${ANSWER:-$2}
}

if [[ -z $MODE ]]; then
  echo
  echo "What should pktlens capture?"
  echo "  1) PCAP replay  2) Live sniffing"
  while [[ -z $MODE ]]; do
    ask "Choice" 1
    case $ANSWER in
      1 | pcap) MODE=pcap ;;
      2 | live) MODE=live ;;
      *) echo "please answer 1 or 2" ;;
    esac
  done
  if [[ $MODE == pcap ]]; then
    while :; do
      ask "Capture file (pcap, pcapng, .gz)" "$DEFAULT_PCAP"
      PCAP=$(resolve_pcap "$ANSWER")
      check_pcap "$PCAP" && break
      echo "no readable file $PCAP"
    done
  else
    echo "Interfaces:"
    list_interfaces | sed 's/^/  /'
    ask "Interface" "$(default_interface || echo eth0)"
    IFACE=$ANSWER
    ask "BPF filter (optional, e.g. tcp port 443)" ""
    BPF=$ANSWER
  fi
fi

# ---------------------------------------------------------------------------------------------------------------
# Capture
if [[ $MODE == pcap ]]; then
  start capture capture -r "$PCAP" "${CAPTURE_OPTS[@]}"
  say "replaying $PCAP (progress in $LOG_DIR/capture.out)"
else
  if [[ -n $BPF ]]; then
    start capture capture -i "$IFACE" -f "$BPF"
  else
    start capture capture -i "$IFACE"
  fi
  say "sniffing $IFACE${BPF:+ with filter \"$BPF\"}"
  if [[ ($IFACE == lo || $IFACE == any) && -z $BPF ]]; then
    warn "note: $IFACE also carries pktlens' own traffic between its services, which would then be captured too;"
    warn "      exclude it with a filter, e.g. ./run_all.sh live $IFACE 'not (tcp port $PARSER_PORT or tcp port $PERSISTOR_PORT or tcp port $ANALYZER_PORT or tcp port $UI_PORT)'"
  fi
fi
say "dashboard: $UI_URL   (Ctrl-C stops everything)"

# ---------------------------------------------------------------------------------------------------------------
# Watch the children until a signal or a failure
while :; do
  if [[ -n ${PID[capture]-} ]] && ! alive "${PID[capture]}"; then
    reap "${PID[capture]}"
    if [[ $MODE == pcap && $RC == 0 ]]; then
      stop_one capture   # nothing left to stop; forgets it and clears its process group
      say "replay of $PCAP finished: every packet is stored"
      say "the stack stays up for browsing at $UI_URL; press Ctrl-C to stop it"
    else
      if [[ $MODE == live && $(id -u) != 0 ]]; then
        warn "live capture needs root, or capabilities on tcpdump: sudo setcap cap_net_raw,cap_net_admin=eip \"\$(command -v tcpdump)\""
      fi
      child_died capture "$RC"
    fi
  fi
  for name in "${SERVICES[@]}"; do
    if ! alive "${PID[$name]}"; then reap "${PID[$name]}" && child_died "$name" "$RC"; fi
  done
  nap 1
done
