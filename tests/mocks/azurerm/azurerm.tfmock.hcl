# Computed attributes of the azurerm 4.55.0 resources the azure stacks create or read.
mock_data "azurerm_client_config" {
  defaults = {
    client_id       = "5b6f1c2e-0000-4000-8000-00000000d101"
    object_id       = "5b6f1c2e-0000-4000-8000-00000000d102"
    subscription_id = "11111111-1111-1111-1111-111111111111"
    tenant_id       = "00000000-0000-0000-0000-000000000000"
  }
}

mock_data "azurerm_resource_group" {
  defaults = {
    id       = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-existing"
    location = "westeurope"
  }
}

mock_resource "azurerm_resource_group" {
  defaults = {
    id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock"
  }
}

# proof/mock_apply.py overrides id and vault_uri per stack with the config-derived address (what Azure
# returns for that name), so the vault's postconditions hold as they do in a real apply.
mock_resource "azurerm_key_vault" {
  defaults = {
    id        = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock"
    vault_uri = "https://kv-mock.vault.azure.net/"
  }
}

mock_resource "azurerm_key_vault_secret" {
  defaults = {
    id                      = "https://kv-mock.vault.azure.net/secrets/ml-client-secret/0123456789abcdef0123456789abcdef"
    versionless_id          = "https://kv-mock.vault.azure.net/secrets/ml-client-secret"
    version                 = "0123456789abcdef0123456789abcdef"
    resource_id             = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock/secrets/ml-client-secret/versions/0123456789abcdef0123456789abcdef"
    resource_versionless_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock/secrets/ml-client-secret"
  }
}

mock_resource "azurerm_role_assignment" {
  defaults = {
    id   = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock/providers/Microsoft.Authorization/roleAssignments/6c1f2d3e-0000-4000-8000-0000000000a1"
    name = "6c1f2d3e-0000-4000-8000-0000000000a1"
  }
}

mock_resource "azurerm_private_endpoint" {
  defaults = {
    id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.Network/privateEndpoints/pe-kv-mock"
  }
}

mock_resource "azurerm_monitor_diagnostic_setting" {
  defaults = {
    id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.KeyVault/vaults/kv-mock|kv-mock-audit"
  }
}

mock_resource "azurerm_eventgrid_system_topic" {
  defaults = {
    id                     = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.EventGrid/systemTopics/kv-mock-events"
    metric_arm_resource_id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.EventGrid/systemTopics/kv-mock-events"
  }
}

mock_resource "azurerm_eventgrid_system_topic_event_subscription" {
  defaults = {
    id = "/subscriptions/11111111-1111-1111-1111-111111111111/resourceGroups/rg-mock/providers/Microsoft.EventGrid/systemTopics/kv-mock-events/eventSubscriptions/secret-expiry"
  }
}
