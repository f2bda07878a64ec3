using MovieRecs.Functions.Engine;

namespace MovieRecs.Functions.Discovery;

/// <summary>
/// SEAM (clusters): where the movie clusters of the served model come from. Every user of clusters (strategy=cluster,
/// /api/filmes/{user_id}/recomendacoes) goes through <see cref="Clusters"/>; nothing else needs to change to plug them in.
/// </summary>
/// <remarks>
/// Training will cluster the movies (k-means over the model's item vectors) and store the clusters with the model
/// version. Until it does this returns null, and the cluster strategy answers with its popularity fallback, saying so
/// in the response (<c>"source": "popularity"</c> and a <c>note</c>). To plug them in, return the clusters loaded with
/// the served model (e.g. <c>served?.Clusters</c>): cluster index → member movie ids. Return the same list instance for
/// as long as the model is served: <see cref="Core.Discovery.ClusterRecommendations"/> maps a list onto the catalog once
/// per instance.
/// </remarks>
public class ClusterSource
{
    /// <summary>The clusters stored with <paramref name="served"/>, or null when it has none (or no model is served).</summary>
    public virtual IReadOnlyList<IReadOnlyList<int>>? Clusters(ServedModel? served) => null;
}
