using System.Security.Claims;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Admin;

namespace MovieRecs.Functions.Accounts;

/// <summary>Who is calling: an account (by its bearer token), an admin (an admin account, or the admin key), or nobody.</summary>
public sealed record Caller(int? UserId, bool IsAdmin)
{
    public static readonly Caller Anonymous = new(null, false);
}

public sealed class AccessSettings
{
    /// <summary>
    /// Writes for users created without an account (POST /api/users, as the existing front ends do) need no token. False
    /// closes them to admins only. Accounts' own users always need their token (or an admin).
    /// </summary>
    public bool AnonymousWrites { get; set; } = true;
}

/// <summary>
/// The permission rules, checked inside the handlers (they run unchanged standalone and under the Functions host, where
/// no authorization middleware runs): 401 is no or a bad token, 403 a valid caller without the right.
/// </summary>
public static class Access
{
    public const string StampClaim = "movierecs:stamp";

    /// <summary>The caller, or a 401 problem when the token (or admin key) presented is not valid.</summary>
    public static async Task<(Caller Caller, ProblemHttpResult? Problem)> IdentifyAsync(HttpContext http)
    {
        if (AdminKey.Presented(http.Request) is { } key)
        {
            return AdminKey.Matches(key, http.RequestServices.GetRequiredService<IConfiguration>()[AdminKey.SettingName])
                ? (new Caller(null, true), null)
                : (Caller.Anonymous, Unauthorized(http, $"The key in '{AdminKey.HeaderName}' / '{AdminKey.QueryName}' is not valid."));
        }
        if (!http.Request.Headers.Authorization.Any())
            return (Caller.Anonymous, null);
        var result = await http.AuthenticateAsync(BearerTokenDefaults.AuthenticationScheme);
        if (!result.Succeeded || result.Principal is not { } principal
            || !int.TryParse(principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            return (Caller.Anonymous, Unauthorized(http, "The bearer token is missing, malformed, expired or not ours: sign in again (POST /api/rest/v1/auth/token)."));
        // A token outlives nothing: a closed account or a changed password (a new security stamp) ends it.
        var account = await http.RequestServices.GetRequiredService<AccountStore>().GetCachedAsync(userId);
        if (account is null || account.SecurityStamp != principal.FindFirstValue(StampClaim))
            return (Caller.Anonymous, Unauthorized(http, "The bearer token is no longer valid (the account was closed or its password changed): sign in again."));
        return (new Caller(userId, account.IsAdmin), null);
    }

    /// <summary>
    /// Null when the caller may write the user's ratings, watch marks and preferences; else the 401/403 problem. The user
    /// must exist (the handler answers 404 first).
    /// </summary>
    public static async Task<ProblemHttpResult?> CheckUserWriteAsync(HttpContext http, int userId)
    {
        var (caller, problem) = await IdentifyAsync(http);
        if (problem is not null)
            return problem;
        if (caller.IsAdmin || caller.UserId == userId)
            return null;
        var hasAccount = await http.RequestServices.GetRequiredService<UserStore>().HasAccountAsync(userId) ?? false;
        if (!hasAccount && http.RequestServices.GetRequiredService<AccessSettings>().AnonymousWrites)
            return null;
        var whose = hasAccount ? $"User {userId} belongs to an account: only its token or an admin may write for it."
            : $"Writes for users without an account are closed (MovieRecs:AnonymousWrites=false): only an admin may write for user {userId}.";
        return caller.UserId is null && !caller.IsAdmin ? Unauthorized(http, whose) : Forbidden(whose);
    }

    /// <summary>The caller, and the 401/403 problem unless it is the account <paramref name="userId"/> itself or an admin.</summary>
    public static async Task<(Caller Caller, ProblemHttpResult? Denied)> CheckSelfOrAdminAsync(HttpContext http, int userId)
    {
        var (caller, problem) = await IdentifyAsync(http);
        if (problem is not null || caller.IsAdmin || caller.UserId == userId)
            return (caller, problem);
        var detail = $"User {userId}'s account is visible and changeable only with its own token or by an admin.";
        return (caller, caller.UserId is null ? Unauthorized(http, detail) : Forbidden(detail));
    }

    /// <summary>Null when the caller is an admin (an admin account's token, or the admin key); else the 401/403 problem.</summary>
    public static async Task<ProblemHttpResult?> CheckAdminAsync(HttpContext http, string operation)
    {
        var (caller, problem) = await IdentifyAsync(http);
        if (problem is not null || caller.IsAdmin)
            return problem;
        return caller.UserId is null
            ? Unauthorized(http, $"{operation} is for admins: send an admin account's bearer token or the admin key ('{AdminKey.HeaderName}').")
            : Forbidden($"{operation} is for admins, and this account is not one.");
    }

    /// <summary>A 401 problem; the response says how to authenticate (RFC 9110 requires WWW-Authenticate).</summary>
    public static ProblemHttpResult Unauthorized(HttpContext http, string detail)
    {
        http.Response.Headers.WWWAuthenticate = "Bearer";
        return Problems.Status(StatusCodes.Status401Unauthorized, "Unauthorized", detail);
    }

    public static ProblemHttpResult Forbidden(string detail) => Problems.Status(StatusCodes.Status403Forbidden, "Forbidden", detail);
}
