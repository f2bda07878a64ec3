using Azure.Data.Tables;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using MovieRecs.Cli.Commands;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Demo;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;
using Spectre.Console;

namespace MovieRecs.Functions.Tests;

public sealed class ImportTests : IAsyncLifetime
{
    AzuriteProcess _azurite = null!;

    public async Task InitializeAsync() => _azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });

    public async Task DisposeAsync() => await _azurite.DisposeAsync();

    static string WriteLatestLayout(Dictionary<string, string> files)
    {
        var dir = Directory.CreateTempSubdirectory("movielens-").FullName;
        foreach (var (name, text) in files)
            File.WriteAllText(Path.Combine(dir, name), text);
        return dir;
    }

    static readonly Dictionary<string, string> Small = new()
    {
        ["movies.csv"] = "movieId,title,genres\n1,Toy Story (1995),Adventure|Animation|Children|Comedy|Fantasy\n2,\"American President, The (1995)\",Comedy|Drama|Romance\nnot-a-number,Broken (2000),Drama\n3,Heat (1995),Action|Crime|Thriller\n",
        ["ratings.csv"] = "userId,movieId,rating,timestamp\n1,1,4.0,964982703\n1,2,3.5,964982704\n2,1,5.0,964982705\n2,3,7.0,964982706\n3,99,4.0,964982707\n3,3,2.5,964982708\n",
        ["links.csv"] = "movieId,imdbId,tmdbId\n1,0114709,862\n2,0112346,9087\n3,0113277,949\n",
        ["tags.csv"] = "userId,movieId,tag,timestamp\n1,1,pixar,964982703\n2,1,Pixar,964982703\n",
    };

    [Fact]
    public void Malformed_lines_and_ratings_of_unknown_movies_are_reported_with_line_numbers_and_skipped()
    {
        var issues = new List<ParseIssue>();
        var data = ImportCommand.Read(WriteLatestLayout(Small), issues);
        Assert.Equal(3, data.Movies.Count);
        Assert.Equal(4, data.Ratings.Count);
        Assert.Contains(issues, i => i.File.EndsWith("movies.csv") && i.Line == 4);
        Assert.Contains(issues, i => i.File.EndsWith("ratings.csv") && i.Line == 5);                                   // rating 7.0
        Assert.Contains(issues, i => i.File.EndsWith("ratings.csv") && i.Line == 6 && i.Message.Contains("unknown movie")); // movie 99
        var toyStory = data.Movies.Single(m => m.Id == 1);
        Assert.Equal(1995, toyStory.Year);
        Assert.Equal("tt0114709", toyStory.ImdbId);
        Assert.Equal(862, toyStory.TmdbId);
        Assert.Equal(["pixar"], toyStory.Tags.Select(t => t.ToLowerInvariant()));
    }

    [Fact]
    public async Task Import_replaces_the_demo_data_is_idempotent_and_a_running_app_serves_it_within_five_seconds()
    {
        await using var factory = new MovieRecsFactory(_azurite.ConnectionString);
        var client = await factory.CreateReadyClientAsync();
        var before = await client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies");
        Assert.Equal(DemoData.Movies().Count, before.GetProperty("total").GetInt32());

        var dir = WriteLatestLayout(Small);
        var (console, output) = Console();
        Assert.Equal(0, await ImportCommand.RunAsync(dir, _azurite.ConnectionString, replace: false, console, CancellationToken.None));
        Assert.Contains("earlier data replaced", output.ToString());
        Assert.Contains("rows/s", output.ToString());
        // within five seconds of the import's end (the import itself, which also deletes the demo data, is not the
        // app's time: on a loaded 2-core CI machine it alone could take most of the five seconds)
        var clock = Stopwatch.StartNew();

        while (true)
        {
            var page = await client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies");
            if (page.GetProperty("total").GetInt32() == 3)
                break;
            Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), "imported catalog not served within 5 s");
            await Task.Delay(100);
        }
        var avg = await client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies/1/avg-rating");
        Assert.Equal(4.5, avg.GetProperty("avg_rating").GetDouble());
        Assert.Equal(2, avg.GetProperty("total_ratings").GetInt32());
        var unrated = await client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies/2/avg-rating");
        Assert.Equal(1, unrated.GetProperty("total_ratings").GetInt32());

        // No demo rating survived next to the real ones.
        var store = new MovieStore(_azurite.ConnectionString);
        Assert.Equal(4, await CountPairRowsAsync(store));
        Assert.Equal(3, await CountAsync(store.Movies));

        // A second run finds everything in place and writes nothing (not to the rating log either).
        var logBlobs = await CountBlobsAsync(store);
        var (again, againOutput) = Console();
        Assert.Equal(0, await ImportCommand.RunAsync(dir, _azurite.ConnectionString, replace: false, again, CancellationToken.None));
        Assert.Contains(" 0 rows written", againOutput.ToString());
        Assert.Equal(4, await CountPairRowsAsync(store));
        Assert.Equal(logBlobs, await CountBlobsAsync(store));
    }

    [Fact]
    public async Task Import_reads_the_ml_100k_layout()
    {
        var dir = Directory.CreateTempSubdirectory("ml100k-").FullName;
        var flags = string.Join('|', Enumerable.Range(0, 19).Select(i => i is 3 or 4 or 5 ? "1" : "0"));
        File.WriteAllText(Path.Combine(dir, "u.item"), $"1|Toy Story (1995)|01-Jan-1995||http://imdb|{flags}\n2|GoldenEye (1995)|01-Jan-1995||http://imdb|0|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0|1|0|0\n", System.Text.Encoding.Latin1);
        File.WriteAllText(Path.Combine(dir, "u.data"), "196\t1\t3\t881250949\n186\t2\t5\t891717742\n");
        var result = await ImportCommand.RunAsync(dir, _azurite.ConnectionString, replace: true, Console().Console, CancellationToken.None);
        Assert.Equal(0, result);
        var store = new MovieStore(_azurite.ConnectionString);
        var movies = await store.LoadMoviesAsync();
        Assert.Equal(["Animation", "Children", "Comedy"], movies.Single(m => m.Id == 1).Genres);
        Assert.Equal(5, (await Stored.StatsAsync(store, 2)).AverageRating);
    }

    [Fact]
    public async Task Replace_wipes_earlier_imported_data_and_a_plain_import_keeps_it()
    {
        var store = new MovieStore(_azurite.ConnectionString);
        Assert.Equal(0, await ImportCommand.RunAsync(WriteLatestLayout(Small), _azurite.ConnectionString, replace: false, Console().Console, CancellationToken.None));
        var other = WriteLatestLayout(new()
        {
            ["movies.csv"] = "movieId,title,genres\n10,Alien (1979),Horror|Sci-Fi\n",
            ["ratings.csv"] = "userId,movieId,rating,timestamp\n7,10,4.5,964982703\n",
        });

        // Real data is never replaced implicitly: a second data set is merged in.
        Assert.Equal(0, await ImportCommand.RunAsync(other, _azurite.ConnectionString, replace: false, Console().Console, CancellationToken.None));
        Assert.Equal([1, 2, 3, 10], (await store.LoadMoviesAsync()).Select(m => m.Id).Order());

        Assert.Equal(4 + 1, (await store.Log.ReadRatingsAsync()).Ratings.Length);

        Assert.Equal(0, await ImportCommand.RunAsync(other, _azurite.ConnectionString, replace: true, Console().Console, CancellationToken.None));
        Assert.Equal([10], (await store.LoadMoviesAsync()).Select(m => m.Id));
        Assert.Equal(1, await CountPairRowsAsync(store));
        Assert.Equal(0, (await Stored.StatsAsync(store, 1)).Count);
        // The rating log was replaced with the data: training sees only the new rating.
        Assert.Equal([new RatingRow(7, 10, 4.5f, 964982703)], (await store.Log.ReadRatingsAsync()).Ratings);
    }

    [Fact]
    public async Task Seeding_can_be_turned_off()
    {
        await using var factory = new MovieRecsFactory(_azurite.ConnectionString, seed: false);
        var client = await factory.CreateReadyClientAsync();
        var page = await client.GetFromJsonAsync<JsonElement>("/api/rest/v1/movies");
        Assert.Equal(0, page.GetProperty("total").GetInt32());
        Assert.Null(await new MovieStore(_azurite.ConnectionString).GetCatalogStateAsync());
    }

    [MovieLensFact]
    public async Task Import_of_ml_latest_small_matches_the_files()
    {
        var dir = TestData.MovieLensSmall ?? throw new InvalidOperationException("MOVIERECS_REQUIRE_DATA=1 but ml-latest-small was not found");
        Assert.Equal(0, await ImportCommand.RunAsync(dir, _azurite.ConnectionString, replace: true, Console().Console, CancellationToken.None));
        var store = new MovieStore(_azurite.ConnectionString);
        var state = await store.GetCatalogStateAsync();
        Assert.Equal(9742, state!.MovieCount);
        Assert.Equal(100836, state.RatingCount);

        var ratings = RatingsFile.ReadAll(Path.Combine(dir, "ratings.csv"), []);
        foreach (var movieId in new[] { 1, 318, 2571 })
        {
            var mine = ratings.Where(r => r.MovieId == movieId).ToList();
            var stats = await Stored.StatsAsync(store, movieId);
            Assert.Equal(mine.Count, stats.Count);
            Assert.Equal(mine.Average(r => (double)r.Rating), stats.AverageRating!.Value, 9);
        }
        Assert.Equal(610, await CountAsync(store.Users));

        // The rating log replays to exactly the file (what training reads).
        var (logged, info) = await store.Log.ReadRatingsAsync();
        Assert.Equal(ratings.OrderBy(r => (r.UserId, r.MovieId)), logged.OrderBy(r => (r.UserId, r.MovieId)));
        Assert.Equal(0, info.Malformed);
    }

    static ImportData MergeData(double rating) => new("merge-test",
        [Movie.Create(1, "A (2000)", "Drama"), Movie.Create(2, "B (2001)", "Drama")],
        [new RatingRow(5, 1, (float)rating, 1_700_000_000), new RatingRow(6, 2, 3f, 1_700_000_001)]);

    /// <summary>An import into a catalog that users already rated (not --replace) merges the file's ratings into the stored ones.</summary>
    [Fact]
    public async Task A_re_import_that_changes_a_rating_keeps_the_review_the_user_wrote()
    {
        var store = new MovieStore(_azurite.ConnectionString);
        await new CatalogImporter(store).ImportAsync(MergeData(4), replace: false);
        var ratings = new RatingStore(store);
        await ratings.ApplyAsync(1, new PairChange(5, PairChangeKind.Edit, double.NaN, 1_700_000_100, "Better the second time."));
        Assert.Equal("Better the second time.", (await Stored.RowAsync(store, 5, 1))!.GetString(RatingRows.Review));

        await new CatalogImporter(store).ImportAsync(MergeData(2.5), replace: false);
        var row = (await Stored.RowAsync(store, 5, 1))!;
        Assert.Equal(2.5, row.GetDouble(RatingRows.Rating));
        Assert.Equal("Better the second time.", row.GetString(RatingRows.Review));
        Assert.Null((await Stored.RowAsync(store, 6, 2))!.GetString(RatingRows.Review));
    }

    static async Task<int> CountPairRowsAsync(MovieStore store)
    {
        var n = 0;
        foreach (var table in store.RatingsTables)
            await foreach (var _ in table.QueryAsync<TableEntity>(MovieStore.AllPairsFilter))
                n++;
        return n;
    }

    static async Task<int> CountBlobsAsync(MovieStore store)
    {
        var n = 0;
        await foreach (var _ in store.Log.Container.GetBlobsAsync())
            n++;
        return n;
    }

    static (IAnsiConsole Console, StringWriter Output) Console()
    {
        var output = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = AnsiSupport.No,
            Interactive = InteractionSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
        });
        console.Profile.Width = 200;
        return (console, output);
    }

    static async Task<int> CountAsync(Azure.Data.Tables.TableClient table)
    {
        var n = 0;
        await foreach (var _ in table.QueryAsync<TableEntity>(select: ["PartitionKey"]))
            n++;
        return n;
    }
}
