using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;
using MovieRecs.Core.Store;
using MovieRecs.Core.Azurite;

namespace MovieRecs.Functions.Tests;

/// <summary>
/// An Azurite of its own holding a six-movie catalog imported with designed ratings, and the app on it:
/// <list type="bullet">
/// <item>1: one 5.0 (a single perfect rating)</item>
/// <item>2: five 3.0</item>
/// <item>3: six ratings averaging 4.5</item>
/// <item>4: twenty 2.0 (most watched, low rated)</item>
/// <item>5: ten 4.0</item>
/// <item>6: none</item>
/// </list>
/// Imported user ids go up to <see cref="MaxImportedUserId"/>.
/// </summary>
public class SmallCatalogFixture : IAsyncLifetime
{
    public const int MaxImportedUserId = 1000;

    public AzuriteProcess Azurite { get; private set; } = null!;
    public MovieStore Store { get; private set; } = null!;
    public MovieRecsFactory Factory { get; private set; } = null!;
    public HttpClient Client { get; private set; } = null!;

    public static IReadOnlyList<Movie> Movies { get; } =
    [
        Movie.Create(1, "One Perfect Rating (2001)", "Drama"),
        Movie.Create(2, "Five Threes (2002)", "Comedy"),
        Movie.Create(3, "Six Good Ones (2003)", "Drama"),
        Movie.Create(4, "Everyone Watched It (2004)", "Action"),
        Movie.Create(5, "Ten Fours (2005)", "Comedy"),
        Movie.Create(6, "Nobody Yet (2006)", "Horror"),
    ];

    public static IReadOnlyList<RatingRow> Ratings { get; } = Build();

    static List<RatingRow> Build()
    {
        var rows = new List<RatingRow>();
        void Add(int movie, params float[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                var user = movie == 5 && i == values.Length - 1 ? MaxImportedUserId : i + 1;
                rows.Add(new RatingRow(user, movie, values[i], 1_700_000_000 + rows.Count));
            }
        }
        Add(1, 5f);
        Add(2, 3f, 3f, 3f, 3f, 3f);
        Add(3, 5f, 4f, 4.5f, 5f, 4f, 4.5f);
        Add(4, Enumerable.Repeat(2f, 20).ToArray());
        Add(5, Enumerable.Repeat(4f, 10).ToArray());   // the last by user 1000
        return rows;
    }

    protected virtual Dictionary<string, string?> Settings => [];

    public async Task InitializeAsync()
    {
        Azurite = await AzuriteProcess.StartAsync(new AzuriteOptions { InMemory = true });
        Store = new MovieStore(Azurite.ConnectionString);
        await new CatalogImporter(Store).ImportAsync(new ImportData("small-test", Movies, Ratings), replace: false);
        Factory = new MovieRecsFactory(Azurite.ConnectionString, seed: false, settings: Settings);
        Client = await Factory.CreateReadyClientAsync();
    }

    public async Task DisposeAsync()
    {
        await Factory.DisposeAsync();
        await Azurite.DisposeAsync();
    }
}
