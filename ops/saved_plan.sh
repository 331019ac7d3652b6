#!/usr/bin/env bash
# The reviewed plan is the applied plan (docs/ci-cd.md: Approve, then apply); `make plan` and `make apply` run this
# with the layer's stack of every selected project.
#
#   ops/saved_plan.sh plan  <plans folder> <stack folder>...   per stack: terraform plan -out; the plan as text to the
#                                                                job summary (or stdout), its own section; sealed
#   ops/saved_plan.sh apply <plans folder> <stack folder>...   per stack: unseal; terraform apply of exactly that file
#
# Each stack's sealed plan is `<plans folder>/<stack>.tfplan.enc`.
#
# Every stack, even after one fails: a project whose plan fails (for weeks, say) must not keep the other projects of
# the environment from being planned and applied, their client secrets' rotation included (docs/ci-cd.md: Several
# projects in an environment). A stack that fails is named on its own line as it fails (an `::error` annotation in
# Actions) and again at the end, and the script then exits with the status of the first that failed. A stack whose
# plan failed has no sealed file (nor a no-changes mark) and publishes `plan_sha256_<stack>=failed`: its apply refuses
# it, and goes on with the others.
#
# Why sealed: a saved plan holds the prior state and the planned values, and the azure stack's state holds the
# Entra client passwords (azuread 3.7.0 has no write-only form). Anyone who can read a repository can download
# its workflow artifacts, so the plan file in clear never leaves the stack folder and is deleted on exit; only
# the sealed file is uploaded: AES-256-GCM bound to repository, run, stack and commit (ops/plan_seal.py), so a
# plan of another run, stack or commit, or an altered file, does not open. `terraform show` redacts sensitive
# values: that text is what reviewers read.
#
# `apply` runs no plan of its own: Terraform applies the configuration and changes saved in the plan file, and
# refuses ("Saved plan is stale") when the state changed after the plan was made. In GitHub Actions it needs the
# sealed file's SHA-256 its plan job published, and refuses any other file: PLAN_SHA256_<STACK> (the stack id in
# capitals, `-` as `_`: PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE), or PLAN_SHA256 where it applies one stack. The
# value `none` says the plan had no changes: nothing is applied, and a sealed file for that stack is refused; the
# value `failed` says the plan failed: nothing is applied, and the stack counts as failed. A plan without changes also
# leaves `<stack>.no-changes` beside the sealed files: an apply given no SHA-256 (a person's, outside Actions) skips
# that stack.
#
# Prints, and appends to $GITHUB_OUTPUT when set: `plan_sha256_<stack>=<hex>|none|failed` for every stack planned
# (the outputs a job of several stacks publishes), `plan_sha256=<hex>` where it plans one stack and that one has
# changes, and at the end `changes=true|false`: true when any stack's plan was sealed (-detailed-exitcode 2), i.e.
# when there is something to apply (the plan job's output the apply job runs on).
set -euo pipefail

if [ $# -lt 3 ] || { [ "$1" != plan ] && [ "$1" != apply ]; }; then
  echo "usage: $0 plan|apply <plans folder> <stack folder>..." >&2
  exit 2
fi
action=$1 plans=$2
shift 2
: "${PLAN_PASSPHRASE:?is not set: the passphrase saved plans are sealed with (docs/ci-cd.md: One-time set-up, PLAN_ENCRYPTION_KEY)}"
count=$#
plan_name=saved.tfplan # in the stack folder: terraform -chdir reads it there
python=${MLPLATFORM_PYTHON:-$(dirname "$0")/../.venv/bin/python}
seal=("$python" "$(dirname "$0")/plan_seal.py")
umask 077

output() {
  echo "$1" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
}

# One stack's plan, in a subshell of its own (`exit` ends this stack only). 0: planned, sealed if it has changes.
plan_stack() {
  folder=$1 # no `local`: the subshell keeps every variable to itself, and the EXIT trap needs them after return
  stack=$(basename "$folder")
  sealed="$plans/$stack.tfplan.enc" unchanged="$plans/$stack.no-changes" # the mark of a plan without changes
  clear="$folder/$plan_name" summary="$folder/plan-summary.md"
  trap 'rm -f "$clear" "$summary"' EXIT
  rm -f "$sealed" "$unchanged" # before anything can fail: a stack whose plan failed has neither
  terraform -chdir="$folder" init -input=false -no-color
  status=0
  terraform -chdir="$folder" plan -input=false -no-color -detailed-exitcode -out="$plan_name" || status=$?
  case $status in
    0) changes=false ;;
    2) changes=true ;;
    *)
      echo "error: terraform plan failed for $stack (exit $status)" >&2
      exit "$status"
      ;;
  esac
  {
    echo "### $stack"
    if [ "$changes" = true ]; then
      echo "Changes: approving the apply job applies exactly this plan (sensitive values redacted)."
    else
      echo "No changes: nothing to apply."
    fi
    echo
    echo '```'
    terraform -chdir="$folder" show -no-color "$plan_name"
    echo '```'
  } >"$summary"
  # GitHub shows at most 1 MiB of a step's summary, the sections of every stack the step plans together, and drops
  # a larger one: reviewers would approve plans they cannot read. Such a plan is refused; it is not sealed, and it
  # counts as a failed plan (the stacks after it are still planned: a smaller plan may still fit).
  size=$(wc -c <"$summary")
  before=0
  [ -z "${GITHUB_STEP_SUMMARY:-}" ] || [ ! -f "$GITHUB_STEP_SUMMARY" ] || before=$(wc -c <"$GITHUB_STEP_SUMMARY")
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ $((before + size)) -gt "${PLAN_SUMMARY_LIMIT:-1000000}" ]; then
    with=""
    [ "$before" -eq 0 ] || with=" (after $before bytes of the plans before it in this step)"
    echo "error: the plan of $stack is $size bytes as text$with, more than a job summary shows (1 MiB): reviewers could not read what they approve; split the change, or plan and apply it from a laptop, one project at a time (PROJECT=; docs/deploying.md)" >&2
    exit 2
  fi
  cat "$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
  if [ "$changes" = true ]; then
    mkdir -p "$plans"
    digest=$("${seal[@]}" seal "$clear" "$sealed" --stack "$stack")
    [ "$count" -ne 1 ] || output "plan_$digest"
    output "plan_sha256_$stack=${digest#sha256=}"
  else
    mkdir -p "$plans"
    : >"$unchanged"
    output "plan_sha256_$stack=none"
  fi
}

