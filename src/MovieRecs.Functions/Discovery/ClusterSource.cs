using MovieRecs.Functions.Engine;

namespace MovieRecs.Functions.Discovery;

/// <summary>
/// Where the movie clusters of the served model come from. Every user of clusters (strategy=cluster,
/// /api/filmes/{user_id}/recomendacoes) goes through <see cref="Clusters"/>; tests substitute their own.
/// </summary>
/// <remarks>
/// Training clusters the movies (k-means over the model's item vectors) and stores <c>clusters.json</c> with the model
/// version; the <see cref="ModelPoller"/> loads both together into the <see cref="ServedModel"/>. Without clusters (no
/// model yet, or a version trained before clustering existed) this returns null, and the cluster strategy answers with its
/// popularity fallback, saying so in the response (<c>"source": "popularity"</c> and a <c>note</c>).
/// </remarks>
public class ClusterSource
{
    /// <summary>
    /// Cluster index → member movie ids of <paramref name="served"/>, or null when it has none (or no model is served).
    /// The same list instance for as long as the model is served: <see cref="Core.Discovery.ClusterRecommendations"/>
    /// maps a list onto the catalog once per instance.
    /// </summary>
    public virtual IReadOnlyList<IReadOnlyList<int>>? Clusters(ServedModel? served) => served?.ClusterMembers;
}
