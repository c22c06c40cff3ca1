#!/usr/bin/env bash
# User-space instructions per request of tapster's per-request path, counted by
# callgrind: repeatable to the instruction whatever else the machine is doing,
# so it can judge a change of a few percent that wall-clock timing cannot.
#
#   bench/instructions.sh [REQUESTS]      (default 2000; needs valgrind)
#
# It serves REQUESTS requests and zero requests over a real socket pair on one
# thread (bench/profile_path.py --plain, client included) and divides the
# difference, so start-up cost cancels out.
set -euo pipefail
cd "$(dirname "$0")/.."
requests=${1:-2000}
python=.venv/bin/python
count() {
    PYTHONPATH=.:src valgrind --tool=callgrind --callgrind-out-file=/dev/null \
        "$python" bench/profile_path.py --plain "$1" 2>&1 | awk '/Collected/ {print $4}'
}
empty=$(count 0)
full=$(count "$requests")
echo "instructions per request: $(( (full - empty) / requests ))"
