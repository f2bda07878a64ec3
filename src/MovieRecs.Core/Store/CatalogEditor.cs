using System.Globalization;
using Azure;
using Azure.Data.Tables;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Core.Store;

public enum MovieWriteOutcome { Done, NotFound, IdTaken }

/// <summary>
/// Admin changes of the stored movies: create, replace, soft-delete, and rewriting a genre's name on its movies. Every
/// write is conditional (insert-if-absent, or the ETag read), so concurrent admins cannot overwrite each other unseen.
/// The caller records the change (<see cref="MovieStore.RecordCatalogEditAsync"/>) once it is all stored.
/// </summary>
public sealed class CatalogEditor(MovieStore store)
{
    /// <summary>The id sequence of movies created through the API (the importer raises it above imported ids).</summary>
    public const string MovieSequence = "movies";

    // One id per reservation: creates are rare, and the ids stay dense. A taken id (a movie imported or created with an
    // explicit id meanwhile) is skipped by the insert-if-absent below.
    readonly IdBlockAllocator _ids = new(store.Meta, MovieSequence, 1, async ct =>
    {
        long max = 0;
        await foreach (var e in store.Movies.QueryAsync<TableEntity>(select: ["RowKey"], cancellationToken: ct))
            max = Math.Max(max, long.Parse(e.RowKey, CultureInfo.InvariantCulture));
        return max;
    });

    /// <summary>A stored movie row: the movie, whether it is deleted, and its ETag.</summary>
    public sealed record StoredMovie(Movie Movie, bool Deleted, ETag ETag);

    public async Task<StoredMovie?> GetAsync(int id, CancellationToken cancellationToken = default)
    {
        var row = await store.Movies.GetEntityIfExistsAsync<TableEntity>(MovieStore.MoviePartition(id), MovieStore.MovieRowKey(id), cancellationToken: cancellationToken);
        return row.HasValue ? new StoredMovie(MovieStore.ToMovie(row.Value!), MovieStore.IsDeleted(row.Value!), row.Value!.ETag) : null;
    }

    /// <summary>
    /// Stores a new movie: with <paramref name="id"/> when given (<see cref="MovieWriteOutcome.IdTaken"/> when a movie,
    /// deleted ones included, has it), else with the next free id of the sequence.
    /// </summary>
    public async Task<(MovieWriteOutcome Outcome, Movie? Movie)> CreateAsync(Func<int, Movie> build, int? id, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            var movieId = id ?? checked((int)await _ids.NextAsync(cancellationToken));
            if (movieId > RatingId.MaxMovieId)
                throw new InvalidOperationException($"Movie ids are exhausted (max {RatingId.MaxMovieId}).");
            var movie = build(movieId);
            try
            {
                await store.Movies.AddEntityAsync(MovieStore.ToEntity(movie), cancellationToken);
                return (MovieWriteOutcome.Done, movie);
            }
            catch (RequestFailedException e) when (e.Status == 409)
            {
                if (id is not null)
                    return (MovieWriteOutcome.IdTaken, null);
                if (attempt >= 1000)
                    throw;
            }
        }
    }

    /// <summary>
    /// Replaces a live movie with <paramref name="change"/>(current), re-reading and re-applying when another write came
    /// between the read and the write. <see cref="MovieWriteOutcome.NotFound"/> for an unknown or deleted movie.
    /// </summary>
    public async Task<(MovieWriteOutcome Outcome, Movie? Movie)> UpdateAsync(int id, Func<Movie, Movie> change, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await GetAsync(id, cancellationToken) is not { Deleted: false } stored)
                return (MovieWriteOutcome.NotFound, null);
            var movie = change(stored.Movie) with { Id = id };
            try
            {
                await store.Movies.UpdateEntityAsync(MovieStore.ToEntity(movie), stored.ETag, TableUpdateMode.Replace, cancellationToken);
                return (MovieWriteOutcome.Done, movie);
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404 && attempt < 20)
            {
            }
        }
    }

    /// <summary>Marks a live movie deleted (its row stays as a tombstone, see <see cref="MovieStore"/>); false when there is none.</summary>
    public async Task<bool> DeleteAsync(int id, CancellationToken cancellationToken = default)
    {
        for (var attempt = 1; ; attempt++)
        {
            if (await GetAsync(id, cancellationToken) is not { Deleted: false } stored)
                return false;
            try
            {
                await store.Movies.UpdateEntityAsync(new TableEntity(MovieStore.MoviePartition(id), MovieStore.MovieRowKey(id))
                { [MovieStore.DeletedProperty] = true, ["DeletedAt"] = DateTimeOffset.UtcNow }, stored.ETag, TableUpdateMode.Merge, cancellationToken);
                return true;
            }
            catch (RequestFailedException e) when (e.Status is 412 or 404 && attempt < 20)
            {
            }
        }
    }

    /// <summary>The live movies that carry the genre (any name it answers to).</summary>
    public async Task<int> CountMoviesWithGenreAsync(GenreStore.GenreSet genres, int genreId, CancellationToken cancellationToken = default)
    {
        var count = 0;
        await foreach (var e in store.Movies.QueryAsync<TableEntity>(select: ["Genres", MovieStore.DeletedProperty], cancellationToken: cancellationToken))
            if (!MovieStore.IsDeleted(e) && GenreNames(e).Any(n => genres.Resolve(n)?.Id == genreId))
                count++;
        return count;
    }

    /// <summary>
    /// Rewrites the genre on every movie (deleted ones too) that carries it under another name than
    /// <paramref name="newName"/>, or removes it when <paramref name="newName"/> is null. Each row is written only if
    /// unchanged since the scan; a movie changed meanwhile makes the pass run again. Returns the rows written.
    /// </summary>
    public async Task<int> RewriteGenreAsync(GenreStore.GenreSet genres, int genreId, string? newName, CancellationToken cancellationToken = default)
    {
        var written = 0;
        for (var pass = 1; ; pass++)
        {
            var changes = new List<TableEntity>();
            await foreach (var e in store.Movies.QueryAsync<TableEntity>(select: ["PartitionKey", "RowKey", "Genres"], cancellationToken: cancellationToken))
            {
                var names = GenreNames(e);
                if (!names.Any(n => genres.Resolve(n)?.Id == genreId && n != newName))
                    continue;
                var rewritten = new List<string>();
                foreach (var n in names)
                {
                    var name = genres.Resolve(n)?.Id == genreId ? newName : n;
                    if (name is not null && !rewritten.Contains(name))
                        rewritten.Add(name);
                }
                changes.Add(new TableEntity(e.PartitionKey, e.RowKey) { ["Genres"] = string.Join('|', rewritten), ETag = e.ETag });
            }
            var failed = false;
            foreach (var chunk in changes.GroupBy(c => c.PartitionKey).SelectMany(p => p.Chunk(100)))
            {
                try
                {
                    await store.Movies.SubmitTransactionAsync(
                        chunk.Select(c => new TableTransactionAction(TableTransactionActionType.UpdateMerge, c, c.ETag)), cancellationToken);
                    written += chunk.Length;
                }
                catch (TableTransactionFailedException e) when (e.Status is 412 or 404 && pass < 10)
                {
                    failed = true;   // a movie of this batch changed since the scan: the next pass reads it again
                }
            }
            if (!failed)
                return written;
        }
    }

    static string[] GenreNames(TableEntity e) =>
        e.GetString("Genres") is { Length: > 0 } g ? g.Split('|') : [];
}
