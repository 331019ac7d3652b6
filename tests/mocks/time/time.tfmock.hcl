# time 0.13.1: `timeadd` and `timecmp` parse these, so they are RFC 3339.
mock_resource "time_rotating" {
  defaults = {
    id      = "2026-01-01T00:00:00Z"
    rfc3339 = "2026-01-01T00:00:00Z"
  }
}

mock_resource "time_sleep" {
  defaults = {
    id = "2026-01-01T00:00:00Z"
  }
}
