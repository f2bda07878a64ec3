// MovieRecs in Azure on the Functions Flex Consumption plan (FC1, Linux):
//   - a storage account: the app's data (tables), the training queue, the models/rating-log blobs,
//     the Functions host's own blobs (keys, locks) and the container Flex deploys the app package to;
//   - Log Analytics + workspace-based Application Insights;
//   - a Flex Consumption plan and a dotnet-isolated (.NET 10) Function App with a system-assigned identity.
// The app, the host and deployment all reach storage with that identity, so by default the account
// has shared-key (account key) access turned off.
// Deploy: az deployment group create -g <group> -f infra/main.bicep   (then publish: README "Deploy to Azure")

@description('Prefix for resource names (lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'movierecs'

@description('Region; must offer Flex Consumption (az functionapp list-flexconsumption-locations).')
param location string = resourceGroup().location

@description('Flex runtime version for dotnet-isolated, as ARM spells it (az functionapp list-flexconsumption-runtimes -l <region> --runtime dotnet-isolated).')
param dotnetVersion string = '10.0'

@description('Upper bound on instances. 40 is the lowest value every revision of the Flex docs accepts.')
@minValue(40)
@maxValue(1000)
param maximumInstanceCount int = 40

@description('Memory per instance (MB), shared by the host and the worker. 2048 is the documented default; training on ml-25m holds ~1.7 GB of ratings, so use 4096 for that.')
@allowed([ 512, 2048, 4096 ])
param instanceMemoryMB int = 2048

@description('Seed the demo catalog and ratings into empty storage on first start (MovieRecs:SeedDemoData).')
param seedDemoData bool = true

@description('How often instances poll the catalog version, in seconds (MovieRecs:CatalogRefreshSeconds); 0 leaves the app default.')
@minValue(0)
param catalogRefreshSeconds int = 0

@description('Allow account-key (shared key) access to storage. Off: the app, the host and deployment all use the identity. Turn on only to use a connection string with the movierecs CLI.')
param allowSharedKeyAccess bool = false

@description('Optional object id of an operator (user or group) to get data access to storage with an Entra identity (portal, az storage --auth-mode login, tools reading the identity settings). Empty: none.')
param operatorPrincipalId string = ''

@description('Kind of principal operatorPrincipalId names.')
@allowed([ 'User', 'Group', 'ServicePrincipal' ])
param operatorPrincipalType string = 'User'

var suffix = uniqueString(resourceGroup().id)
var storageName = toLower('${namePrefix}${take(suffix, 24 - length(namePrefix))}')
var appName = '${namePrefix}-func-${suffix}'
// Flex pulls the app package from this container; the app's own containers (models, ratinglog) are
// created by the app at run time.
var deploymentContainerName = 'app-package'

// Built-in role definition ids (https://learn.microsoft.com/azure/role-based-access-control/built-in-roles).
var roles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  blobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3'
}

// What the Function App's identity needs on the account:
//   Blob Data Owner       - host storage (keys, locks; the host creates its containers), reading the
//                           deployment package, and the app's models / rating-log blobs;
//   Queue Data Contributor - the training queue trigger, its poison queue, and the app enqueuing;
//   Table Data Contributor - all app data, plus the host's diagnostic events.
// Storage Account Contributor is only needed by the blob trigger (blob receipts); we have none.
var appRoles = [ roles.blobDataOwner, roles.queueDataContributor, roles.tableDataContributor ]
// An operator reads and writes data but needs no ownership of blobs.
var operatorRoles = [ roles.blobDataContributor, roles.queueDataContributor, roles.tableDataContributor ]

resource storage 'Microsoft.Storage/storageAccounts@2025-01-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    allowBlobPublicAccess: false
    allowSharedKeyAccess: allowSharedKeyAccess
    defaultToOAuthAuthentication: true // the portal uses Entra too, not keys
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2025-01-01' = {
  parent: storage
  name: 'default'
}

resource deploymentContainer 'Microsoft.Storage/storageAccounts/blobServices/containers@2025-01-01' = {
  parent: blobService
  name: deploymentContainerName
  properties: { publicAccess: 'None' }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2025-02-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

// Telemetry goes in with the connection string (its instrumentation key allows ingestion only, no
// reads). Entra-only ingestion would also need the worker's telemetry SDK configured with a credential.
resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

// Flex Consumption: one app per plan; scale settings live on the app (functionAppConfig).
resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: '${namePrefix}-flex-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { name: 'FC1', tier: 'FlexConsumption' }
  properties: { reserved: true } // Linux
}

// App settings. Not here, on purpose:
//   FUNCTIONS_WORKER_RUNTIME / FUNCTIONS_EXTENSION_VERSION - Flex rejects or ignores them; the runtime is
//     functionAppConfig.runtime and the platform sets the host version;
//   WEBSITE_CONTENT* / WEBSITE_RUN_FROM_PACKAGE - Flex has no content share; it runs from the deployment container;
//   AzureWebJobsStorage (a connection string) - identity-based instead, below;
//   MovieRecs__AdminKey - only read standalone; under the host admin operations use function keys.
var baseSettings = [
  // Identity-based host storage. From accountName the host (and the app) derive the blob, queue and
  // table endpoints as <name>.<service>.core.windows.net, i.e. public Azure only; a sovereign cloud or
  // custom DNS needs blobServiceUri/queueServiceUri/tableServiceUri instead, and no accountName (the host
  // prefers accountName when both are set).
  { name: 'AzureWebJobsStorage__accountName', value: storage.name }
  { name: 'AzureWebJobsStorage__credential', value: 'managedidentity' }
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
  { name: 'MovieRecs__SeedDemoData', value: seedDemoData ? 'true' : 'false' }
]
var refreshSettings = catalogRefreshSeconds > 0
  ? [ { name: 'MovieRecs__CatalogRefreshSeconds', value: string(catalogRefreshSeconds) } ]
  : []

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  kind: 'functionapp,linux'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainer.name}'
          authentication: { type: 'SystemAssignedIdentity' }
        }
      }
      runtime: { name: 'dotnet-isolated', version: dotnetVersion }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      // No ftpsState, alwaysOn or linuxFxVersion: not valid on Flex.
      minTlsVersion: '1.2'
      cors: { allowedOrigins: [ '*' ] } // the public read API is called from browsers, as before
      appSettings: concat(baseSettings, refreshSettings)
    }
  }
}

// Role assignments are named from deploy-time values (the app's resource id), so redeploys update in place.
resource appStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in appRoles: {
    name: guid(storage.id, app.id, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: app.identity.principalId
      principalType: 'ServicePrincipal' // skips the directory lookup a brand-new identity may not pass yet
    }
  }
]

resource operatorStorageRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for roleId in (empty(operatorPrincipalId) ? [] : operatorRoles): {
    name: guid(storage.id, operatorPrincipalId, roleId)
    scope: storage
    properties: {
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleId)
      principalId: operatorPrincipalId
      principalType: operatorPrincipalType
    }
  }
]

output functionAppName string = app.name
output functionAppHostName string = app.properties.defaultHostName
output functionAppUrl string = 'https://${app.properties.defaultHostName}/api'
output storageAccountName string = storage.name
output deploymentContainerName string = deploymentContainer.name
output applicationInsightsName string = insights.name
