using System.Globalization;
using Azure;
using Azure.Data.Tables;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Store;

/// <summary>A genre: a stable id and its name as movies carry it.</summary>
public sealed record Genre(int Id, string Name);

public enum GenreOutcome { Done, NotFound, NameTaken }

/// <summary>
/// Genre ids and names in the <c>genres</c> table, all in one partition (a few dozen rows, so every change is one
/// entity-group transaction): <c>i{id}</c> rows hold a genre's Name; <c>n{key}</c> rows (key = <see cref="MovieGenres.Key"/>
/// of a name) reserve a name for a genre, so two genres can never answer to the same name ("Sci-Fi" and "sci fi"), a fact
/// of storage rather than a read-then-write. Movies carry genre names (the MovieLens layout): a rename keeps the former
/// name's row until every movie is rewritten, so a half-done rename still reads as the new name, and repeating it
/// finishes it. New ids are the largest + 1, inserted if absent together with the name: concurrent creates cannot share one.
/// </summary>
public sealed class GenreStore(MovieStore store)
{
    const string Partition = "g";
    public const int MaxNameLength = 40;

    static string IdRow(int id) => "i" + id.ToString("D10", CultureInfo.InvariantCulture);
    static string NameRow(string key) => "n" + key;

    /// <summary>The genres as stored, and which names (former names of a rename in progress included) mean which.</summary>
    public sealed class GenreSet
    {
        readonly Dictionary<int, (Genre Genre, ETag ETag)> _byId;
        readonly Dictionary<string, int> _idByKey;

        internal GenreSet(Dictionary<int, (Genre Genre, ETag ETag)> byId, Dictionary<string, int> idByKey)
        {
            _byId = byId;
            _idByKey = idByKey;
            All = [.. byId.Values.Select(g => g.Genre).OrderBy(g => g.Name, StringComparer.OrdinalIgnoreCase)];
        }

        /// <summary>Every genre, by name.</summary>
        public IReadOnlyList<Genre> All { get; }

        public Genre? Find(int id) => _byId.TryGetValue(id, out var g) ? g.Genre : null;

        internal ETag ETagOf(int id) => _byId[id].ETag;

        internal IEnumerable<string> KeysOf(int id) => _idByKey.Where(p => p.Value == id).Select(p => p.Key);

        internal int? OwnerOf(string key) => _idByKey.TryGetValue(key, out var id) ? id : null;

        /// <summary>
        /// The genre a name means: its key (case, accents, spaces and punctuation ignored; a rename's former name too),
        /// else a plural or a known alias of a genre ("comedies", "science fiction"). Null when none.
        /// </summary>
        public Genre? Resolve(string? name)
        {
            var key = MovieGenres.Key(name);
            if (key.Length == 0)
                return null;
            if (_idByKey.TryGetValue(key, out var id) && Find(id) is { } exact)
                return exact;
            return MovieGenres.TryResolve(name, All.Select(g => g.Name), out var canonical)
                ? All.First(g => g.Name == canonical) : null;
        }

        /// <summary>A movie's genre names in the genres' current spelling, unknown names dropped, each once.</summary>
        public IReadOnlyList<string> Canonical(IReadOnlyList<string> names)
        {
            List<string>? result = null;
            for (var i = 0; i < names.Count; i++)
            {
                var name = _idByKey.TryGetValue(MovieGenres.Key(names[i]), out var id) && Find(id) is { } g ? g.Name : null;
                if (result is null && name == names[i])
                    continue;   // the usual case: already canonical, no copy
                result ??= [.. names.Take(i)];
                if (name is not null && !result.Contains(name))
                    result.Add(name);
            }
            return result ?? names;
        }
    }

    public async Task<GenreSet> LoadAsync(CancellationToken cancellationToken = default)
    {
        var byId = new Dictionary<int, (Genre Genre, ETag ETag)>();
        var idByKey = new Dictionary<string, int>(StringComparer.Ordinal);
        var filter = TableClient.CreateQueryFilter($"PartitionKey eq {Partition}");
        await foreach (var e in store.Genres.QueryAsync<TableEntity>(filter, cancellationToken: cancellationToken))
        {
            if (e.RowKey.StartsWith('i') && int.TryParse(e.RowKey.AsSpan(1), NumberStyles.None, CultureInfo.InvariantCulture, out var id))
                byId[id] = (new Genre(id, e.GetString("Name") ?? ""), e.ETag);
            else if (e.RowKey.StartsWith('n') && e.GetInt32("GenreId") is { } owner)
                idByKey[e.RowKey[1..]] = owner;
        }
        return new GenreSet(byId, idByKey);
    }

