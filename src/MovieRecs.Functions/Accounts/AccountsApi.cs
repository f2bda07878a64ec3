using System.Security.Claims;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Authentication.BearerToken;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Identity;
using Microsoft.Extensions.Options;
using MovieRecs.Core.Store;
using MovieRecs.Functions.Infrastructure;

namespace MovieRecs.Functions.Accounts;

public sealed record SignupRequest(string Username, string Email, string Password, string? DisplayName);

public sealed record TokenRequest(string Username, string Password);

public sealed record RefreshRequest(string RefreshToken);

public sealed record UpdateAccountRequest(string? DisplayName, string? Email, string? Password, string? CurrentPassword, bool? IsAdmin);

public sealed record AccountResource(int Id, string Username, string Email, string? DisplayName, bool IsAdmin, DateTimeOffset Created);

public sealed record UserSummary(int Id, string? Name, DateTime? Created, bool HasAccount);

public sealed record UsersPage(IReadOnlyList<UserSummary> Users, int Total, int Page, int Limit);

/// <summary>Signup and sign-in: ASP.NET Core's bearer tokens (opaque, data-protected) and its password hasher.</summary>
public static partial class AccountsApi
{
    public const int MinPasswordLength = 8;
    public const int MaxPasswordLength = 128;
    public const int MaxEmailLength = 254;

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9._-]{2,31}$")]
    private static partial Regex UsernamePattern();

    // Deliberately plain: something@something.tld, none of the characters storage keys refuse.
    [GeneratedRegex(@"^[^@\s/\\#?]+@[^@\s/\\#?]+\.[^@\s/\\#?]+$")]
    private static partial Regex EmailPattern();

    public static IEndpointRouteBuilder MapAccounts(this IEndpointRouteBuilder api)
    {
        var v1 = api.MapGroup("/rest/v1").WithTags("Accounts");
        v1.MapPost("/accounts", SignupAsync).WithName("CreateAccount")
            .DocumentsJsonBody<SignupRequest>().RequireRateLimiting(RateLimits.SignInPolicy)
            .WithSummary("Sign up: username (3-32 of letters, digits, . _ -), email, password (8-128 characters), display_name?. Creates the account's user.");
        v1.MapPost("/auth/token", TokenAsync).WithName("SignIn")
            .DocumentsJsonBody<TokenRequest>().RequireRateLimiting(RateLimits.SignInPolicy)
            .WithSummary("Sign in with username (or email) and password: a bearer access token and a refresh token.");
        v1.MapPost("/auth/refresh", RefreshAsync).WithName("RefreshToken")
            .DocumentsJsonBody<RefreshRequest>().RequireRateLimiting(RateLimits.SignInPolicy)
            .WithSummary("A new access token (and refresh token) for a refresh token that is still valid.");
        v1.MapPatch("/users/{id:int}", UpdateAsync).WithName("UpdateUser").WithTags("Users")
            .DocumentsJsonBody<UpdateAccountRequest>()
            .WithSummary("Change an account's display_name, email or password (current_password required to change your own password); self or admin. is_admin: an admin grants or takes the admin role.");
        v1.MapDelete("/users/{id:int}", DeleteAsync).WithName("DeleteUser").WithTags("Users")
            .WithSummary("Close an account (self or admin; a user without an account: admin only): its ratings leave the aggregates, its favourites and watchlist go, its username and email become free, and the user is then 404.");
        v1.MapGet("/users", ListAsync).WithName("ListUsers").WithTags("Users")
            .WithSummary("Every user for an admin, only yourself for an account (paginated: limit 1..100, page from 1).");
        return api;
    }

    static async Task<Results<Created<AccountResource>, ProblemHttpResult, ValidationProblem>> SignupAsync(
        HttpRequest request, AccountStore accounts, IPasswordHasher<Account> hasher, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        const string example = """{"username": "ada", "email": "ada@example.com", "password": "correct horse battery"}""";
        if (body.Document is not { } doc || !JsonFields.RequireObject(doc.RootElement, errors, example))
        {
            if (!errors.Any) errors.Add("body", $"is required: {example}");
            return errors.ToResult();
        }
        var root = doc.RootElement;
        var username = RequiredString(root, "username", errors, 32);
        if (username is not null && !UsernamePattern().IsMatch(username))
            errors.Add("username", "must be 3-32 characters: letters, digits, '.', '_' or '-', starting with a letter or digit");
        var email = RequiredString(root, "email", errors, MaxEmailLength);
        if (email is not null && !EmailPattern().IsMatch(email))
            errors.Add("email", "must be an email address like ada@example.com");
        var password = Password(root, errors);
        var displayName = JsonFields.OptionalString(root, "display_name", "display_name", errors, UserStore.MaxNameLength);
        if (errors.Any)
            return errors.ToResult();

        var (outcome, account) = await accounts.CreateAsync(username!, email!, displayName, hasher.HashPassword(null!, password!), isAdmin: false, CancellationToken.None);
        switch (outcome)
        {
            case SignupOutcome.UsernameTaken:
                errors.Add("username", "is taken");
                return errors.ToProblem(StatusCodes.Status409Conflict, "Username taken");
            case SignupOutcome.EmailTaken:
                errors.Add("email", "already has an account");
                return errors.ToProblem(StatusCodes.Status409Conflict, "Email taken");
        }
        return TypedResults.Created($"{request.PathBase}/api/rest/v1/users/{account!.UserId}", ToResource(account));
    }

    static async Task<IResult> TokenAsync(HttpRequest request, AccountStore accounts, IPasswordHasher<Account> hasher,
        IOptions<SignInSettings> settings, TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        const string example = """{"username": "ada", "password": "correct horse battery"}""";
        if (body.Document is not { } doc || !JsonFields.RequireObject(doc.RootElement, errors, example))
        {
            if (!errors.Any) errors.Add("body", $"is required: {example}");
            return errors.ToResult();
        }
        var login = RequiredString(doc.RootElement, "username", errors, MaxEmailLength);
        var password = RequiredString(doc.RootElement, "password", errors, MaxPasswordLength, trim: false);
        if (errors.Any)
            return errors.ToResult();

        var account = await accounts.FindByLoginAsync(login!, cancellationToken);
        var state = account is null ? default : await accounts.GetSignInStateAsync(account.UserId, cancellationToken);
        if (state.LockedUntil is { } locked)
            return LockedOut(request.HttpContext, locked, time);
        // The hasher compares in constant time; an unknown name costs the same hash so timing does not tell it apart.
        var verdict = hasher.VerifyHashedPassword(account!, account?.PasswordHash ?? UnknownUserHash.Value(hasher), password!);
        if (account is null || verdict == PasswordVerificationResult.Failed)
        {
            if (account is not null && settings.Value.LockoutFailures > 0)
                await accounts.RecordFailedSignInAsync(account.UserId, settings.Value.LockoutFailures, TimeSpan.FromMinutes(settings.Value.LockoutMinutes));
            return Access.Unauthorized(request.HttpContext, "Unknown username or wrong password.");
        }
        if (state.Failures > 0)
            await accounts.ClearFailedSignInsAsync(account.UserId);
        return SignIn(account);
    }

    static async Task<IResult> RefreshAsync(HttpRequest request, AccountStore accounts, IOptionsMonitor<BearerTokenOptions> options,
        TimeProvider time, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        const string example = """{"refresh_token": "..."}""";
        if (body.Document is not { } doc || !JsonFields.RequireObject(doc.RootElement, errors, example))
        {
            if (!errors.Any) errors.Add("body", $"is required: {example}");
            return errors.ToResult();
        }
        var token = RequiredString(doc.RootElement, "refresh_token", errors, 8192, trim: false);
        if (errors.Any)
            return errors.ToResult();

        var ticket = options.Get(BearerTokenDefaults.AuthenticationScheme).RefreshTokenProtector.Unprotect(token);
        if (ticket?.Properties.ExpiresUtc is not { } expires || expires < time.GetUtcNow()
            || !int.TryParse(ticket.Principal.FindFirstValue(ClaimTypes.NameIdentifier), out var userId))
            return Access.Unauthorized(request.HttpContext, "The refresh token is malformed, expired or not ours: sign in again.");
        var account = await accounts.GetAsync(userId, cancellationToken);
        if (account is null || account.SecurityStamp != ticket.Principal.FindFirstValue(Access.StampClaim))
            return Access.Unauthorized(request.HttpContext, "The refresh token is no longer valid (the account was closed or its password changed): sign in again.");
        return SignIn(account);
    }

    static async Task<Results<Ok<AccountResource>, ProblemHttpResult, ValidationProblem>> UpdateAsync(
        int id, HttpRequest request, UserStore users, AccountStore accounts, IPasswordHasher<Account> hasher, CancellationToken cancellationToken)
    {
        using var body = await JsonBody.ReadAsync(request, cancellationToken);
        if (body.Problem is { } problem)
            return problem;
        var errors = new ProblemErrors();
        const string example = """{"display_name": "Ada L.", "email": "ada@example.org", "password": "new password", "current_password": "old password"}""";
        if (body.Document is not { } doc || !JsonFields.RequireObject(doc.RootElement, errors, example))
        {
            if (!errors.Any) errors.Add("body", $"is required: {example}");
            return errors.ToResult();
        }
        var root = doc.RootElement;
        var displayName = JsonFields.OptionalString(root, "display_name", "display_name", errors, UserStore.MaxNameLength);
        var email = JsonFields.OptionalString(root, "email", "email", errors, MaxEmailLength);
        if (email is not null && !EmailPattern().IsMatch(email))
            errors.Add("email", "must be an email address like ada@example.com");
        var password = root.TryGetProperty("password", out var p) && p.ValueKind != JsonValueKind.Null ? Password(root, errors) : null;
        var current = root.TryGetProperty("current_password", out var c) && c.ValueKind != JsonValueKind.Null
            ? RequiredString(root, "current_password", errors, MaxPasswordLength, trim: false) : null;
        bool? isAdmin = null;
        if (root.TryGetProperty("is_admin", out var a) && a.ValueKind != JsonValueKind.Null)
        {
            if (a.ValueKind is JsonValueKind.True or JsonValueKind.False)
                isAdmin = a.GetBoolean();
            else
                errors.Add("is_admin", $"must be true or false (got {JsonFields.KindName(a)})");
        }
        if (errors.Any)
            return errors.ToResult();
        if (await users.HasAccountAsync(id, cancellationToken) is not true || await accounts.GetAsync(id, cancellationToken) is not { } account)
            return Problems.NotFound($"No account for user {id}.");
        var (caller, denied) = await Access.CheckSelfOrAdminAsync(request.HttpContext, id);
        if (denied is not null)
            return denied;
        if (isAdmin is not null && isAdmin != account.IsAdmin && !caller.IsAdmin)
            return Access.Forbidden("Only an admin grants or takes the admin role.");
        if (password is not null && caller.UserId == id)
        {
            // Your own password changes only with the current one (an admin may reset another account's).
            if (current is null)
                errors.Add("current_password", "is required to change the password");
            else if (hasher.VerifyHashedPassword(account, account.PasswordHash, current) == PasswordVerificationResult.Failed)
                errors.Add("current_password", "is not the account's password");
            if (errors.Any)
                return errors.ToProblem(current is null ? StatusCodes.Status400BadRequest : StatusCodes.Status403Forbidden,
                    current is null ? "Invalid request" : "Wrong password");
        }
        var (outcome, updated) = await accounts.UpdateAsync(account, displayName, email, password is null ? null : hasher.HashPassword(account, password),
            CancellationToken.None, isAdmin);
        switch (outcome)
        {
            case AccountStore.UpdateOutcome.EmailTaken:
                errors.Add("email", "already has an account");
                return errors.ToProblem(StatusCodes.Status409Conflict, "Email taken");
            case AccountStore.UpdateOutcome.Changed:
                return Problems.Conflict("The account changed meanwhile; read it again and retry.");
        }
        return TypedResults.Ok(ToResource(updated!));
    }

    /// <summary>
    /// Closes the account in an order that is safe to interrupt and to repeat: the account row first (its tokens end, and
    /// its user row still says "account", so nobody but an admin can write for it any more), then every rating and watch
    /// mark through the ordinary remove path (each partial aggregate row stays a recount), the flags, and the user row
    /// last. A failure part-way is a 503; an admin's retry completes it.
    /// </summary>
    static async Task<Results<NoContent, ProblemHttpResult>> DeleteAsync(int id, HttpContext http, UserStore users, AccountStore accounts,
        RatingStore ratings, PreferenceStore preferences, CancellationToken cancellationToken)
    {
        var account = await accounts.GetAsync(id, cancellationToken);
        if (account is null && await users.GetAsync(id, cancellationToken) is null)
            return Problems.UserNotFound(id);
        var (_, denied) = await Access.CheckSelfOrAdminAsync(http, id);
        if (denied is not null)
            return denied;
        await CloseAsync().WaitAsync(cancellationToken);   // runs to its end even if the client stops waiting
        return TypedResults.NoContent();

        async Task CloseAsync()
        {
            if (account is not null)
                await accounts.DeleteAsync(account, CancellationToken.None);
            await ratings.RemoveAllOfUserAsync(id, CancellationToken.None);
            await preferences.DeleteAllAsync(id, CancellationToken.None);
            await users.DeleteAsync(id, CancellationToken.None);
        }
    }

    static async Task<Results<Ok<UsersPage>, ProblemHttpResult, ValidationProblem>> ListAsync(
        HttpContext http, string? limit, string? page, MovieStore store, UserStore users, CancellationToken cancellationToken)
    {
        var errors = new ProblemErrors();
        var (take, pageNumber, skip) = errors.Paging(limit, page, 100, 20);
        if (errors.Any)
            return errors.ToResult();
        var (caller, problem) = await Access.IdentifyAsync(http);
        if (problem is not null)
            return problem;
        if (caller is { IsAdmin: false, UserId: null })
            return Access.Unauthorized(http, "Sign in to list users: an admin sees every user, an account only itself.");
        if (!caller.IsAdmin)
        {
            var self = await users.GetAsync(caller.UserId!.Value, cancellationToken);
            var mine = self is null ? [] : new[] { new UserSummary(self.Id, self.Name, self.Created?.UtcDateTime, true) };
            return TypedResults.Ok(new UsersPage(pageNumber == 1 ? mine : [], mine.Length, pageNumber, take));
        }
        // Users are keyed by id (partition id / 1000, row "u{id:D10}"), so a scan comes in id order.
        var all = new List<UserSummary>();
        await foreach (var e in store.Users.QueryAsync<Azure.Data.Tables.TableEntity>(select: ["RowKey", "Name", "Created", "Account"], cancellationToken: cancellationToken))
            if (MovieStore.TryParseUserRowKey(e.RowKey, out var userId))
                all.Add(new UserSummary(userId, e.GetString("Name"), e.GetDateTimeOffset("Created")?.UtcDateTime, e.GetBoolean("Account") ?? false));
        all.Sort(static (a, b) => a.Id.CompareTo(b.Id));
        return TypedResults.Ok(new UsersPage(all.Skip(skip).Take(take).ToList(), all.Count, pageNumber, take));
    }

    /// <summary>429 while an account's sign-in is locked after repeated wrong passwords (even the right one is refused).</summary>
    static ProblemHttpResult LockedOut(HttpContext http, DateTimeOffset until, TimeProvider time)
    {
        var seconds = Math.Max(1, (int)Math.Ceiling((until - time.GetUtcNow()).TotalSeconds));
        http.Response.Headers.RetryAfter = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return Problems.Status(StatusCodes.Status429TooManyRequests, "Sign-in locked",
            $"Too many wrong passwords for this account in a row; sign-in is locked for {seconds} s more.");
    }

    /// <summary>The bearer handler writes {token_type, access_token, expires_in, refresh_token}.</summary>
    static IResult SignIn(Account account)
    {
        var identity = new ClaimsIdentity(
        [
            new Claim(ClaimTypes.NameIdentifier, account.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture)),
            new Claim(ClaimTypes.Name, account.Username),
            new Claim(Access.StampClaim, account.SecurityStamp),
        ], BearerTokenDefaults.AuthenticationScheme);
        return TypedResults.SignIn(new ClaimsPrincipal(identity), authenticationScheme: BearerTokenDefaults.AuthenticationScheme);
    }

    public static AccountResource ToResource(Account a) => new(a.UserId, a.Username, a.Email, a.DisplayName, a.IsAdmin, a.Created);

    static string? RequiredString(JsonElement obj, string name, ProblemErrors errors, int maxLength, bool trim = true)
    {
        if (!obj.TryGetProperty(name, out var value) || value.ValueKind == JsonValueKind.Null)
        {
            errors.Add(name, "is required");
            return null;
        }
        if (value.ValueKind != JsonValueKind.String)
        {
            errors.Add(name, $"must be a string (got {JsonFields.KindName(value)})");
            return null;
        }
        var s = trim ? value.GetString()!.Trim() : value.GetString()!;
        if (s.Length == 0)
            errors.Add(name, "must not be empty");
        else if (s.Length > maxLength)
            errors.Add(name, $"must be at most {maxLength} characters (got {s.Length})");
        else
            return s;
        return null;
    }

    static string? Password(JsonElement root, ProblemErrors errors)
    {
        var password = RequiredString(root, "password", errors, MaxPasswordLength, trim: false);
        if (password is not null && password.Length < MinPasswordLength)
        {
            errors.Add("password", $"must be at least {MinPasswordLength} characters");
            return null;
        }
        return password;
    }

    /// <summary>A hash to verify against when no account matches (same cost as a real one).</summary>
    static class UnknownUserHash
    {
        static string? _hash;
        public static string Value(IPasswordHasher<Account> hasher) => _hash ??= hasher.HashPassword(null!, Guid.NewGuid().ToString());
    }
}
