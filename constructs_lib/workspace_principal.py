"""The ML service principal inside the Databricks workspace, and its role.

On an Azure workspace the principal is bound to its Entra app by `application_id` (the app's
client id). Its "role" is not `databricks_service_principal_role` (that resource attaches AWS
instance profiles and account roles); it is the sum of:

- entitlements, each chosen deliberately (config's default: workspace and SQL access, no cluster creation);
- membership of one workspace group (config's default `ml-automation`; `admins` only when asked);
- object permissions that the cluster, endpoint and secret scope constructs grant to `principal`;
- optionally, who may use or manage the principal itself (`roles/servicePrincipal.user` and
  `.manager`), set through the principal's access control rule set, which always keeps every
  deployer as a manager (named, not "whoever applies now": the rule set is authoritative, so a
  manager read from the caller would move with each deployer's apply);
- Unity Catalog privileges, granted by `constructs_lib.unity_catalog` (`model.grant_execute`).
"""

from __future__ import annotations

from dataclasses import dataclass

from cdktf_cdktf_provider_databricks.access_control_rule_set import (
    AccessControlRuleSet,
    AccessControlRuleSetGrantRules,
)
from cdktf_cdktf_provider_databricks.data_databricks_group import DataDatabricksGroup
from cdktf_cdktf_provider_databricks.group import Group
from cdktf_cdktf_provider_databricks.group_member import GroupMember
from cdktf_cdktf_provider_databricks.service_principal import ServicePrincipal
from constructs import Construct

from .principals import Principal

SP_USER_ROLE = "roles/servicePrincipal.user"
SP_MANAGER_ROLE = "roles/servicePrincipal.manager"


@dataclass(frozen=True)
class WorkspaceServicePrincipalProps:
    """Values come from config (`databricks.service_principal`), which states their defaults and rules."""

    application_id: str
    """The Entra app's client id (from the azure layer)."""
    display_name: str
    workspace_access: bool
    databricks_sql_access: bool
    allow_cluster_create: bool
    group_name: str
    create_group: bool
    """False: the group already exists (e.g. synced from Entra ID) and is looked up by name."""
    user_groups: tuple[str, ...]
    manager_groups: tuple[str, ...]
    account_id: str | None
    """The Databricks account id; config requires it when user_groups or manager_groups are set."""
    deployers: tuple[Principal, ...] = ()
    """Every identity that applies the stack: each stays a manager of the principal (the rule set)."""


class WorkspaceServicePrincipal(Construct):
    """Attributes: `application_id`, `principal` (for grants), `group_id`."""

    def __init__(self, scope: Construct, construct_id: str, props: WorkspaceServicePrincipalProps):
        super().__init__(scope, construct_id)
        self.service_principal = ServicePrincipal(
            self,
            "service_principal",
            application_id=props.application_id,
            display_name=props.display_name,
            workspace_access=props.workspace_access,
            databricks_sql_access=props.databricks_sql_access,
            allow_cluster_create=props.allow_cluster_create,
            allow_instance_pool_create=False,
        )
        if props.create_group:
            group_id = Group(self, "group", display_name=props.group_name).id
        else:
            group_id = DataDatabricksGroup(self, "group", display_name=props.group_name).id
        self.membership = GroupMember(self, "group_member", group_id=group_id, member_id=self.service_principal.id)

        self.rule_set = None
        if (props.user_groups or props.manager_groups) and not props.deployers:
            raise ValueError("a rule set needs the deployers, who must stay managers of the principal")
        if props.user_groups or props.manager_groups:
            # Authoritative for this principal: it replaces the whole rule set, so it names every
            # deployer as a manager too, or the next apply (by any of them) could no longer manage it.
            grant_rules = (
                [
                    AccessControlRuleSetGrantRules(
                        role=SP_USER_ROLE, principals=[f"groups/{g}" for g in props.user_groups]
                    )
                ]
                if props.user_groups
                else []
            )
            grant_rules.append(
                AccessControlRuleSetGrantRules(
                    role=SP_MANAGER_ROLE,
                    principals=[
                        *(d.acl_principal_id for d in props.deployers),
                        *(f"groups/{g}" for g in props.manager_groups),
                    ],
                )
            )
            self.rule_set = AccessControlRuleSet(
                self,
                "rule_set",
                name=f"accounts/{props.account_id}/servicePrincipals/{self.service_principal.application_id}"
                "/ruleSets/default",
                grant_rules=grant_rules,
            )

        self.application_id: str = self.service_principal.application_id
        self.group_id: str = group_id
        self.principal = Principal.service_principal(self.application_id, construct_id)
