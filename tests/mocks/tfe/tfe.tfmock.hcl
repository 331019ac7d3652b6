# Computed attributes of the tfe 0.71.0 resources; proof/mock_apply.py gives every workspace and
# agent pool its own id, so a test can check which points at which.
mock_resource "tfe_project" {
  defaults = {
    id = "prj-Mock000000000001"
  }
}

mock_resource "tfe_workspace" {
  defaults = {
    id = "ws-Mock000000000001"
  }
}

mock_resource "tfe_workspace_settings" {
  defaults = {
    id = "ws-Mock000000000001"
  }
}

mock_resource "tfe_agent_pool" {
  defaults = {
    id = "apool-Mock000000000001"
  }
}

mock_resource "tfe_agent_pool_allowed_workspaces" {
  defaults = {
    id = "apool-Mock000000000001"
  }
}

mock_resource "tfe_variable_set" {
  defaults = {
    id = "varset-Mock000000000001"
  }
}

mock_resource "tfe_workspace_variable_set" {
  defaults = {
    id = "ws-Mock000000000001_varset-Mock000000000001"
  }
}

mock_resource "tfe_variable" {
  defaults = {
    id = "var-Mock000000000001"
  }
}
