using System.Xml.Linq;
using MovieRecs.Core.Catalog;
using MovieRecs.Core.Demo;

namespace MovieRecs.Core.Tests;

public class PosterSvgTests
{
    static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    [Fact]
    public void Poster_is_well_formed_svg_with_title_year_and_genres()
    {
        var movie = Movie.Create(2571, "Matrix, The (1999)", "Action", "Sci-Fi", "Thriller");
        var svg = PosterSvg.Render(movie);
        var doc = XDocument.Parse(svg);
        Assert.Equal(Svg + "svg", doc.Root!.Name);
        Assert.Equal("300", doc.Root.Attribute("width")!.Value);
        Assert.Equal("450", doc.Root.Attribute("height")!.Value);
        var texts = doc.Descendants(Svg + "text").Select(t => t.Value).ToList();
        Assert.Equal("The Matrix", texts[0]);
        Assert.Contains("1999", texts);
        Assert.Contains("Action · Sci-Fi · Thriller", texts);
        Assert.Contains(PosterSvg.GenreColour("Action"), svg);
        Assert.Contains(PosterSvg.GenreColour("Sci-Fi"), svg);
        Assert.Equal(svg, PosterSvg.Render(movie)); // deterministic
        Assert.DoesNotContain("http://", svg.Replace("http://www.w3.org/2000/svg", "")); // self-contained
    }

    [Fact]
    public void Poster_escapes_markup_in_titles()
    {
        var movie = Movie.Create(1, "Tom & Jerry <3 \"quoted\" 'single' \u0001 (2001)", "Comedy", "Brand-New Genre");
        var svg = PosterSvg.Render(movie);
        Assert.Contains("&amp;", svg);
        Assert.Contains("&lt;3", svg);
        Assert.DoesNotContain("<3", svg);
        var doc = XDocument.Parse(svg);
        var title = string.Join(" ", doc.Descendants(Svg + "tspan").Select(t => t.Value));
        Assert.Equal("Tom & Jerry <3 \"quoted\" 'single'", title);
        Assert.Equal("Tom & Jerry <3 \"quoted\" 'single' \u0001 (2001)".Replace("\u0001", ""), doc.Descendants(Svg + "title").Single().Value);
    }

    [Fact]
    public void Long_titles_wrap_and_every_demo_poster_parses()
    {
        var movie = Movie.Create(404, "Borat: Cultural Learnings of America for Make Benefit Glorious Nation of Kazakhstan (2006)", "Comedy");
        var doc = XDocument.Parse(PosterSvg.Render(movie));
        Assert.InRange(doc.Descendants(Svg + "tspan").Count(), 4, 6);
        Assert.All(doc.Descendants(Svg + "tspan"), t => Assert.True(t.Value.Length <= 22, t.Value));
        foreach (var m in DemoData.Movies())
            XDocument.Parse(PosterSvg.Render(m));
        XDocument.Parse(PosterSvg.Render(Movie.Create(2, "", [])));
        XDocument.Parse(PosterSvg.Render(Movie.Create(3, new string('W', 300) + " (2000)", "Drama")));
    }
}
