using System.Globalization;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Core.Demo;

/// <summary>A demo user's tastes, as the rating generator drew them.</summary>
/// <param name="UserId">1-based user id.</param>
/// <param name="FavouriteGenres">Genres the user rates well above their usual.</param>
/// <param name="DislikedGenres">Genres the user rates well below their usual.</param>
/// <param name="RatingCount">How many movies the user rated.</param>
public sealed record DemoUserProfile(int UserId, IReadOnlyList<string> FavouriteGenres, IReadOnlyList<string> DislikedGenres, int RatingCount);

/// <summary>
/// The project's own demo data: a catalog of well-known films (title, year and genres written by the project,
/// no MovieLens data) and synthetic ratings from a seeded latent-taste model.
/// </summary>
/// <remarks>
/// The rating model: each movie has a quality, its genres and four latent factors; its popularity (how often it
/// gets picked) is heavy-tailed and correlates with quality. Each user has a rating bias, an affinity per genre
/// (one or two favourites strongly positive, one disliked strongly negative), four latent factors and an activity
/// level (heavy-tailed: most rate 10-30 movies, a few up to 150). A user picks movies by popularity weighted
/// towards liked genres, and rates each
/// <c>3.2 + bias + quality + 0.9·genre affinity + factors·factors + noise</c> (genre affinity: the sum over the
/// movie's genres divided by √(genre count)), rounded to half stars and
/// clamped to 0.5..5. Everything derives from the seed, so the same seed gives the same ratings; each user is
/// generated from (seed, user id) alone, so asking for more users keeps the first ones unchanged.
/// </remarks>
public static class DemoData
{
    /// <summary>The "now" timestamps count back from when none is given: 2025-01-01T00:00Z.</summary>
    public static DateTimeOffset DefaultEpoch { get; } = new(2025, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>Name of the embedded demo catalog (id,title,year,genres; title without the year).</summary>
    public const string ResourceName = "MovieRecs.Core.Demo.demo-movies.csv";

    const int Factors = 4;
    const double GlobalMean = 3.2;
    const double NoiseSd = 0.55;
    const double GenreWeight = 0.9;
    const long Window = 730L * 24 * 3600; // ratings spread over two years before "now"

    static readonly Lazy<IReadOnlyList<Movie>> s_movies = new(LoadMovies);

    /// <summary>The demo catalog, ordered by id. Titles follow the "Title (Year)" convention: "The Matrix (1999)".</summary>
    public static IReadOnlyList<Movie> Movies() => s_movies.Value;

    /// <summary>Synthetic ratings for <paramref name="users"/> users, timestamps in the two years before <see cref="DefaultEpoch"/>.</summary>
    public static IReadOnlyList<RatingRow> Ratings(int users = 320, int seed = 7) => Ratings(users, seed, DefaultEpoch);

    /// <summary>Synthetic ratings for <paramref name="users"/> users, timestamps in the two years before <paramref name="now"/>.</summary>
    public static IReadOnlyList<RatingRow> Ratings(int users, int seed, DateTimeOffset now) => Generate(users, seed, now).Ratings;

    /// <summary>The taste profiles behind <see cref="Ratings(int, int)"/> for the same users and seed.</summary>
    public static IReadOnlyList<DemoUserProfile> Users(int users = 320, int seed = 7) => Generate(users, seed, DefaultEpoch).Profiles;

    static (List<RatingRow> Ratings, List<DemoUserProfile> Profiles) Generate(int users, int seed, DateTimeOffset now)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(users);
        var movies = Movies();
        var genres = MovieGenres.MovieLens.Where(g => g != "IMAX").ToArray();
        var genreIndex = genres.Select((g, i) => (g, i)).ToDictionary(p => p.g, p => p.i, StringComparer.Ordinal);
        var movieGenres = movies.Select(m => m.Genres.Where(genreIndex.ContainsKey).Select(g => genreIndex[g]).ToArray()).ToArray();

        // movies: quality, latent factors, popularity
        var rng = new SplitMix(Mix((ulong)(uint)seed, 0x6d6f76696573UL));
        var quality = new double[movies.Count];
        var factors = new double[movies.Count, Factors];
        var logPopularity = new double[movies.Count];
        for (var m = 0; m < movies.Count; m++)
        {
            quality[m] = 0.45 * rng.Normal();
            for (var f = 0; f < Factors; f++)
                factors[m, f] = 0.45 * rng.Normal();
            logPopularity[m] = 1.0 * (0.8 * quality[m] / 0.45 + 0.9 * rng.Normal());
        }

        var ratings = new List<RatingRow>(users * 40);
        var profiles = new List<DemoUserProfile>(users);
        var end = now.ToUnixTimeSeconds();
        var affinity = new double[genres.Length];
        var userFactors = new double[Factors];
        var keys = new double[movies.Count];
        var order = new int[movies.Count];
        var rows = new List<RatingRow>();
        for (var u = 1; u <= users; u++)
        {
            var r = new SplitMix(Mix((ulong)(uint)seed, (ulong)u));
            var bias = 0.35 * r.Normal();
            for (var g = 0; g < genres.Length; g++)
                affinity[g] = 0.3 * r.Normal();
            var favourites = new List<string>();
            var favouriteCount = r.NextDouble() < 0.5 ? 1 : 2;
            while (favourites.Count < favouriteCount)
            {
                var g = r.Next(genres.Length);
                if (favourites.Contains(genres[g]))
                    continue;
                favourites.Add(genres[g]);
                affinity[g] = 1.0 + 0.3 * r.NextDouble();
            }
            string disliked;
            while (true)
            {
                var g = r.Next(genres.Length);
                if (favourites.Contains(genres[g]))
                    continue;
                disliked = genres[g];
                affinity[g] = -1.0 - 0.3 * r.NextDouble();
                break;
            }
            for (var f = 0; f < Factors; f++)
                userFactors[f] = 0.45 * r.Normal();
            // heavy-tailed activity: Pareto(1.3) from 10, capped at 150
            var count = (int)Math.Min(150, Math.Floor(10 * Math.Pow(1 - r.NextDouble(), -1 / 1.3)));
            count = Math.Min(count, movies.Count);

            // pick movies: popularity × genre liking, without replacement (Efraimidis-Spirakis keys)
            for (var m = 0; m < movies.Count; m++)
            {
                var weight = Math.Exp(logPopularity[m] + 0.9 * GenreAffinity(movieGenres[m], affinity));
                keys[m] = Math.Log(1 - r.NextDouble()) / weight; // larger is better (closer to 0)
                order[m] = m;
            }
            Array.Sort(keys, order);
            var joined = end - (long)(r.NextDouble() * Window);
            rows.Clear();
            for (var i = 0; i < count; i++)
            {
                var m = order[movies.Count - 1 - i];
                var dot = 0.0;
                for (var f = 0; f < Factors; f++)
                    dot += userFactors[f] * factors[m, f];
                var value = GlobalMean + bias + quality[m] + GenreWeight * GenreAffinity(movieGenres[m], affinity) + dot + NoiseSd * r.Normal();
                var stars = (float)(Math.Clamp(Math.Round(value * 2), 1, 10) / 2);
                var ts = joined + (long)(r.NextDouble() * (end - joined));
                rows.Add(new RatingRow(u, movies[m].Id, stars, ts));
            }
            rows.Sort((a, b) => a.Timestamp != b.Timestamp ? a.Timestamp.CompareTo(b.Timestamp) : a.MovieId.CompareTo(b.MovieId));
            ratings.AddRange(rows);
            profiles.Add(new DemoUserProfile(u, favourites, [disliked], count));
        }
        return (ratings, profiles);
    }

