using System.Xml.Linq;
using Azure.Data.Tables;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.DataProtection;
using Microsoft.AspNetCore.DataProtection.KeyManagement;
using Microsoft.AspNetCore.DataProtection.Repositories;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Accounts;

public static class AccountsServices
{
    public static void AddAccounts(this IHostApplicationBuilder builder)
    {
        var services = builder.Services;
        services.Configure<AccessSettings>(builder.Configuration.GetSection("MovieRecs"));
        services.AddSingleton(sp => sp.GetRequiredService<IOptions<AccessSettings>>().Value);
        services.AddSingleton(sp => new AccountStore(sp.GetRequiredService<MovieStore>(), sp.GetRequiredService<UserStore>(), sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<IPasswordHasher<Account>, PasswordHasher<Account>>();
        services.Configure<SignInSettings>(builder.Configuration.GetSection("MovieRecs:Accounts"));
        var signIn = builder.Configuration.GetSection("MovieRecs:Accounts").Get<SignInSettings>() ?? new SignInSettings();
        services.AddAuthentication().AddBearerToken(BearerTokenDefaults.AuthenticationScheme, o =>
        {
            o.BearerTokenExpiration = TimeSpan.FromMinutes(signIn.AccessTokenMinutes);
            o.RefreshTokenExpiration = TimeSpan.FromDays(signIn.RefreshTokenDays);
        });
        // Tokens are data-protected: every instance must share the key ring, so it lives in storage.
        services.AddDataProtection().SetApplicationName("MovieRecs");
        services.AddSingleton<IConfigureOptions<KeyManagementOptions>>(sp => new ConfigureOptions<KeyManagementOptions>(o =>
            o.XmlRepository = new TableXmlRepository(sp.GetRequiredService<MovieStore>())));
        services.AddHostedService<AdminBootstrap>();
    }
}

/// <summary>Token lifetimes and the sign-in lockout (configuration section "MovieRecs:Accounts").</summary>
public sealed class SignInSettings
{
    public double AccessTokenMinutes { get; set; } = 60;
    public double RefreshTokenDays { get; set; } = 14;

    /// <summary>Wrong passwords in a row that lock an account's sign-in (ASP.NET Core Identity's default, 5); 0: never.</summary>
    public int LockoutFailures { get; set; } = 5;

    /// <summary>How long a lockout lasts (Identity's default, 5 minutes).</summary>
    public double LockoutMinutes { get; set; } = 5;
}

/// <summary>
/// The data-protection key ring in the <c>meta</c> table (partition "dataprotection"), shared by every instance, so a
/// token issued by one is accepted by all. Keys are stored as written by ASP.NET Core (not encrypted at rest here: the
/// storage account's access control is what guards them).
/// </summary>
public sealed class TableXmlRepository(MovieStore store) : IXmlRepository
{
    const string Partition = "dataprotection";

    public IReadOnlyCollection<XElement> GetAllElements()
    {
        store.Meta.CreateIfNotExists();
        return store.Meta.Query<TableEntity>(TableClient.CreateQueryFilter($"PartitionKey eq {Partition}"))
            .Select(e => XElement.Parse(e.GetString("Xml")!)).ToList();
    }

    public void StoreElement(XElement element, string friendlyName)
    {
        store.Meta.CreateIfNotExists();
        store.Meta.UpsertEntity(new TableEntity(Partition, friendlyName) { ["Xml"] = element.ToString(SaveOptions.DisableFormatting) });
    }
}

/// <summary>Creates the admin account from settings (MovieRecs:Admin:Username / :Password / :Email) when it does not exist yet.</summary>
public sealed class AdminBootstrap(IConfiguration configuration, AccountStore accounts, IPasswordHasher<Account> hasher, CatalogCache catalog, ILogger<AdminBootstrap> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var username = configuration["MovieRecs:Admin:Username"];
        var password = configuration["MovieRecs:Admin:Password"];
        if (string.IsNullOrEmpty(username) || string.IsNullOrEmpty(password))
            return;
        var email = configuration["MovieRecs:Admin:Email"] is { Length: > 0 } e ? e : $"{username}@admin.invalid";
        // After the first catalog load: on a fresh store that is when the demo data (and its user ids) are in.
        while (catalog.Current is null)
            await Task.Delay(500, stoppingToken);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (await accounts.FindByLoginAsync(username, stoppingToken) is null)
                {
                    var (outcome, _) = await accounts.CreateAsync(username, email, username, hasher.HashPassword(null!, password), isAdmin: true, stoppingToken);
                    logger.LogInformation("Admin account '{Username}': {Outcome}.", username, outcome);
                }
                return;
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Storage not reachable yet: try again shortly.
                logger.LogWarning("Admin account not created yet: {Message}", ex.Message);
                await Task.Delay(TimeSpan.FromSeconds(5), stoppingToken);
            }
        }
    }
}
