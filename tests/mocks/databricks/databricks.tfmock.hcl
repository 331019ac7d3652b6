# Computed attributes of the databricks 1.99.0 resources and data sources the databricks stacks use,
# as the real provider yields them against the local workspace (tests/test_lifecycle.py): the node type
# and runtime the lookups choose there, a cluster RUNNING after its create wait, an ACL's
# `<scope>|||<principal>` id. (The serving stack's listings come from proof/mock_apply.py.)
mock_data "databricks_spark_version" {
  defaults = {
    id = "17.3.x-cpu-ml-scala2.13"
  }
}

mock_data "databricks_node_type" {
  defaults = {
    id = "Standard_F4s"
  }
}

mock_resource "databricks_service_principal" {
  defaults = {
    id               = "1234567890123456"
    acl_principal_id = "servicePrincipals/9f405162-0000-4000-8000-0000000000c2"
    home             = "/Users/9f405162-0000-4000-8000-0000000000c2"
    repos            = "/Repos/9f405162-0000-4000-8000-0000000000c2"
  }
}

mock_resource "databricks_group" {
  defaults = {
    id               = "2345678901234567"
    acl_principal_id = "groups/ml-automation"
  }
}

mock_resource "databricks_group_member" {
  defaults = {
    id = "2345678901234567|1234567890123456"
  }
}

mock_resource "databricks_cluster" {
  defaults = {
    id         = "1130-120000-mockabcd"
    cluster_id = "1130-120000-mockabcd"
    state      = "RUNNING"
  }
}

mock_resource "databricks_secret_scope" {
  defaults = {
    id           = "mock-scope"
    backend_type = "AZURE_KEYVAULT"
  }
}

mock_resource "databricks_secret_acl" {
  defaults = {
    id = "mock-scope|||9f405162-0000-4000-8000-0000000000c2"
  }
}

mock_resource "databricks_model_serving" {
  defaults = {
    id                  = "mock-endpoint"
    serving_endpoint_id = "0123456789abcdef0123456789abcdef"
  }
}

mock_resource "databricks_permissions" {
  defaults = {
    id          = "/clusters/1130-120000-mockabcd"
    object_type = "cluster"
  }
}

mock_resource "databricks_grant" {
  defaults = {
    id = "model/ml_dev.models.churn_classifier/9f405162-0000-4000-8000-0000000000c2"
  }
}

mock_resource "databricks_cluster_policy" {
  defaults = {
    id        = "D0123456789ABCDE"
    policy_id = "D0123456789ABCDE"
  }
}

mock_resource "databricks_job" {
  defaults = {
    id  = "123456789012345"
    url = "https://adb-1111111111111111.11.azuredatabricks.net/#job/123456789012345"
  }
}

mock_resource "databricks_registered_model" {
  defaults = {
    id        = "ml_dev.models.churn_classifier"
    full_name = "ml_dev.models.churn_classifier"
  }
}
