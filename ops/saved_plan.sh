#!/usr/bin/env bash
# The reviewed plan is the applied plan (docs/ci-cd.md: Approve, then apply); `make plan` and `make apply`.
#
#   ops/saved_plan.sh plan  <stack folder> <sealed file>   terraform plan -out; the plan as text to the job
#                                                            summary (or stdout); the plan file sealed
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
# refuses ("Saved plan is stale") when the state changed after the plan was made. In GitHub Actions it needs
# PLAN_SHA256, the sealed file's SHA-256 its plan job published, and refuses any other file.
# Prints `changes=true|false` (plan: -detailed-exitcode 2 or 0) and, with changes, `plan_sha256=<hex>`; both are
# appended to $GITHUB_OUTPUT when set.
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
python=${MLPLATFORM_PYTHON:-$(dirname "$0")/../.venv/bin/python}
seal=("$python" "$(dirname "$0")/plan_seal.py")

umask 077
trap 'rm -f "$clear" "$folder/plan-summary.md"' EXIT
terraform -chdir="$folder" init -input=false -no-color

if [ "$action" = plan ]; then
  rm -f "$sealed"
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
  # GitHub shows at most 1 MiB of a step's summary and drops a larger one: reviewers would approve a plan they
  # cannot read. Such a plan is refused; nothing is sealed, nothing can be applied.
  size=$(wc -c <"$summary")
  if [ -n "${GITHUB_STEP_SUMMARY:-}" ] && [ "$size" -gt "${PLAN_SUMMARY_LIMIT:-1000000}" ]; then
    echo "error: the plan of $stack is $size bytes as text, more than a job summary shows (1 MiB): reviewers could not read what they approve; split the change, or plan and apply it from a laptop (docs/deploying.md)" >&2
    rm -f "$summary"
    exit 2
  fi
  cat "$summary" >>"${GITHUB_STEP_SUMMARY:-/dev/stdout}"
  rm -f "$summary"
  if [ "$changes" = true ]; then
    mkdir -p "$(dirname "$sealed")"
    digest=$("${seal[@]}" seal "$clear" "$sealed" --stack "$stack")
    echo "plan_$digest" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
  fi
  echo "changes=$changes" | tee -a "${GITHUB_OUTPUT:-/dev/null}"
else
  if [ ! -f "$sealed" ]; then
    echo "error: no saved plan $sealed for $stack (make plan first, with the same PLAN_PASSPHRASE)" >&2
    exit 2
  fi
  if [ "${GITHUB_ACTIONS:-}" = true ] && [ -z "${PLAN_SHA256:-}" ]; then
    echo "error: PLAN_SHA256 is not set: the apply job applies only the file whose SHA-256 its plan job published" >&2
    exit 2
  fi
  "${seal[@]}" open "$sealed" "$clear" --stack "$stack" ${PLAN_SHA256:+--sha256 "$PLAN_SHA256"}
  terraform -chdir="$folder" apply -input=false -no-color "$plan_name"
fi
