#!/usr/bin/env bash
# The reviewed plan is the applied plan (docs/ci-cd.md: Approve, then apply); `make plan` and `make apply` run this
# once per stack (every selected project's stack of the layer).
#
#   ops/saved_plan.sh plan  <stack folder> <sealed file>   terraform plan -out; the plan as text to the job
#                                                            summary (or stdout), its own section; the plan file sealed
#   ops/saved_plan.sh apply <stack folder> <sealed file>   unseal; terraform apply of exactly that plan file
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
# capitals, `-` as `_`: PLAN_SHA256_MLPLATFORM_DEV_CHURN_AZURE) where a job applies several stacks, PLAN_SHA256
# where it applies one. The value `none` says the plan had no changes: nothing is applied, and a sealed file for
# that stack is refused. A plan without changes also leaves `<stack>.no-changes` beside the sealed files: an apply
# given no SHA-256 (a person's, outside Actions) skips that stack.
#
# Prints, and appends to $GITHUB_OUTPUT when set: `plan_sha256_<stack>=<hex>|none` (every plan, the outputs a job
# of several stacks publishes), `plan_sha256=<hex>` (with changes) and `changes=true|false` (plan:
# -detailed-exitcode 2 or 0), which are the step's outputs where it plans one stack (a later stack overwrites them).
set -euo pipefail

if [ $# -ne 3 ] || { [ "$1" != plan ] && [ "$1" != apply ]; }; then
  echo "usage: $0 plan|apply <stack folder> <sealed plan file>" >&2
  exit 2
fi
action=$1 folder=$2 sealed=$3
: "${PLAN_PASSPHRASE:?is not set: the passphrase saved plans are sealed with (docs/ci-cd.md: One-time set-up, PLAN_ENCRYPTION_KEY)}"
if [ ! -d "$folder" ]; then
  echo "error: no stack folder $folder (synthesize first)" >&2
  exit 2
fi
stack=$(basename "$folder")
plan_name=saved.tfplan # in the stack folder: terraform -chdir reads it there
clear="$folder/$plan_name"
unchanged="$(dirname "$sealed")/$stack.no-changes" # marks a plan without changes (for an apply outside Actions)
python=${MLPLATFORM_PYTHON:-$(dirname "$0")/../.venv/bin/python}
seal=("$python" "$(dirname "$0")/plan_seal.py")

output() {
  echo "$1" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
}

umask 077
trap 'rm -f "$clear" "$folder/plan-summary.md"' EXIT

if [ "$action" = apply ]; then
  # Before init: a stack whose plan had no changes needs nothing, and a missing SHA-256 stops the job at once.
  sha_variable=PLAN_SHA256_$(printf %s "$stack" | tr 'a-z-' 'A-Z_')
  expected=${!sha_variable:-${PLAN_SHA256:-}}
  if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "$expected" ]; then
    echo "error: PLAN_SHA256 is not set for $stack ($sha_variable, or PLAN_SHA256 in a job of one stack): the apply job applies only the file whose SHA-256 its plan job published" >&2
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
    echo "error: no saved plan $sealed for $stack (make plan first, with the same PLAN_PASSPHRASE)" >&2
    exit 2
  fi
fi

terraform -chdir="$folder" init -input=false -no-color

if [ "$action" = plan ]; then
  rm -f "$sealed" "$unchanged"
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
  summary="$folder/plan-summary.md"
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
  # a larger one: reviewers would approve plans they cannot read. Such a plan is refused; it is not sealed, and the
  # step fails, so nothing of it can be applied.
  size=$(wc -c <"$summary")
  before=0
  [ -z "${GITHUB_STEP_SUMMARY:-}" ] || [ ! -f "$GITHUB_STEP_SUMMARY" ] || before=$(wc -c <"$GITHUB_STEP_SUMMARY")
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ $((before + size)) -gt "${PLAN_SUMMARY_LIMIT:-1000000}" ]; then
    with=""
    [ "$before" -eq 0 ] || with=" (after $before bytes of the plans before it in this step)"
    echo "error: the plan of $stack is $size bytes as text$with, more than a job summary shows (1 MiB): reviewers could not read what they approve; split the change, or plan and apply it from a laptop, one project at a time (PROJECT=; docs/deploying.md)" >&2
    rm -f "$summary"
    exit 2
  fi
  cat "$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
  rm -f "$summary"
  if [ "$changes" = true ]; then
    mkdir -p "$(dirname "$sealed")"
    digest=$("${seal[@]}" seal "$clear" "$sealed" --stack "$stack")
    output "plan_$digest"
    output "plan_sha256_$stack=${digest#sha256=}"
  else
    mkdir -p "$(dirname "$unchanged")"
    : >"$unchanged"
    output "plan_sha256_$stack=none"
  fi
  output "changes=$changes"
else
  "${seal[@]}" open "$sealed" "$clear" --stack "$stack" ${expected:+--sha256 "$expected"}
  terraform -chdir="$folder" apply -input=false -no-color "$plan_name"
fi
