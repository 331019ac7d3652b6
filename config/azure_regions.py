"""Azure region names as `az account list-locations --query "[].name"` prints them.

Public cloud, US Government and China regions. A region Azure opens later is added here (one line);
until then the config error names this file's list, so a user is never silently sent to a typo.
"""

AZURE_REGIONS = frozenset(
    """
    australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral
    brazilsouth brazilsoutheast canadacentral canadaeast centralindia centralus chilecentral eastasia
    eastus eastus2 francecentral francesouth germanynorth germanywestcentral indonesiacentral
    israelcentral italynorth japaneast japanwest jioindiacentral jioindiawest koreacentral koreasouth
    malaysiawest mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest
    polandcentral qatarcentral southafricanorth southafricawest southcentralus southeastasia southindia
    spaincentral swedencentral swedensouth switzerlandnorth switzerlandwest uaecentral uaenorth uksouth
    ukwest westcentralus westeurope westindia westus westus2 westus3
    usgovarizona usgovtexas usgovvirginia usdodcentral usdodeast
    chinaeast chinaeast2 chinaeast3 chinanorth chinanorth2 chinanorth3
    """.split()
)
