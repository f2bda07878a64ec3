using System.Globalization;
using System.Net;
using System.Security.Claims;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.Options;

namespace MovieRecs.Functions.Infrastructure;

/// <summary>Rate limits (configuration section "MovieRecs:RateLimit"); 0 turns a limit off.</summary>
public sealed class RateLimitSettings
{
    /// <summary>
    /// Requests per second per client (an account by its bearer token, else an IP address), every endpoint. The default
    /// is sized so one benchmark client on loopback (50-60k req/s measured) is never limited; a deployment sets its own.
    /// </summary>
    public int RequestsPerSecond { get; set; } = 100_000;

    /// <summary>Requests a client may send at once above its rate (the token bucket's size); default one second's worth.</summary>
    public int Burst { get; set; }

    /// <summary>Sign-up, sign-in and refresh requests per minute per IP address: the stricter bucket that slows password guessing.</summary>
    public int SignInPerMinute { get; set; } = 20;

    /// <summary>
    /// Take the client's address from the first X-Forwarded-For entry. Under the Functions host the platform's front end
    /// sets it (the worker only sees the host's connection); standalone it is false by default, since any client can
    /// write that header.
    /// </summary>
    public bool UseForwardedFor { get; set; } = Environment.GetEnvironmentVariable("FUNCTIONS_WORKER_RUNTIME") is not null;
}

/// <summary>
/// ASP.NET Core's rate limiter, per client: a global token bucket for every request and a stricter one for the
/// sign-in endpoints. Rejections are 429 problem+json with Retry-After. Standalone it runs as middleware; under the
/// Functions host <see cref="Hosting.FunctionEndpoints"/> runs the same middleware in front of each function's endpoint.
/// </summary>
public static class RateLimits
{
    public const string SignInPolicy = "sign-in";

    public static void AddRateLimits(this IServiceCollection services, IConfiguration configuration)
    {
        services.Configure<RateLimitSettings>(configuration.GetSection("MovieRecs:RateLimit"));
        services.AddRateLimiter(_ => { });
        services.AddSingleton<IConfigureOptions<RateLimiterOptions>>(sp => new ConfigureOptions<RateLimiterOptions>(o =>
        {
            var settings = sp.GetRequiredService<IOptions<RateLimitSettings>>().Value;
            var bearer = sp.GetRequiredService<IOptionsMonitor<BearerTokenOptions>>();
            o.OnRejected = OnRejectedAsync;
            if (settings.RequestsPerSecond > 0)
            {
                var bucket = new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.Burst > 0 ? settings.Burst : settings.RequestsPerSecond,
                    TokensPerPeriod = settings.RequestsPerSecond,
                    ReplenishmentPeriod = TimeSpan.FromSeconds(1),
                    QueueLimit = 0,
                };
                o.GlobalLimiter = PartitionedRateLimiter.Create<HttpContext, string>(http =>
                    RateLimitPartition.GetTokenBucketLimiter(ClientOf(http, settings, bearer), _ => bucket));
            }
            o.AddPolicy(SignInPolicy, http => settings.SignInPerMinute <= 0
                ? RateLimitPartition.GetNoLimiter("off")
                : RateLimitPartition.GetTokenBucketLimiter(AddressOf(http, settings), _ => new TokenBucketRateLimiterOptions
                {
                    TokenLimit = settings.SignInPerMinute,
                    TokensPerPeriod = settings.SignInPerMinute,
                    ReplenishmentPeriod = TimeSpan.FromMinutes(1),
                    QueueLimit = 0,
                }));
        }));
    }

    /// <summary>
    /// The account when the request carries a valid bearer token (read without a storage call: the limiter runs on every
    /// request), else the IP address. A made-up token counts as its IP, so inventing tokens does not buy new buckets.
    /// </summary>
    static string ClientOf(HttpContext http, RateLimitSettings settings, IOptionsMonitor<BearerTokenOptions> bearer)
    {
        var header = http.Request.Headers.Authorization.ToString();
        if (header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase)
            && bearer.Get(BearerTokenDefaults.AuthenticationScheme).BearerTokenProtector.Unprotect(header[7..].Trim()) is { } ticket
            && ticket.Properties.ExpiresUtc > DateTimeOffset.UtcNow
            && ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier) is { } user)
            return "account:" + user;
        return AddressOf(http, settings);
    }

    static string AddressOf(HttpContext http, RateLimitSettings settings)
    {
        if (settings.UseForwardedFor && http.Request.Headers["X-Forwarded-For"].ToString() is { Length: > 0 } forwarded)
        {
            var first = forwarded.Split(',')[0].Trim();
            // "ip:port" from Azure's front end; an IPv6 address may come in brackets.
            if (IPEndPoint.TryParse(first, out var endpoint))
                return "ip:" + endpoint.Address;
            return "ip:" + first;
        }
        return "ip:" + (http.Connection.RemoteIpAddress?.ToString() ?? "unknown");
    }

    static async ValueTask OnRejectedAsync(OnRejectedContext context, CancellationToken cancellationToken)
    {
        var http = context.HttpContext;
        var wait = context.Lease.TryGetMetadata(MetadataName.RetryAfter, out var retryAfter) ? retryAfter : TimeSpan.FromSeconds(1);
        var seconds = Math.Max(1, (int)Math.Ceiling(wait.TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(CultureInfo.InvariantCulture);
        var signIn = http.GetEndpoint()?.Metadata.GetMetadata<EnableRateLimitingAttribute>()?.PolicyName == SignInPolicy;
        await Problems.Status(StatusCodes.Status429TooManyRequests, "Too many requests",
                signIn ? $"Too many sign-up or sign-in requests from this address; try again in {seconds} s."
                       : $"This client sent more requests than its rate limit allows; try again in {seconds} s.")
            .ExecuteAsync(http);
    }
}
