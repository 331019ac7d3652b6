# Computed attributes of the azuread 3.7.0 resources and data sources. The app registration's client
# id is the same in the resource (azure stack) and the lookup by display name (databricks stack):
# both name one app.
mock_data "azuread_client_config" {
  defaults = {
    client_id = "5b6f1c2e-0000-4000-8000-00000000d101"
    object_id = "5b6f1c2e-0000-4000-8000-00000000d102"
    tenant_id = "00000000-0000-0000-0000-000000000000"
  }
}

mock_data "azuread_service_principal" {
  defaults = {
    id        = "/servicePrincipals/7d2e3f40-0000-4000-8000-0000000000b1"
    object_id = "7d2e3f40-0000-4000-8000-0000000000b1"
  }
}

# The lookup of whether the ML app exists yet (by its service principal's display name, ignore_missing):
# nothing found on a first apply, which is what every mock apply is.
mock_data "azuread_service_principals" {
  defaults = {
    object_ids    = []
    client_ids    = []
    display_names = []
  }
}

mock_data "azuread_application" {
  defaults = {
    id        = "/applications/8e3f4051-0000-4000-8000-0000000000c1"
    object_id = "8e3f4051-0000-4000-8000-0000000000c1"
    client_id = "9f405162-0000-4000-8000-0000000000c2"
  }
}

mock_resource "azuread_application" {
  defaults = {
    id        = "/applications/8e3f4051-0000-4000-8000-0000000000c1"
    object_id = "8e3f4051-0000-4000-8000-0000000000c1"
    client_id = "9f405162-0000-4000-8000-0000000000c2"
  }
}

mock_resource "azuread_service_principal" {
  defaults = {
    id                    = "/servicePrincipals/a0516273-0000-4000-8000-0000000000c3"
    object_id             = "a0516273-0000-4000-8000-0000000000c3"
    application_tenant_id = "00000000-0000-0000-0000-000000000000"
  }
}

# proof/mock_apply.py gives slot a and slot b distinct values, so a test can tell which one the vault got.
mock_resource "azuread_application_password" {
  defaults = {
    id     = "/applications/8e3f4051-0000-4000-8000-0000000000c1/password/b1627384-0000-4000-8000-0000000000d1"
    key_id = "b1627384-0000-4000-8000-0000000000d1"
    value  = "mock-password-not-a-credential"
  }
}
