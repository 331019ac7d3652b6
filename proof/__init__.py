"""What proves the product, used by `make test`, `make validate` and CI: the provider mirror, the Terraform checks
(`terraform validate`, `terraform test` with mock providers), the mock apply, the workflow linter and the benchmark.

None of it is needed to synthesize or deploy; docs/proof.md says what each part checks.
"""
