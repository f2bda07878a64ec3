using System.Text;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.MovieLens;

namespace MovieRecs.Core.Tests;

public class MovieLensReaderTests
{
    [Fact]
    public void Csv_splitter_handles_quotes_commas_and_doubled_quotes()
    {
        Assert.Equal(["11", "American President, The (1995)", "Comedy|Drama|Romance"],
            CsvRecordReader.SplitLine("11,\"American President, The (1995)\",Comedy|Drama|Romance"));
        Assert.Equal(["2", "Say \"Hi\", Bob (2000)", "Drama"], CsvRecordReader.SplitLine("2,\"Say \"\"Hi\"\", Bob (2000)\",Drama"));
        Assert.Equal(["a", "", "b"], CsvRecordReader.SplitLine("a,,b"));
        Assert.Equal(["a", "b", ""], CsvRecordReader.SplitLine("a,b,"));
        Assert.Equal(["", ""], CsvRecordReader.SplitLine("\"\","));
        Assert.Equal(["5", "Foo \"Bar\" (1990)", "Drama"], CsvRecordReader.SplitLine("5,Foo \"Bar\" (1990),Drama"));
        Assert.Null(CsvRecordReader.SplitLine("1,\"unterminated,Drama"));
        Assert.Null(CsvRecordReader.SplitLine("1,\"closed\"junk,Drama"));
    }

    [Fact]
    public void Csv_reader_reads_quoted_line_breaks_and_counts_lines()
    {
        var csv = new CsvRecordReader(new StringReader("a,b\n\n1,\"two\nlines\"\n3,x\n"));
        var fields = new List<string>();
        Assert.True(csv.Read(fields, out var line, out var error));
        Assert.Equal((1, (string?)null), (line, error));
        Assert.True(csv.Read(fields, out line, out error));
        Assert.Equal(3, line);
        Assert.Equal(["1", "two\nlines"], fields);
        Assert.True(csv.Read(fields, out line, out _));
        Assert.Equal(5, line);
        Assert.False(csv.Read(fields, out _, out _));
    }

    [Fact]
    public void Movies_csv_reports_bad_lines_with_their_line_numbers_and_keeps_the_rest()
    {
        using var dir = new TempDir();
        var path = dir.File("movies.csv",
            "movieId,title,genres\n" +                                   // 1
            "1,Toy Story (1995),Adventure|Animation|Children\n" +        // 2
            "abc,Bad Id (1999),Drama\n" +                                 // 3
            "4,Too,Many,Fields\n" +                                       // 4
            "\n" +                                                        // 5 blank: silently skipped
            "5,\"American President, The (1995)\",Comedy|Drama|Romance\n" + // 6
            "1,Duplicate (2000),Drama\n" +                                // 7
            "7,\"Bad \"quote\" here (1990)\",Drama\n" +                   // 8
            "6,Nothing Listed (2001),(no genres listed)\n" +             // 9
            "8,Babylon 5,Sci-Fi\n" +                                      // 10
            "-3,Negative (2001),Drama\n" +                                // 11
            "9,\"Multi\nLine (2002)\",Drama\n" +                          // 12-13
            "0,Zero (2001),Drama");                                       // 14, no final newline
        var issues = new List<ParseIssue>();
        var movies = MovieLensReader.ReadMovies(path, issues).ToList();

        Assert.Equal([1, 5, 6, 8, 9], movies.Select(m => m.Id));
        Assert.Equal([3, 4, 7, 8, 11, 14], issues.Select(i => i.Line));
        Assert.All(issues, i => Assert.Equal(path, i.File));
        Assert.Contains("not a positive integer", issues[0].Message);
        Assert.Contains("expected 3 fields", issues[1].Message);
        Assert.Contains("more than once", issues[2].Message);

        var president = movies.Single(m => m.Id == 5);
        Assert.Equal("American President, The (1995)", president.Title);
        Assert.Equal(1995, president.Year);
        Assert.Equal(["Comedy", "Drama", "Romance"], president.Genres);
        Assert.Empty(movies.Single(m => m.Id == 6).Genres);
        Assert.Null(movies.Single(m => m.Id == 8).Year);
        Assert.Equal("Multi\nLine (2002)", movies.Single(m => m.Id == 9).Title);
    }

