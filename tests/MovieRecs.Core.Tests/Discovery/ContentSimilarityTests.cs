using MovieRecs.Core.Catalog;
using MovieRecs.Core.Discovery;

namespace MovieRecs.Core.Tests.Discovery;

public class ContentSimilarityTests
{
    static Movie M(int id, string title, string genres, params string[] tags) =>
        Movie.Create(id, title, MovieGenres.ParseList(genres)) with { Tags = tags };

    static readonly Movie[] s_small =
    [
        M(1, "Toy Story (1995)", "Animation|Children|Comedy", "pixar", "fun"),
        M(2, "Toy Story 2 (1999)", "Animation|Children|Comedy", "Pixar"),
        M(3, "Story of Us, The (1999)", "Comedy|Romance"),
        M(4, "Heat (1995)", "Action|Crime"),
        M(5, "Alien (1979)", "Horror|Sci-Fi", "space"),
        M(6, "Aliens (1986)", "Action|Horror|Sci-Fi", "space", "sequel"),
        M(7, "Antz (1998)", "Animation|Children|Comedy"),
        M(8, "Madagascar (2005)", "Animation|Children|Comedy"),
        M(9, "Love Story (1970)", "Drama|Romance"),
    ];

    [Fact]
    public void TitleWordsLeaveOutYearStopWordsAndSequelNumbers()
    {
        // nothing but the titles links these movies
        var c = ContentSimilarity.Build(
        [
            M(1, "Toy Story 2 (1999)", ""), M(2, "Toy Story (1995)", ""),
            M(3, "Godfather: Part II, The (1974)", ""), M(4, "Godfather, The (1972)", ""),
            M(5, "2001: A Space Odyssey (1968)", ""), M(6, "Space Is the Place (1974)", ""), M(7, "2001 Maniacs (2005)", ""),
            M(8, "Amélie (Fabuleux destin d'Amélie Poulain, Le) (2001)", ""), M(9, "Amelie Again (2003)", ""),
            M(10, "Part 2 (1999)", ""),
        ]);
        Assert.Equal("title: 'story', 'toy'", c.Reason(1, 2)); // equally rare here: alphabetical
        Assert.Equal("title: 'godfather'", c.Reason(3, 4));
        Assert.Equal("title: 'space'", c.Reason(5, 6));
        Assert.Equal("title: '2001'", c.Reason(5, 7));
        Assert.Equal("title: 'amelie'", c.Reason(8, 9));
        // "part" and a sequel number are all it has: it matches nothing, not even the other sequels
        Assert.Empty(c.Similar(10, 5));
        Assert.Equal([2], c.Similar(1, 5).Select(h => h.MovieId));
    }

    [Fact]
    public void TagsWrittenDifferentlyAreOneShownAsFirstWritten()
    {
        var c = ContentSimilarity.Build(
        [
            M(1, "Alien (1979)", "", "Sci-Fi", "Ridley Scott"),
            M(2, "Blade Runner (1982)", "", "scifi", "RIDLEY SCOTT"),
            M(3, "Heat (1995)", "", "!!!"),
            M(4, "Ronin (1998)", "", "!!!"),
        ]);
        Assert.Equal("tagged 'Ridley Scott', 'Sci-Fi'", c.Reason(2, 1));
        // a tag of punctuation only is no tag
        Assert.Empty(c.Similar(3, 5));
    }

    [Fact]
    public void ACatalogWithoutTagsOrTitleWordsStillBuilds()
    {
        // the demo catalog has no tags; these titles are stop words only
        var c = ContentSimilarity.Build([M(1, "The (2000)", "Drama"), M(2, "A (2001)", "Drama|Comedy"), M(3, "An (2002)", "Horror")]);
        var hit = Assert.Single(c.Similar(1, 5));
        Assert.Equal(2, hit.MovieId);
        Assert.Equal("shares Drama", hit.Reason);
    }

    [Fact]
    public void SharedGenresTagsAndTitleWordsRankAndExplain()
    {
        var c = ContentSimilarity.Build(s_small);
        var hits = c.Similar(1, 10);
        Assert.Equal(2, hits[0].MovieId);
        Assert.Equal("shares Animation, Children, Comedy; tagged 'pixar'; title: 'toy', 'story'", hits[0].Reason);
        // same genres but nothing else shared come next; a title word and one genre after them
        Assert.Equal([7, 8], hits.Skip(1).Take(2).Select(h => h.MovieId).Order());
        Assert.Equal("shares Animation, Children, Comedy", hits[1].Reason);
        var storyOfUs = Assert.Single(hits, h => h.MovieId == 3);
        Assert.Equal("shares Comedy; title: 'story'", storyOfUs.Reason);
        var loveStory = Assert.Single(hits, h => h.MovieId == 9);
        Assert.Equal("title: 'story'", loveStory.Reason);
        // nothing shared: not listed; never the movie itself
        Assert.DoesNotContain(hits, h => h.MovieId is 1 or 4 or 5 or 6);
        Assert.Equal(5, hits.Count);
        Assert.True(hits.Zip(hits.Skip(1)).All(p => p.First.Score >= p.Second.Score));
        Assert.All(hits, h => Assert.InRange(h.Score, 0.0001f, 1f));

        var alien = c.Similar(5, 3);
        Assert.Equal(6, alien[0].MovieId);
        Assert.Equal("shares Horror, Sci-Fi; tagged 'space'", alien[0].Reason);
    }

    [Fact]
    public void SimilarityIsACosine()
    {
        var c = ContentSimilarity.Build(s_small);
        Assert.Equal(1f, c.Similarity(1, 1), 5);
        Assert.Equal(c.Similarity(1, 3), c.Similarity(3, 1), 6);
        Assert.Equal(0f, c.Similarity(1, 4));
        Assert.Equal(0f, c.Similarity(1, 999));
        var hits = c.Similar(1, 10);
        Assert.All(hits, h => Assert.Equal(c.Similarity(1, h.MovieId), h.Score, 5));
        // sharing a rare tag and the title beats sharing the genres alone
        Assert.True(c.Similarity(1, 2) > c.Similarity(1, 7));
        Assert.Equal(string.Empty, c.Reason(1, 4));
    }

    [Fact]
    public void EqualScoresGoToTheMorePopularMovie()
    {
        var byPopularity = ContentSimilarity.Build(s_small, id => id == 8 ? 500 : 10);
        var hits = byPopularity.Similar(1, 3);
        Assert.Equal([2, 8, 7], hits.Select(h => h.MovieId));
        // without popularity: the lower id
        Assert.Equal([2, 7, 8], ContentSimilarity.Build(s_small).Similar(1, 3).Select(h => h.MovieId));
    }

    [Fact]
    public void EdgeCases()
    {
        var c = ContentSimilarity.Build(s_small);
        Assert.Empty(c.Similar(999, 5));
        Assert.Empty(c.Similar(1, 0));
        Assert.Single(c.Similar(1, 1));
        Assert.Equal(9, c.Count);
        Assert.True(c.Contains(4));
        Assert.Throws<ArgumentException>(() => ContentSimilarity.Build([.. s_small, M(1, "Again (2000)", "Drama")]));
        // a movie without genres, tags or usable title words matches nothing
        var bare = ContentSimilarity.Build([.. s_small, M(50, "The (2000)", "")]);
        Assert.Empty(bare.Similar(50, 5));
        Assert.Empty(ContentSimilarity.Build([]).Similar(1, 5));
    }
}
