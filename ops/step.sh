#!/usr/bin/env bash
# ops/step.sh "what" command...: say what a long step does while it does it (a line every 20 s),
# then how long it took, so a first install never looks hung.
set -uo pipefail
what=$1
shift
echo "==> $what"
start=$SECONDS
(while sleep 20; do echo "    ... still $what ($((SECONDS - start)) s so far)"; done) &
beat=$!
trap 'kill "$beat" 2>/dev/null' EXIT
"$@"
status=$?
kill "$beat" 2>/dev/null
if [ "$status" -eq 0 ]; then echo "    done in $((SECONDS - start)) s"; else echo "    FAILED after $((SECONDS - start)) s" >&2; fi
exit "$status"
