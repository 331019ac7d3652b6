"""TfcAgentPool and TfcWorkspace.run_on: one allowed-workspaces list per pool, settings read through it."""

from __future__ import annotations

import pytest

from constructs_lib.tfc_agent_pool import TfcAgentPool, TfcAgentPoolProps
from constructs_lib.tfc_workspace import TfcWorkspace, TfcWorkspaceProps
from tests.helpers import only, ref, resources, strip_metadata


def _workspace(stack, name):
    return TfcWorkspace(
        stack, name, TfcWorkspaceProps(name=name, organization="org", project_id="prj-1", terraform_version="1.11.4")
    )


def test_a_workspace_runs_locally_until_put_on_a_pool(bare_stack, synth):
    _workspace(bare_stack, "ws-a")
    settings = only(synth(bare_stack), "tfe_workspace_settings")
    assert settings["execution_mode"] == "local"
    assert "agent_pool_id" not in settings


def test_created_pool_is_workspace_scoped_and_allows_exactly_its_workspaces(bare_stack, synth):
    pool = TfcAgentPool(bare_stack, "pool", TfcAgentPoolProps(name="azure-agents", organization="org", create=True))
    for name in ("ws-a", "ws-b"):
        _workspace(bare_stack, name).run_on(pool)
    stack = synth(bare_stack)
    assert strip_metadata(only(stack, "tfe_agent_pool")) == {
        "name": "azure-agents",
        "organization": "org",
        "organization_scoped": False,
    }
    allowed = only(stack, "tfe_agent_pool_allowed_workspaces")
    workspaces = {w["name"]: f"${{tfe_workspace.{k}.id}}" for k, w in resources(stack, "tfe_workspace").items()}
    assert allowed["agent_pool_id"] == ref(stack, "tfe_agent_pool", "id")
    assert allowed["allowed_workspace_ids"] == [workspaces["ws-a"], workspaces["ws-b"]]
    for settings in resources(stack, "tfe_workspace_settings").values():
        assert settings["execution_mode"] == "agent"
        assert settings["agent_pool_id"] == ref(stack, "tfe_agent_pool_allowed_workspaces", "agent_pool_id")


def test_existing_pool_is_looked_up_by_name_not_created(bare_stack, synth):
    pool = TfcAgentPool(bare_stack, "pool", TfcAgentPoolProps(name="shared", organization="org", create=False))
    _workspace(bare_stack, "ws-a").run_on(pool)
    stack = synth(bare_stack)
    assert resources(stack, "tfe_agent_pool") == {}
    lookup = strip_metadata(only(stack, "tfe_agent_pool", section="data"))
    assert {k: v for k, v in lookup.items() if k != "lifecycle"} == {"name": "shared", "organization": "org"}
    assert only(stack, "tfe_agent_pool_allowed_workspaces")["agent_pool_id"] == ref(
        stack, "tfe_agent_pool", "id", section="data"
    )


def test_a_pool_nobody_runs_on_allows_nothing(bare_stack, synth):
    TfcAgentPool(bare_stack, "pool", TfcAgentPoolProps(name="idle", organization="org", create=True))
    assert resources(synth(bare_stack), "tfe_agent_pool_allowed_workspaces") == {}


def test_a_workspace_runs_on_one_pool_only(bare_stack):
    first = TfcAgentPool(bare_stack, "first", TfcAgentPoolProps(name="first", organization="org", create=True))
    second = TfcAgentPool(bare_stack, "second", TfcAgentPoolProps(name="second", organization="org", create=True))
    workspace = _workspace(bare_stack, "ws-a")
    workspace.run_on(first)
    with pytest.raises(ValueError, match="already runs on agent pool first"):
        workspace.run_on(second)


def test_allowing_a_workspace_twice_is_a_mistake(bare_stack):
    pool = TfcAgentPool(bare_stack, "pool", TfcAgentPoolProps(name="p", organization="org", create=True))
    workspace = _workspace(bare_stack, "ws-a")
    pool.allow(workspace)
    with pytest.raises(ValueError, match="already allowed on agent pool p"):
        pool.allow(workspace)


# --- a pool looked up by name must be this environment's alone ---------------------------------------


def _looked_up_pool_stack(bare_stack):
    from cdktf_cdktf_provider_tfe.provider import TfeProvider

    TfeProvider(bare_stack, "tfe", organization="org")
    pool = TfcAgentPool(bare_stack, "pool", TfcAgentPoolProps(name="shared", organization="org", create=False))
    _workspace(bare_stack, "ws-a").run_on(pool)
    return bare_stack


def test_an_existing_pool_must_be_workspace_scoped_and_allowed_for_no_project(bare_stack, synth):
    lookup = only(synth(_looked_up_pool_stack(bare_stack)), "tfe_agent_pool", section="data")
    conditions = [(c["condition"], c["error_message"].split(":")[0]) for c in lookup["lifecycle"]["postcondition"]]
    assert conditions == [
        ("${!self.organization_scoped}", "The existing agent pool is organization-scoped"),
        ("${(length(self.allowed_project_ids) < 1)}", "The existing agent pool is allowed for one or more projects"),
    ]


@pytest.mark.parametrize(
    ("pool", "refused"),
    [
        ({"organization_scoped": False, "allowed_project_ids": []}, False),
        ({"organization_scoped": True, "allowed_project_ids": []}, True),
        ({"organization_scoped": False, "allowed_project_ids": ["prj-OtherTeam00001"]}, True),
    ],
    ids=["workspace-scoped", "organization-scoped", "allowed-for-a-project"],
)
def test_the_real_tfe_provider_plan_refuses_a_pool_others_may_run_on(
    bare_stack, synth, provider_cli_config, tmp_path, pool, refused
):
    """terraform test with the pinned tfe provider's schema (mocked data): the postconditions are Terraform's."""
    from proof import mock_apply

    stack = synth(_looked_up_pool_stack(bare_stack))
    (address,) = [f"data.tfe_agent_pool.{name}" for name in stack["data"]["tfe_agent_pool"]]
    test = {
        "mock_provider": {"tfe": {"source": "./mocks/tfe"}},
        "run": {
            "lookup": {
                "command": "plan",
                "module": {"source": "./pool"},
                "override_data": [{"target": address, "values": {"id": "apool-Shared000000001", **pool}}],
                **({"expect_failures": [address]} if refused else {}),
            }
        },
    }
    mock_apply.prepare(tmp_path / "pool-test", {"pool": stack}, test)
    result = mock_apply.run_test("pool", tmp_path / "pool-test", provider_cli_config)
    assert result.passed, "\n".join(map(str, result.diagnostics)) or result.output
