using Microsoft.Extensions.Configuration;
using Azure.Identity;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Tests;

/// <summary>AzureWebJobsStorage read as the Functions host reads it: a connection string, or identity-based settings under it.</summary>
public sealed class StorageConnectionTests
{
    static StorageConnection From(params (string Key, string Value)[] settings) =>
        StorageConnection.From(new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());

    [Fact]
    public void Nothing_set_means_development_storage()
    {
        var connection = From();
        Assert.Equal(StorageAccount.DevelopmentStorage, connection.ConnectionString);
        Assert.True(connection.IsDevelopmentStorage);
    }

    [Fact]
    public void A_connection_string_is_used_as_it_is()
    {
        var cs = StorageAccount.ForAzurite("127.0.0.1", 1, 2, 3);
        var connection = From(("AzureWebJobsStorage", cs));
        Assert.Equal(cs, connection.ConnectionString);
        Assert.Null(connection.Credential);
    }

    [Fact]
    public void An_account_name_with_managed_identity_names_the_three_service_endpoints()
    {
        var connection = From(("AzureWebJobsStorage:accountName", "movierecsabc"), ("AzureWebJobsStorage:credential", "managedidentity"));
        Assert.Null(connection.ConnectionString);
        Assert.Equal(new Uri("https://movierecsabc.table.core.windows.net"), connection.TableUri);
        Assert.Equal(new Uri("https://movierecsabc.blob.core.windows.net"), connection.BlobUri);
        Assert.Equal(new Uri("https://movierecsabc.queue.core.windows.net"), connection.QueueUri);
        Assert.IsType<ManagedIdentityCredential>(connection.Credential);
    }

    [Fact]
    public void Service_uris_win_over_the_account_name_and_without_a_credential_setting_the_default_chain_is_used()
    {
        var connection = From(("AzureWebJobsStorage:accountName", "ignored"), ("AzureWebJobsStorage:tableServiceUri", "https://tables.example/"),
            ("AzureWebJobsStorage:blobServiceUri", "https://blobs.example/"), ("AzureWebJobsStorage:queueServiceUri", "https://queues.example/"));
        Assert.Equal(new Uri("https://tables.example/"), connection.TableUri);
        Assert.Equal(new Uri("https://blobs.example/"), connection.BlobUri);
        Assert.Equal(new Uri("https://queues.example/"), connection.QueueUri);
        Assert.IsType<DefaultAzureCredential>(connection.Credential);
    }

    [Fact]
    public void A_service_uri_without_an_account_name_for_the_others_is_refused()
    {
        var error = Assert.Throws<InvalidOperationException>(() => From(("AzureWebJobsStorage:tableServiceUri", "https://tables.example/")));
        Assert.Contains("blobServiceUri", error.Message);
    }
}
