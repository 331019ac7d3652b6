"""Synthesize an App, running every construct validation ourselves instead of cdktf's synth-time pass.

Why: cdktf's `CloudBackend` (and a few other constructs) add a validation that runs `terraform
version`, so `app.synth()` fails on a machine without Terraform although synthesis never runs it.
`make synth` must work on a fresh machine, and Terraform belongs to the machine that deploys (the
cdktf CLI checks it there). So the App is built with `skip_validation=True` and `synth()` below runs
every construct's validations (ours included) and fails on any error except "no terraform
binary here", which it returns as a note for the caller to show.
"""

from __future__ import annotations

from cdktf import App

TERRAFORM_NOT_FOUND = "Could not determine version of terraform"


class ValidationFailed(Exception):
    """Construct validations failed; `errors` holds one '<construct path>: <message>' line each."""

    def __init__(self, errors: list[str]):
        super().__init__("Validation failed:\n" + "\n".join(errors))
        self.errors = errors


def new_app(outdir: str) -> App:
    return App(outdir=outdir, stack_traces=False, skip_validation=True)


def validate(app: App) -> list[str]:
    """Run every construct's validations; raise ValidationFailed, or return notes about Terraform."""
    errors, notes = [], set()
    for construct in app.node.find_all():
        for message in construct.node.validate():
            if message.startswith(TERRAFORM_NOT_FOUND):
                notes.add("terraform is not on PATH: synthesis does not need it, `cdktf deploy` does (>= 1.5)")
            else:
                errors.append(f"{construct.node.path}: {message}")
    if errors:
        raise ValidationFailed(errors)
    return sorted(notes)


def synth(app: App) -> list[str]:
    """Validate, then write the app's stacks; returns the notes of `validate`."""
    notes = validate(app)
    app.synth()
    return notes
