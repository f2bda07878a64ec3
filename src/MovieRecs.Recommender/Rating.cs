using System.Runtime.InteropServices;

namespace MovieRecs.Recommender;

/// <summary>One observed rating: <paramref name="User"/> gave <paramref name="Item"/> the value
/// <paramref name="Value"/> (MovieLens: 0.5..5 stars) at <paramref name="Timestamp"/> (unix seconds, 0 if unknown).
/// Ids are the caller's external ids; the library maps them to dense indices itself. Packed to 20 bytes.</summary>
[StructLayout(LayoutKind.Sequential, Pack = 4)]
public readonly record struct Rating(int User, int Item, float Value, long Timestamp = 0);
