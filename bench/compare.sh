#!/usr/bin/env bash
# Builds the same corpus (bench/src/corpus.rs) with `agora build` and with
# Hugo, in one run on this machine, and prints for each generator and size
# the median wall time, CPU time (user + system), peak memory and pages
# written, then the ratios. See bench/README.md.
#
#   bench/compare.sh                 # 1,000 and 10,000 posts, 5 runs each
#   PROFILE=dev SIZES=100 RUNS=1 bench/compare.sh   # what CI runs: that it
#                                                  # works (debug build: no numbers)
#
# Installs what it needs when missing: Hugo (Debian's `hugo`) and GNU time
# (Debian's `time`).
set -euo pipefail
cd "$(dirname "$0")/.."

sizes="${SIZES:-1000 10000}"
runs="${RUNS:-5}"
work="$(realpath -m "${WORK:-target/bench-sites}")"

apt_install() {
  local sudo=""
  if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
  $sudo apt-get update -qq
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@"
}
command -v hugo >/dev/null 2>&1 || apt_install hugo
[ -x /usr/bin/time ] || apt_install time

profile="${PROFILE:-release}"
cargo build --quiet --profile "$profile" --locked -p agora -p agora-bench
bin="$PWD/target/$([ "$profile" = dev ] && echo debug || echo "$profile")"
agora="$bin/agora"

# median of the numbers on standard input
median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# build_once NAME OUT -- COMMAND...: one timed build into OUT, a folder that
# does not exist yet; appends "wall cpu peak_kib" to $samples/NAME. Outputs
# are removed only once every build is timed: a build right after tens of
# thousands of files were removed is slowed down by the file system (ext4
# skips recently freed inodes when it allocates; measured here: a 10,000-post
# agora build went from 0.8 s to 3.5-6.9 s of system time).
build_once() {
  local name="$1" out="$2"
  shift 3
  rm -rf "$out"
  # Wall time from the shell's clock (microseconds; GNU time's has 10 ms
  # steps, a tenth of a 1,000-post agora build), CPU and memory from GNU time.
  local started="$EPOCHREALTIME"
  /usr/bin/time -f "%U %S %M" -o "$samples/one" "$@" >/dev/null
  local ended="$EPOCHREALTIME"
  awk -v wall="$(awk -v a="$started" -v b="$ended" 'BEGIN { printf "%.4f", b - a }')" \
    '{ print wall, $1 + $2, $3 }' "$samples/one" >>"$samples/$name"
  if [ "$(find "$out" -name '*.html' | head -1)" = "" ]; then
    echo "error: $name wrote no pages into $out" >&2
    exit 1
  fi
}

# summary NAME OUT: "NAME wall cpu peak_mib pages", medians of the samples.
summary() {
  local name="$1" out="$2" wall cpu mem pages
  wall="$(awk '{ print $1 }' "$samples/$name" | median)"
  cpu="$(awk '{ print $2 }' "$samples/$name" | median)"
  mem="$(awk '{ print $3 / 1024 }' "$samples/$name" | median)"
  pages="$(find "$out" -name '*.html' | wc -l)"
  printf '%s %.3f %.2f %.0f %s\n' "$name" "$wall" "$cpu" "$mem" "$pages"
}

samples="$(mktemp -d)"
remove_outputs() { rm -rf "$samples" "$work"/*/out-*; }
trap remove_outputs EXIT

echo "machine: $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo); $("$agora" --version); $(hugo version | cut -d' ' -f1-2)${ZOLA:+; $("$ZOLA" --version)}; $profile build; median of $runs runs"
printf '%-7s %6s %-6s %9s %9s %10s %7s\n' posts tool "" wall_s cpu_s peak_MiB pages
declare -A wall mem
for n in $sizes; do
  site="$work/$n"
  "$bin/corpus" --posts "$n" --out "$site" >/dev/null
  tools=(agora hugo)
  if [ -n "${ZOLA:-}" ]; then tools+=(zola); fi
  rm -f "$samples"/*
  # The generators take turns, so that a change in the machine's load
  # during the runs weighs on each alike.
  for run in $(seq "$runs"); do
    for tool in "${tools[@]}"; do
      out="$site/out-$tool-$run"
      case "$tool" in
        agora) build_once agora "$out" -- "$agora" build --root "$site/agora" --out "$out" ;;
        hugo) build_once hugo "$out" -- hugo --quiet --source "$site/hugo" --destination "$out" ;;
        zola) build_once zola "$out" -- "$ZOLA" --root "$site/zola" build --output-dir "$out" --force ;;
      esac
    done
  done
  results=()
  for tool in "${tools[@]}"; do
    results+=("$(summary "$tool" "$site/out-$tool-1")")
  done
  for line in "${results[@]}"; do
    read -r tool w c m p <<<"$line"
    printf '%-7s %6s %-6s %9s %9s %10s %7s\n' "$n" "$tool" "" "$w" "$c" "$m" "$p"
    wall["$tool/$n"]="$w"
    mem["$tool/$n"]="$m"
  done
done
for n in $sizes; do
  awk -v n="$n" -v aw="${wall[agora/$n]}" -v hw="${wall[hugo/$n]}" -v am="${mem[agora/$n]}" -v hm="${mem[hugo/$n]}" \
    'BEGIN { printf "%s posts: agora/hugo wall %.2f, peak memory %.2f\n", n, aw / hw, am / hm }'
done
set -- $sizes
if [ "$#" -ge 2 ]; then
  first="$1"
  last="${!#}"
  awk -v a="${wall[agora/$first]}" -v b="${wall[agora/$last]}" -v f="$first" -v l="$last" \
    'BEGIN { printf "agora %s posts / %s posts: wall %.1f times\n", l, f, b / a }'
fi