    [Fact]
    public void Links_and_tags_are_read_and_merged_by_LoadMovies()
    {
        using var dir = new TempDir();
        dir.File("movies.csv", "movieId,title,genres\n1,Toy Story (1995),Animation\n2,Jumanji (1995),Adventure\n3,Heat (1995),Crime\n");
        dir.File("links.csv", "movieId,imdbId,tmdbId\n1,0114709,862\n2,0113497,\n3,abc,949\n");
        dir.File("tags.csv",
            "userId,movieId,tag,timestamp\n" +
            "1,1,funny,1\n2,1,Funny,2\n3,1,funny,3\n4,1,pixar,4\n5,1, Pixar ,5\n6,1,\"toys, talking\",6\n7,1,Aardvark,7\n" +
            "1,2,x,notatime\n");
        var issues = new List<ParseIssue>();
        var movies = MovieLensReader.LoadMovies(dir.Path, issues);

        Assert.Equal([(4, "links.csv"), (9, "tags.csv")], issues.Select(i => (i.Line, Path.GetFileName(i.File))));
        var toy = movies[0];
        Assert.Equal("tt0114709", toy.ImdbId);
        Assert.Equal(862, toy.TmdbId);
        // funny ×3 (spelled "funny" twice), pixar ×2 (tie: ordinal-first spelling "Pixar"), then alphabetical
        Assert.Equal(["funny", "Pixar", "Aardvark", "toys, talking"], toy.Tags);
        Assert.Equal("tt0113497", movies[1].ImdbId);
        Assert.Null(movies[1].TmdbId);
        Assert.Null(movies[2].ImdbId);
    }

    [Fact]
    public void Detect_names_the_expected_files()
    {
        using var dir = new TempDir();
        var e = Assert.Throws<FileNotFoundException>(() => MovieLensReader.Detect(dir.Path));
        Assert.Contains("movies.csv", e.Message);
        Assert.Contains("u.item", e.Message);
        Assert.Contains("u.data", e.Message);
        Assert.Throws<DirectoryNotFoundException>(() => MovieLensReader.Detect(Path.Combine(dir.Path, "nope")));

        dir.File("u.item", "1|Toy Story (1995)|01-Jan-1995||url|0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0\n");
        Assert.Contains("u.data", Assert.Throws<FileNotFoundException>(() => MovieLensReader.Detect(dir.Path)).Message);
        dir.File("u.data", "1\t1\t5\t874965758\n");
        Assert.Equal(MovieLensLayout.Ml100k, MovieLensReader.Detect(dir.Path).Layout);
        dir.File("movies.csv", "movieId,title,genres\n");
        var latest = MovieLensReader.Detect(dir.Path);
        Assert.Equal(MovieLensLayout.Latest, latest.Layout);
        Assert.Null(latest.RatingsPath);
    }

    [Fact]
    public void U_item_is_latin1_with_genre_flags_in_ml100k_order()
    {
        using var dir = new TempDir();
        const string flagsToy = "0|0|0|1|1|1|0|0|0|0|0|0|0|0|0|0|0|0|0"; // Animation, Children's, Comedy
        const string flagsCafe = "0|0|0|0|0|0|0|0|1|0|1|0|0|0|1|1|0|0|1";  // Drama, Film-Noir, Romance, Sci-Fi, Western
        dir.File("u.item",
            $"1|Toy Story (1995)|01-Jan-1995||http://us.imdb.com/M/title-exact?Toy%20Story%20(1995)|{flagsToy}\n" +
            $"2|Café au lait (1993)|01-Jan-1993||http://x|{flagsCafe}\n" +
            "3|Short|01-Jan-1990||http://x|0|0\n" +
            "4|Bad Flag (1990)|01-Jan-1990||http://x|0|0|0|0|0|0|0|0|2|0|0|0|0|0|0|0|0|0|0\n" +
            "\n" +
            "267|unknown||||1|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0|0\n" +
            "6|No Year In Title|14-Mar-1997||http://x|0|0|0|0|0|0|0|1|0|0|0|0|0|0|0|0|0|0|0\n",
            Encoding.Latin1);
        dir.File("u.data", "196\t242\t3\t881250949\n");
        var issues = new List<ParseIssue>();
        var movies = MovieLensReader.LoadMovies(dir.Path, issues);

        Assert.Equal([1, 2, 6, 267], movies.Select(m => m.Id));
        Assert.Equal([3, 4], issues.Select(i => i.Line));
        Assert.Equal(["Animation", "Children", "Comedy"], movies[0].Genres);
        Assert.Equal("Café au lait (1993)", movies[1].Title);
        Assert.Equal(["Drama", "Film-Noir", "Romance", "Sci-Fi", "Western"], movies[1].Genres);
        Assert.Equal(1997, movies[2].Year);
        Assert.Equal(["Documentary"], movies[2].Genres);
        Assert.Empty(movies[3].Genres); // only the "unknown" flag
        Assert.Null(movies[3].ImdbId);
    }

