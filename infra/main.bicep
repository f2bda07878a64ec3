// MovieRecs in Azure: a storage account (tables, queues, blobs), Application Insights, and a Linux
// Function App running the published app as a custom handler (FUNCTIONS_WORKER_RUNTIME=custom).
// Deploy: az deployment group create -g <group> -f infra/main.bicep -p namePrefix=movierecs
//         then publish (see README "Deploy to Azure").

@description('Prefix for resource names (lowercase letters and digits).')
@minLength(3)
@maxLength(11)
param namePrefix string = 'movierecs'

param location string = resourceGroup().location

@description('Admin key used by admin operations when the app runs standalone; in Azure the host function keys apply.')
@secure()
param adminKey string = newGuid()

var suffix = uniqueString(resourceGroup().id)
var storageName = toLower('${namePrefix}${take(suffix, 24 - length(namePrefix))}')

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: storageName
  location: location
  sku: { name: 'Standard_LRS' }
  kind: 'StorageV2'
  properties: {
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    supportsHttpsTrafficOnly: true
  }
}

resource logs 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: '${namePrefix}-logs-${suffix}'
  location: location
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: 30
  }
}

resource insights 'Microsoft.Insights/components@2020-02-02' = {
  name: '${namePrefix}-ai-${suffix}'
  location: location
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logs.id
  }
}

resource plan 'Microsoft.Web/serverfarms@2023-12-01' = {
  name: '${namePrefix}-plan-${suffix}'
  location: location
  kind: 'functionapp'
  sku: { name: 'Y1', tier: 'Dynamic' }
  properties: { reserved: true } // Linux
}

var storageConnection = 'DefaultEndpointsProtocol=https;AccountName=${storage.name};AccountKey=${storage.listKeys().keys[0].value};EndpointSuffix=${environment().suffixes.storage}'

resource app 'Microsoft.Web/sites@2023-12-01' = {
  name: '${namePrefix}-func-${suffix}'
  location: location
  kind: 'functionapp,linux'
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    siteConfig: {
      linuxFxVersion: '' // custom handler: the app is a self-contained linux-x64 executable
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      cors: { allowedOrigins: [ '*' ] }
      appSettings: [
        { name: 'FUNCTIONS_EXTENSION_VERSION', value: '~4' }
        { name: 'FUNCTIONS_WORKER_RUNTIME', value: 'custom' }
        { name: 'AzureWebJobsStorage', value: storageConnection }
        { name: 'WEBSITE_CONTENTAZUREFILECONNECTIONSTRING', value: storageConnection }
        { name: 'WEBSITE_CONTENTSHARE', value: toLower('${namePrefix}-func-${suffix}') }
        { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: insights.properties.ConnectionString }
        { name: 'MovieRecs__AdminKey', value: adminKey }
        { name: 'MovieRecs__SeedDemoData', value: 'true' }
      ]
    }
  }
}

output functionAppName string = app.name
output functionAppUrl string = 'https://${app.properties.defaultHostName}/api'
output storageAccountName string = storage.name