    /// <summary>The user's affinity for a movie's genres: their sum over √(number of genres), so a
    /// favourite genre counts for much even in a movie with several genres.</summary>
    static double GenreAffinity(int[] genres, double[] affinity)
    {
        if (genres.Length == 0)
            return 0;
        var sum = 0.0;
        foreach (var g in genres)
            sum += affinity[g];
        return sum / Math.Sqrt(genres.Length);
    }

    static List<Movie> LoadMovies()
    {
        using var stream = typeof(DemoData).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing.");
        using var reader = new StreamReader(stream);
        var csv = new CsvRecordReader(reader);
        var fields = new List<string>();
        var movies = new List<Movie>();
        var header = true;
        while (csv.Read(fields, out var line, out var error))
        {
            if (error is not null || fields.Count != 4)
                throw new InvalidDataException($"{ResourceName} line {line}: {error ?? "expected id,title,year,genres"}");
            if (header)
            {
                header = false;
                continue;
            }
            var id = int.Parse(fields[0], CultureInfo.InvariantCulture);
            var year = int.Parse(fields[2], CultureInfo.InvariantCulture);
            var title = $"{fields[1].Trim()} ({year})";
            movies.Add(new Movie(id, title, year, MovieGenres.ParseList(fields[3]), null, null, [], null));
        }
        movies.Sort((a, b) => a.Id.CompareTo(b.Id));
        return movies;
    }

    static ulong Mix(ulong a, ulong b)
    {
        var x = a * 0x9E3779B97F4A7C15UL ^ (b + 0x632BE59BD9B4E019UL);
        x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9UL;
        x = (x ^ (x >> 27)) * 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>SplitMix64: small, fast, and the same on every platform and .NET version (System.Random makes no such promise).</summary>
    struct SplitMix(ulong state)
    {
        ulong _state = state;
        double? _spare;

        public ulong NextULong()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        /// <summary>Uniform in [0, 1).</summary>
        public double NextDouble() => (NextULong() >> 11) * (1.0 / (1UL << 53));

        /// <summary>Uniform in [0, n).</summary>
        public int Next(int n) => (int)(NextDouble() * n);

        /// <summary>Standard normal (Box-Muller).</summary>
        public double Normal()
        {
            if (_spare is { } s)
            {
                _spare = null;
                return s;
            }
            var u1 = 1 - NextDouble();
            var u2 = NextDouble();
            var radius = Math.Sqrt(-2 * Math.Log(u1));
            _spare = radius * Math.Sin(2 * Math.PI * u2);
            return radius * Math.Cos(2 * Math.PI * u2);
        }
    }
}
