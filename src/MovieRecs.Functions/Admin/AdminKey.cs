using System.Security.Cryptography;
using System.Text;
using MovieRecs.Functions.Hosting;

namespace MovieRecs.Functions.Admin;

/// <summary>Endpoint metadata: an admin operation, a function with authLevel "function" in Azure.</summary>
public sealed class AdminOperation;

/// <summary>
/// The Azure Functions key convention (header x-functions-key or ?code=). Under the Functions host
/// the host has already checked the function key before forwarding; standalone we check it against
/// MovieRecs:AdminKey. No configured key means admin operations are closed, never open.
/// </summary>
public static class AdminKey
{
    public const string HeaderName = "x-functions-key";
    public const string QueryName = "code";
    public const string SettingName = "MovieRecs:AdminKey";

    public static TBuilder RequireAdminKey<TBuilder>(this TBuilder builder) where TBuilder : IEndpointConventionBuilder
    {
        builder.WithMetadata(new AdminOperation());
        builder.AddEndpointFilter(async (context, next) =>
        {
            if (FunctionsHosting.RunsUnderFunctionsHost)
                return await next(context);

            var http = context.HttpContext;
            var configured = http.RequestServices.GetRequiredService<IConfiguration>()[SettingName];
            if (string.IsNullOrEmpty(configured))
                return Problems.Status(StatusCodes.Status403Forbidden, "Admin operations are disabled",
                    $"No admin key is configured ({SettingName}); admin operations stay closed.");

            if (Presented(http.Request) is not { } presented)
                return Problems.Status(StatusCodes.Status401Unauthorized, "Admin key required",
                    $"Send the admin key in the '{HeaderName}' header or the '{QueryName}' query parameter.");
            if (!Matches(presented, configured))
                return Problems.Status(StatusCodes.Status401Unauthorized, "Invalid admin key",
                    $"The key in '{HeaderName}' / '{QueryName}' is not valid.");
            return await next(context);
        });
        return builder;
    }

    /// <summary>The key the request presents (header, else query), or null.</summary>
    public static string? Presented(HttpRequest request) =>
        request.Headers[HeaderName].ToString() is { Length: > 0 } header ? header
        : request.Query[QueryName].ToString() is { Length: > 0 } query ? query : null;

    /// <summary>Compared in constant time; a missing configured key matches nothing.</summary>
    public static bool Matches(string presented, string? configured) =>
        !string.IsNullOrEmpty(configured) && CryptographicOperations.FixedTimeEquals(Encoding.UTF8.GetBytes(presented), Encoding.UTF8.GetBytes(configured));
}
