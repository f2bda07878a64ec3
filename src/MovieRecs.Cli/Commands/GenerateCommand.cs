using System.Buffers.Text;
using System.CommandLine;
using System.Diagnostics;
using System.Text;

namespace MovieRecs.Cli.Commands;

/// <summary>
/// <c>movierecs generate</c>: a synthetic data set in the MovieLens layout (movies.csv, ratings.csv) from a latent-taste
/// model with popularity skew. Deterministic for a seed (every user draws from its own seeded generator, so the thread
/// count does not matter); streamed to disk block by block.
/// </summary>
/// <remarks>
/// Model: 8 latent taste dimensions; each movie has a taste vector, a log-normal popularity, a quality bias, a release
/// year and 1–3 genres tied to its strongest tastes; each user has a taste vector, a rating bias and a log-normal
/// activity (scaled so the ratings add up exactly to --ratings). A user picks movies by popularity (alias sampling) and
/// keeps them with a probability rising with taste agreement; the rating is 3.5 + user bias + movie bias + taste
/// agreement + noise, rounded to half stars (whole stars for some users). Ratings come in sessions: seconds to minutes
/// apart within a session, days to months between sessions.
/// </remarks>
public static class GenerateCommand
{
    const int Dims = 8;

    static readonly string[] s_genres =
    [
        "Action", "Adventure", "Animation", "Children", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "IMAX", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    static readonly string[] s_adjectives =
    [
        "Silent", "Crimson", "Last", "Hidden", "Broken", "Golden", "Endless", "Secret", "Wild", "Lonely", "Dark", "Bright",
        "Frozen", "Burning", "Distant", "Forgotten", "Electric", "Midnight", "Savage", "Gentle", "Hollow", "Iron", "Velvet",
        "Restless", "Quiet", "Scarlet", "Northern", "Lost", "Little", "Great",
    ];

    static readonly string[] s_nouns =
    [
        "River", "Empire", "Garden", "Stranger", "Harbor", "Machine", "Summer", "Kingdom", "Promise", "Signal", "Mirror",
        "Frontier", "Detective", "Symphony", "Island", "Storm", "Letter", "Station", "Orchard", "Voyage", "Horizon",
        "Shadow", "Circus", "Witness", "Compass", "Lantern", "Canyon", "Dancer", "Citadel", "Engine",
    ];

    public static Command Create()
    {
        var users = new Option<int>("--users") { Description = "Number of users", DefaultValueFactory = _ => 1000 };
        var movies = new Option<int>("--movies") { Description = "Number of movies", DefaultValueFactory = _ => 2000 };
        var ratings = new Option<long>("--ratings") { Description = "Number of ratings (exact)", DefaultValueFactory = _ => 100_000 };
        var seed = new Option<int>("--seed") { Description = "Random seed: the same seed writes the same files", DefaultValueFactory = _ => 42 };
        var output = new Option<DirectoryInfo>("--out") { Description = "Directory to write movies.csv and ratings.csv into", Required = true };
        var command = new Command("generate", "Generate a synthetic MovieLens-layout data set (movies.csv, ratings.csv) from a latent-taste model")
        {
            users, movies, ratings, seed, output,
        };
        command.SetAction((p, ct) =>
        {
            try
            {
                var sw = Stopwatch.StartNew();
                Generate(p.GetValue(users), p.GetValue(movies), p.GetValue(ratings), p.GetValue(seed), p.GetValue(output)!.FullName, ct);
                Console.WriteLine($"wrote {p.GetValue(ratings):N0} ratings of {p.GetValue(users):N0} users on {p.GetValue(movies):N0} movies to {p.GetValue(output)!.FullName} in {sw.Elapsed.TotalSeconds:F1} s");
                return Task.FromResult(0);
            }
            catch (Exception e) when (e is ArgumentException or IOException or UnauthorizedAccessException)
            {
                Console.Error.WriteLine($"error: {e.Message}");
                return Task.FromResult(2);
            }
        });
        return command;
    }

    /// <summary>Writes <c>movies.csv</c> and <c>ratings.csv</c> into <paramref name="directory"/>.</summary>
    public static void Generate(int userCount, int movieCount, long ratingCount, int seed, string directory, CancellationToken ct = default)
    {
        if (userCount < 1 || movieCount < 1)
            throw new ArgumentException("--users and --movies must be at least 1");
        if (ratingCount < 0 || ratingCount > (long)userCount * movieCount * 8 / 10)
            throw new ArgumentException($"--ratings must be between 0 and 80% of users × movies ({(long)userCount * movieCount * 8 / 10:N0})");
        Directory.CreateDirectory(directory);
        var world = new World(movieCount, seed);
        WriteMovies(world, Path.Combine(directory, "movies.csv"));
        var counts = Activity(userCount, movieCount, ratingCount, seed);

        using var file = new FileStream(Path.Combine(directory, "ratings.csv"), FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20);
        file.Write("userId,movieId,rating,timestamp\n"u8);
        const int blockUsers = 1024;
        var blocks = (userCount + blockUsers - 1) / blockUsers;
        var batch = Math.Max(1, Environment.ProcessorCount * 2);
        for (var b0 = 0; b0 < blocks; b0 += batch)
        {
            ct.ThrowIfCancellationRequested();
            var n = Math.Min(batch, blocks - b0);
            var buffers = new MemoryStream[n];
            Parallel.For(0, n, t =>
            {
                var block = b0 + t;
                var ms = new MemoryStream();
                var user = new UserGenerator(world);
                for (var u = block * blockUsers; u < Math.Min(userCount, (block + 1) * blockUsers); u++)
                    user.Write(u + 1, counts[u], seed, ms);
                buffers[t] = ms;
            });
            foreach (var ms in buffers)
                file.Write(ms.GetBuffer(), 0, (int)ms.Length);
        }
    }

    /// <summary>Ratings per user: log-normal activity scaled to the exact total, at most 80% of the movies each.</summary>
    static int[] Activity(int users, int movies, long total, int seed)
    {
        var rng = new Rng(Mix((ulong)seed, 0xAC71));
        var weight = new double[users];
        double sum = 0;
        for (var u = 0; u < users; u++)
            sum += weight[u] = Math.Exp(1.0 * rng.Gaussian());
        var cap = Math.Max(1, movies * 8 / 10);
        var counts = new int[users];
        var minimum = (int)Math.Min(Math.Min(5, total / users), cap);
        long assigned = 0;
        for (var u = 0; u < users; u++)
        {
            counts[u] = (int)Math.Clamp(minimum + (total - (long)minimum * users) * weight[u] / sum, minimum, cap);
            assigned += counts[u];
        }
        // hand out (or take back) the remainder one by one, cycling over users in a fixed order
        var order = Enumerable.Range(0, users).OrderByDescending(u => weight[u]).ToArray();
        for (var t = 0; assigned != total; t = (t + 1) % users)
        {
            var u = order[t];
            if (assigned < total && counts[u] < cap)
            {
                counts[u]++;
                assigned++;
            }
            else if (assigned > total && counts[u] > minimum)
            {
                counts[u]--;
                assigned--;
            }
        }
        return counts;
    }

    static void WriteMovies(World w, string path)
    {
        using var writer = new StreamWriter(path, false, new UTF8Encoding(false), 1 << 16);
        writer.Write("movieId,title,genres\n");
        var rng = new Rng(Mix(w.Seed, 0x717E));
        for (var j = 0; j < w.Movies; j++)
        {
            var title = $"{s_adjectives[rng.Next(s_adjectives.Length)]} {s_nouns[rng.Next(s_nouns.Length)]}";
            if (rng.Next(4) == 0)
                title = "The " + title;
            if (rng.Next(7) == 0)
                title += " " + (2 + rng.Next(3));
            writer.Write($"{j + 1},{title} ({w.Year[j]}),{w.Genres[j]}\n");
        }
    }

    /// <summary>The movies: taste vectors, popularity (alias table), quality bias, release year and genres.</summary>
    sealed class World
    {
        public readonly int Movies;
        public readonly ulong Seed;
        public readonly float[] Taste;
        public readonly float[] Bias;
        public readonly int[] Year;
        public readonly string[] Genres;
        readonly double[] _prob;
        readonly int[] _alias;

        public World(int movies, int seed)
        {
            Movies = movies;
            Seed = (ulong)(uint)seed;
            var rng = new Rng(Mix(Seed, 0xF11));
            Taste = new float[movies * Dims];
            Bias = new float[movies];
            Year = new int[movies];
            Genres = new string[movies];
            var popularity = new double[movies];
            for (var j = 0; j < movies; j++)
            {
                for (var f = 0; f < Dims; f++)
                    Taste[j * Dims + f] = (float)rng.Gaussian();
                var fame = rng.Gaussian();
                popularity[j] = Math.Exp(1.7 * fame);
                Bias[j] = (float)(0.4 * rng.Gaussian() + 0.12 * fame);
                // ids follow release order, more movies in recent years
                Year[j] = 1930 + (int)(93 * Math.Sqrt((j + rng.Uniform()) / movies));
                Genres[j] = PickGenres(Taste.AsSpan(j * Dims, Dims), ref rng);
            }
            (_prob, _alias) = BuildAlias(popularity);
        }

        static string PickGenres(ReadOnlySpan<float> taste, ref Rng rng)
        {
            // genre g leans on dimension g % Dims (sign alternating); take the best 1–3 with a little noise
            var scores = new double[s_genres.Length];
            for (var g = 0; g < scores.Length; g++)
                scores[g] = (g / Dims % 2 == 0 ? 1 : -1) * taste[g % Dims] + 0.8 * rng.Gaussian();
            var order = Enumerable.Range(0, scores.Length).OrderByDescending(g => scores[g]).ToArray();
            var count = 1 + rng.Next(3);
            return string.Join('|', order.Take(count).Order().Select(g => s_genres[g]));
        }

        /// <summary>A movie index drawn by popularity (Walker's alias method).</summary>
        public int SamplePopular(ref Rng rng)
        {
            var j = rng.Next(Movies);
            return rng.Uniform() < _prob[j] ? j : _alias[j];
        }

        static (double[], int[]) BuildAlias(double[] weight)
        {
            var n = weight.Length;
            var sum = weight.Sum();
            var prob = new double[n];
            var alias = new int[n];
            var scaled = weight.Select(x => x * n / sum).ToArray();
            var small = new Stack<int>();
            var large = new Stack<int>();
            for (var i = n - 1; i >= 0; i--)
                (scaled[i] < 1 ? small : large).Push(i);
            while (small.Count > 0 && large.Count > 0)
            {
                int s = small.Pop(), l = large.Pop();
                prob[s] = scaled[s];
                alias[s] = l;
                scaled[l] = scaled[l] + scaled[s] - 1;
                (scaled[l] < 1 ? small : large).Push(l);
            }
            while (large.Count > 0)
                prob[large.Pop()] = 1;
            while (small.Count > 0)
                prob[small.Pop()] = 1;
            return (prob, alias);
        }
    }

    /// <summary>Generates one user's ratings into a byte buffer; reusable across users (its scratch is per thread).</summary>
    sealed class UserGenerator(World world)
    {
        readonly bool[] _chosen = new bool[world.Movies];
        readonly List<int> _picked = [];
        readonly byte[] _line = new byte[64];

        public void Write(int userId, int count, int seed, MemoryStream output)
        {
            var rng = new Rng(Mix((ulong)(uint)seed, (ulong)userId));
            Span<float> taste = stackalloc float[Dims];
            for (var f = 0; f < Dims; f++)
                taste[f] = (float)rng.Gaussian();
            var bias = 0.4 * rng.Gaussian();
            var wholeStars = rng.Next(10) < 4;
            var pickiness = 0.5 + rng.Uniform(); // how strongly taste drives what the user watches

            // which movies: popularity proposals accepted by taste agreement; uniform proposals once popular ones run out
            _picked.Clear();
            var misses = 0;
            while (_picked.Count < count)
            {
                var j = misses < 64 ? world.SamplePopular(ref rng) : rng.Next(world.Movies);
                if (_chosen[j])
                {
                    misses++;
                    continue;
                }
                var agreement = Dot(taste, world.Taste.AsSpan(j * Dims, Dims)) / MathF.Sqrt(Dims);
                if (rng.Uniform() > 1 / (1 + Math.Exp(-pickiness * 2 * agreement)))
                    continue;
                misses = 0;
                _chosen[j] = true;
                _picked.Add(j);
            }

            // when: sessions of a few to a few dozen ratings, seconds apart; sessions days to months apart
            var t = 946_684_800L + (long)(rng.Uniform() * (1_700_000_000L - 946_684_800L)); // 2000 .. 2023
            var sessionLeft = 1 + (int)(-Math.Log(1 - rng.Uniform()) * 15);
            foreach (var j in _picked)
            {
                if (sessionLeft-- == 0)
                {
                    t += 3600 + (long)(-Math.Log(1 - rng.Uniform()) * 30 * 86400);
                    sessionLeft = (int)(-Math.Log(1 - rng.Uniform()) * 15);
                }
                else
                    t += 15 + rng.Next(150);
                var agreement = Dot(taste, world.Taste.AsSpan(j * Dims, Dims)) / MathF.Sqrt(Dims);
                var r = 3.5 + bias + world.Bias[j] + 0.55 * agreement + 0.55 * rng.Gaussian();
                var stars = wholeStars ? Math.Round(r) : Math.Round(r * 2) / 2;
                stars = Math.Clamp(stars, wholeStars ? 1 : 0.5, 5);
                WriteLine(output, userId, j + 1, stars, t);
                _chosen[j] = false;
            }
        }

        void WriteLine(MemoryStream output, int user, int movie, double stars, long time)
        {
            var span = _line.AsSpan();
            var n = 0;
            Utf8Formatter.TryFormat(user, span, out var w);
            n += w;
            span[n++] = (byte)',';
            Utf8Formatter.TryFormat(movie, span[n..], out w);
            n += w;
            span[n++] = (byte)',';
            var halves = (int)Math.Round(stars * 2);
            span[n++] = (byte)('0' + halves / 2);
            span[n++] = (byte)'.';
            span[n++] = (byte)(halves % 2 == 0 ? '0' : '5');
            span[n++] = (byte)',';
            Utf8Formatter.TryFormat(time, span[n..], out w);
            n += w;
            span[n++] = (byte)'\n';
            output.Write(span[..n]);
        }

        static float Dot(ReadOnlySpan<float> a, ReadOnlySpan<float> b)
        {
            float s = 0;
            for (var i = 0; i < a.Length; i++)
                s += a[i] * b[i];
            return s;
        }
    }

    static ulong Mix(ulong a, ulong b)
    {
        var x = a * 0x9E3779B97F4A7C15UL ^ b;
        x ^= x >> 30;
        x *= 0xBF58476D1CE4E5B9UL;
        x ^= x >> 27;
        x *= 0x94D049BB133111EBUL;
        return x ^ (x >> 31);
    }

    /// <summary>SplitMix64: small, fast, and the same on every platform.</summary>
    struct Rng(ulong seed)
    {
        ulong _state = seed;

        public ulong NextUInt64()
        {
            var z = _state += 0x9E3779B97F4A7C15UL;
            z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
            z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
            return z ^ (z >> 31);
        }

        public double Uniform() => (NextUInt64() >> 11) * (1.0 / (1UL << 53));

        public int Next(int n) => (int)((NextUInt64() >> 33) * (ulong)n >> 31);

        public double Gaussian()
        {
            var u1 = 1.0 - Uniform();
            var u2 = Uniform();
            return Math.Sqrt(-2 * Math.Log(u1)) * Math.Cos(2 * Math.PI * u2);
        }
    }
}
