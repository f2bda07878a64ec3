namespace MovieRecs.Storage.Tables;

public sealed class TableClientOptions : StorageClientOptions
{
    /// <summary>The Table service REST version (Table has its own version line).</summary>
    public string ServiceVersion { get; set; } = "2019-02-02";
}