    [Fact]
    public void U_data_is_whitespace_separated_and_validated()
    {
        using var dir = new TempDir();
        var path = dir.File("u.data",
            "196\t242\t3\t881250949\n" +   // 1
            "186 302  3.5   891717742\n" + // 2 spaces, half star
            "\n" +                        // 3
            "22\t377\t6\t878887116\n" +    // 4 rating out of range
            "x\t1\t3\t1\n" +               // 5 bad user
            "1\t2\t3\n" +                  // 6 no timestamp: allowed
            "1\t2\t3\t4\t5\n");           // 7 too many fields
        var issues = new List<ParseIssue>();
        var rows = Ml100kReader.ReadData(path, issues).ToList();
        Assert.Equal([new RatingRow(196, 242, 3f, 881250949), new RatingRow(186, 302, 3.5f, 891717742), new RatingRow(1, 2, 3f, 0)], rows);
        Assert.Equal([4, 5, 7], issues.Select(i => i.Line));
        Assert.Contains("outside 0.5..5.0", issues[0].Message);
        Assert.Contains("user id 'x'", issues[1].Message);
    }

    [Fact]
    public void Ratings_csv_validates_ratings_and_ids()
    {
        using var dir = new TempDir();
        var path = dir.File("ratings.csv",
            "\uFEFFuserId,movieId,rating,timestamp\r\n" + // 1 (BOM, CRLF)
            "1,1,4.0,964982703\r\n" +     // 2
            "1,3,4.5,964981247\r\n" +     // 3
            "1,6,3.3,964982224\r\n" +     // 4 not a half star
            "1,7,0,964982224\r\n" +       // 5 below 0.5
            "1,8,5.5,964982224\r\n" +     // 6 above 5
            "1,9,abc,964982224\r\n" +     // 7 not a number
            "-1,10,3,964982224\r\n" +     // 8 negative user
            "1,0,3,964982224\r\n" +       // 9 movie id 0
            "1,11,3\r\n" +                // 10 too few fields for the header
            "\r\n" +                      // 11 blank
            "2,12,0.5,1\r\n" +            // 12
            "2,13,5,2\r\n" +              // 13 whole stars fine
            "2,14,3.50,x\r\n" +           // 14 bad timestamp
            "99999999999,1,3,1\r\n" +     // 15 user id overflows int
            "3,15,2.5,3");                // 16 no final newline
        var issues = new List<ParseIssue>();
        var rows = RatingsFile.Read(path, issues).ToList();
        Assert.Equal([(1, 1, 4f), (1, 3, 4.5f), (2, 12, 0.5f), (2, 13, 5f), (3, 15, 2.5f)], rows.Select(r => (r.UserId, r.MovieId, r.Rating)));
        Assert.Equal(964982703, rows[0].Timestamp);
        Assert.Equal([4, 5, 6, 7, 8, 9, 10, 14, 15], issues.Select(i => i.Line));
        Assert.Contains("not a multiple of 0.5", issues[0].Message);
        Assert.Contains("outside", issues[1].Message);
        Assert.Contains("outside", issues[2].Message);
        Assert.Contains("not a number", issues[3].Message);

        var again = new List<ParseIssue>();
        Assert.Equal(rows, RatingsFile.ReadAll(path, again));
        Assert.Equal(issues, again);
    }

