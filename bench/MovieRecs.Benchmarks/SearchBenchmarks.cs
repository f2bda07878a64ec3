using BenchmarkDotNet.Attributes;
using MovieRecs.Core.Catalog;

namespace MovieRecs.Benchmarks;

/// <summary>One search per query over ml-latest-small, first page of 20, as the API asks for it.</summary>
[MemoryDiagnoser]
public class SearchBenchmarks
{
    MovieCatalog _catalog = null!;

    public static IEnumerable<string> Queries => Program.Queries;

    [ParamsSource(nameof(Queries))]
    public string Query { get; set; } = "";

    [GlobalSetup]
    public void Setup() => _catalog = BenchData.LoadCatalog();

    [Benchmark]
    public int Search() => _catalog.Query(new MovieQuery { Search = Query, Take = 20 }).Total;
}