# One stack's apply, in a subshell of its own as above. 0: applied, or its plan had no changes.
apply_stack() {
  folder=$1
  stack=$(basename "$folder")
  sealed="$plans/$stack.tfplan.enc" unchanged="$plans/$stack.no-changes" clear="$folder/$plan_name"
  trap 'rm -f "$clear"' EXIT
  # Before init: a stack whose plan had no changes needs nothing, and one without its SHA-256 is refused at once.
  sha_variable=PLAN_SHA256_$(printf %s "$stack" | tr 'a-z-' 'A-Z_')
  expected=${!sha_variable:-}
  [ -n "$expected" ] || [ "$count" -ne 1 ] || expected=${PLAN_SHA256:-}
  if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "$expected" ]; then
    echo "error: PLAN_SHA256 is not set for $stack ($sha_variable, or PLAN_SHA256 in a job of one stack): the apply job applies only the file whose SHA-256 its plan job published" >&2
    exit 2
  fi
  if [ "$expected" = failed ]; then
    echo "error: $stack is not applied: its plan failed in the plan job ($sha_variable=failed), so no plan of it was sealed or reviewed; fix it, then re-run the plan job" >&2
    exit 2
  fi
  if [ "$expected" = none ] || { [ -z "$expected" ] && [ -f "$unchanged" ] && [ ! -f "$sealed" ]; }; then
    if [ -f "$sealed" ]; then
      echo "error: refusing $sealed for $stack: its plan job published no changes for it ($sha_variable=none), so no sealed plan of it may be applied" >&2
      exit 2
    fi
    echo "$stack: its plan had no changes: nothing to apply"
    exit 0
  fi
  if [ ! -f "$sealed" ]; then
    echo "error: no saved plan $sealed for $stack (make plan first, with the same PLAN_PASSPHRASE; none is saved when the plan failed)" >&2
    exit 2
  fi
  terraform -chdir="$folder" init -input=false -no-color
  "${seal[@]}" open "$sealed" "$clear" --stack "$stack" ${expected:+--sha256 "$expected"}
  terraform -chdir="$folder" apply -input=false -no-color "$plan_name"
}

failed=() first=0 changes=false
for folder in "$@"; do
  stack=$(basename "$folder")
  status=0
  if [ ! -d "$folder" ]; then
    echo "error: no stack folder $folder (synthesize first)" >&2
    status=2
  else
    # errexit holds inside the subshell only when the subshell is not itself the left side of `||` or an `if`
    set +e
    (
      set -e
      "${action}_stack" "$folder"
    )
    status=$?
    set -e
  fi
  if [ "$status" -eq 0 ]; then
    [ "$action" != plan ] || [ ! -f "$plans/$stack.tfplan.enc" ] || changes=true
    continue
  fi
  failed+=("$stack")
  [ "$first" -ne 0 ] || first=$status
  [ "${GITHUB_ACTIONS:-}" != true ] || echo "::error title=$action failed::$stack: the $action failed (exit $status; its log above); every other stack goes on"
  if [ "$action" = plan ]; then
    rm -f "$plans/$stack.tfplan.enc" "$plans/$stack.no-changes" # nothing of a failed plan may be applied
    output "plan_sha256_$stack=failed"
    printf '### %s\nPlan failed (exit %s): nothing sealed, nothing of it will be applied; its error is in the job log.\n\n' \
      "$stack" "$status" >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
  fi
done
[ "$action" != plan ] || output "changes=$changes"
if [ ${#failed[@]} -gt 0 ]; then
  case $action/$count in
    plan/1) echo "error: the plan failed for ${failed[*]}: nothing of it sealed" >&2 ;;
    plan/*) echo "error: the plan failed for ${#failed[@]} of $count stacks: ${failed[*]} (every other stack was planned, and sealed where it has changes)" >&2 ;;
    apply/1) echo "error: the apply failed for ${failed[*]}" >&2 ;;
    apply/*) echo "error: the apply failed for ${#failed[@]} of $count stacks: ${failed[*]} (every other stack was applied, or had nothing to apply)" >&2 ;;
  esac
  exit "$first"
fi