    /// <summary>
    /// Gives an id to every name no genre answers to (movies imported with names only, or a movie written while its genre
    /// was being deleted), and returns the genres as they then are.
    /// </summary>
    public async Task<GenreSet> EnsureAsync(IEnumerable<string> names, CancellationToken cancellationToken = default)
    {
        var set = await LoadAsync(cancellationToken);
        var missing = names.Where(n => MovieGenres.Key(n).Length > 0 && set.OwnerOf(MovieGenres.Key(n)) is null)
            .DistinctBy(MovieGenres.Key).Order(StringComparer.Ordinal).ToList();
        if (missing.Count == 0)
            return set;
        // All at once (one transaction per 50, the usual case after an import); when another instance registers some
        // meanwhile, the transaction fails whole and each name goes on its own.
        var next = set.All.Count == 0 ? 1 : set.All.Max(g => g.Id) + 1;
        try
        {
            foreach (var chunk in missing.Chunk(50))
                await store.Genres.SubmitTransactionAsync(chunk.SelectMany(name =>
                {
                    var id = next++;
                    return new[]
                    {
                        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, IdRow(id)) { ["Name"] = name }),
                        new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, NameRow(MovieGenres.Key(name))) { ["GenreId"] = id }),
                    };
                }), cancellationToken);
        }
        catch (TableTransactionFailedException e) when (e.Status == 409)
        {
            foreach (var name in missing)
                await CreateAsync(name, cancellationToken);   // NameTaken: another instance registered it first, as wanted
        }
        return await LoadAsync(cancellationToken);
    }

    /// <summary>A new genre with the next id; <see cref="GenreOutcome.NameTaken"/> when a genre already answers to the name.</summary>
    public async Task<(GenreOutcome Outcome, Genre? Genre)> CreateAsync(string name, CancellationToken cancellationToken = default)
    {
        var key = MovieGenres.Key(name);
        for (var attempt = 1; ; attempt++)
        {
            var set = await LoadAsync(cancellationToken);
            if (set.OwnerOf(key) is { } owner)
                return (GenreOutcome.NameTaken, set.Find(owner));
            var id = set.All.Count == 0 ? 1 : set.All.Max(g => g.Id) + 1;
            try
            {
                await store.Genres.SubmitTransactionAsync(
                [
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, IdRow(id)) { ["Name"] = name }),
                    new TableTransactionAction(TableTransactionActionType.Add, new TableEntity(Partition, NameRow(key)) { ["GenreId"] = id }),
                ], cancellationToken);
                return (GenreOutcome.Done, new Genre(id, name));
            }
            catch (TableTransactionFailedException e) when (e.Status == 409 && attempt < 20)
            {
                // The id or the name was taken meanwhile: look again.
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>
    /// Renames the genre and reserves the new name; the former name keeps meaning this genre until
    /// <see cref="DropFormerNamesAsync"/> (after the movies are rewritten, <see cref="CatalogEditor.RewriteGenreAsync"/>).
    /// </summary>
    public async Task<(GenreOutcome Outcome, Genre? Genre)> RenameAsync(int id, string name, CancellationToken cancellationToken = default)
    {
        var key = MovieGenres.Key(name);
        for (var attempt = 1; ; attempt++)
        {
            var set = await LoadAsync(cancellationToken);
            if (set.Find(id) is null)
                return (GenreOutcome.NotFound, null);
            var owner = set.OwnerOf(key);
            if (owner is not null && owner != id)
                return (GenreOutcome.NameTaken, set.Find(owner.Value));
            var actions = new List<TableTransactionAction>
            {
                new(TableTransactionActionType.UpdateMerge, new TableEntity(Partition, IdRow(id)) { ["Name"] = name }, set.ETagOf(id)),
            };
            if (owner is null)
                actions.Add(new(TableTransactionActionType.Add, new TableEntity(Partition, NameRow(key)) { ["GenreId"] = id }));
            try
            {
                await store.Genres.SubmitTransactionAsync(actions, cancellationToken);
                return (GenreOutcome.Done, new Genre(id, name));
            }
            catch (TableTransactionFailedException e) when (e.Status is 409 or 412 && attempt < 20)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }

    /// <summary>Releases the names the genre answered to before a rename (its movies no longer carry them).</summary>
    public async Task DropFormerNamesAsync(int id, CancellationToken cancellationToken = default)
    {
        var set = await LoadAsync(cancellationToken);
        if (set.Find(id) is not { } genre)
            return;
        var current = MovieGenres.Key(genre.Name);
        var former = set.KeysOf(id).Where(k => k != current).ToList();
        if (former.Count > 0)
            await store.Genres.SubmitTransactionAsync(
                former.Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, NameRow(k)))), cancellationToken);
    }

    /// <summary>Deletes the genre and releases its names; false when there is no such genre.</summary>
    public async Task<bool> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var set = await LoadAsync(cancellationToken);
            if (set.Find(id) is null)
                return false;
            var actions = new List<TableTransactionAction> { new(TableTransactionActionType.Delete, new TableEntity(Partition, IdRow(id)), set.ETagOf(id)) };
            actions.AddRange(set.KeysOf(id).Select(k => new TableTransactionAction(TableTransactionActionType.Delete, new TableEntity(Partition, NameRow(k)))));
            try
            {
                await store.Genres.SubmitTransactionAsync(actions, cancellationToken);
                return true;
            }
            catch (TableTransactionFailedException e) when (e.Status is 404 or 412 && attempt < 20)
            {
                await Task.Delay(Random.Shared.Next(1, 10 * attempt), cancellationToken);
            }
        }
    }
}