    [Fact]
    public void Ratings_file_detects_its_format_and_honours_header_order()
    {
        using var dir = new TempDir();
        var csv = dir.File("r.csv", "movieId,userId,rating,timestamp\n10,1,4.5,100\n");
        var data = dir.File("u.data", "1\t10\t4\t100\n");
        var dat = dir.File("ratings.dat", "1::10::5::100\n");
        var issues = new List<ParseIssue>();
        Assert.Equal([new RatingRow(1, 10, 4.5f, 100)], RatingsFile.Read(csv, issues));
        Assert.Equal([new RatingRow(1, 10, 4f, 100)], RatingsFile.Read(data, issues));
        Assert.Equal([new RatingRow(1, 10, 5f, 100)], RatingsFile.Read(dat, issues));
        Assert.Empty(issues);
        Assert.Equal(RatingsFileFormat.Csv, RatingsFile.DetectFormat(csv));
        Assert.Equal(RatingsFileFormat.Whitespace, RatingsFile.DetectFormat(data));
        Assert.Equal(RatingsFileFormat.DoubleColon, RatingsFile.DetectFormat(dat));

        var bad = dir.File("bad.csv", "foo,bar,baz\n1,2,3\n");
        Assert.Throws<InvalidDataException>(() => RatingsFile.Read(bad, issues).ToList());
        Assert.Throws<FileNotFoundException>(() => RatingsFile.Read(Path.Combine(dir.Path, "missing.csv"), issues));
    }

    [Fact]
    public void Ratings_reader_handles_a_large_file_across_buffer_boundaries()
    {
        using var dir = new TempDir();
        var sb = new StringBuilder("userId,movieId,rating,timestamp\n");
        for (var i = 1; i <= 200_000; i++)
            sb.Append(i % 500 + 1).Append(',').Append(i).Append(',').Append((i % 10 + 1) / 2.0).Append(',').Append(1_000_000_000L + i).Append('\n');
        var path = dir.File("ratings.csv", sb.ToString());
        var issues = new List<ParseIssue>();
        var rows = RatingsFile.ReadAll(path, issues);
        Assert.Empty(issues);
        Assert.Equal(200_000, rows.Count);
        for (var i = 1; i <= 200_000; i += 997)
            Assert.Equal(new RatingRow(i % 500 + 1, i, (float)((i % 10 + 1) / 2.0), 1_000_000_000L + i), rows[i - 1]);
    }

    [Theory]
    [InlineData(0.5, true)]
    [InlineData(1, true)]
    [InlineData(3.5, true)]
    [InlineData(5, true)]
    [InlineData(0, false)]
    [InlineData(5.5, false)]
    [InlineData(3.25, false)]
    [InlineData(-1, false)]
    [InlineData(double.NaN, false)]
    public void Rating_scale_is_half_stars_from_half_to_five(double rating, bool valid) =>
        Assert.Equal(valid, RatingScale.IsValid(rating));

    [Fact]
    public void Genre_lists_are_canonicalised()
    {
        Assert.Equal(["Sci-Fi", "Film-Noir", "Comedy"], MovieGenres.ParseList("sci-fi|Film-Noir| comedy |Comedy|"));
        Assert.Empty(MovieGenres.ParseList("(no genres listed)"));
        Assert.Equal(["Brand New"], MovieGenres.ParseList("Brand New"));
    }
}

public class MovieLensSmallReaderTests
{
    [MovieLensFact]
    public void Reads_ml_latest_small_completely_without_issues()
    {
        TestData.RequireMovieLensSmall();
        Assert.Empty(TestData.SmallIssues);
        Assert.Equal(9742, TestData.SmallMovies.Count);
        Assert.Equal(100836, TestData.SmallRatings.Count);
        var toy = TestData.SmallMovies[0];
        Assert.Equal((1, "Toy Story (1995)", 1995, "tt0114709", 862), (toy.Id, toy.Title, toy.Year, toy.ImdbId, toy.TmdbId));
        Assert.Equal(["Adventure", "Animation", "Children", "Comedy", "Fantasy"], toy.Genres);
        Assert.Contains(TestData.SmallMovies, m => m.Title == "American President, The (1995)");
        Assert.Contains(TestData.SmallMovies, m => m.Tags.Count > 0);
        Assert.All(TestData.SmallRatings, r => Assert.True(RatingScale.IsValid(r.Rating)));
    }
}
