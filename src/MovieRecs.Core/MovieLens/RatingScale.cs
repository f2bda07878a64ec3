namespace MovieRecs.Core.MovieLens;

/// <summary>The MovieLens rating scale: 0.5 to 5.0 stars in steps of 0.5 (ml-100k's whole stars 1..5 fit).</summary>
public static class RatingScale
{
    public const float Min = 0.5f;
    public const float Max = 5.0f;

    /// <summary>True when <paramref name="rating"/> is 0.5..5.0 and a multiple of 0.5.</summary>
    public static bool IsValid(double rating) => TryToHalves(rating, out _);

    /// <summary>The rating in half stars (4.5 → 9), when valid.</summary>
    public static bool TryToHalves(double rating, out int halves)
    {
        halves = 0;
        if (!double.IsFinite(rating))
            return false;
        var h = rating * 2;
        var rounded = Math.Round(h);
        if (Math.Abs(h - rounded) > 1e-6 || rounded < 1 || rounded > 10)
            return false;
        halves = (int)rounded;
        return true;
    }
}
