"""What writes committed files from the code: the GitHub Actions workflows (`make workflows`) and the config
reference in docs/configuration.md (`make docs`). A test regenerates each and fails when the committed file differs.
"""
