using System.Text;
using Azure;
using MovieRecs.Storage.Tables;

namespace MovieRecs.Storage.Tests;

public sealed class TableEntityJsonTests
{
    [Fact]
    public void Serialize_AnnotatesTypesJsonCannotCarry_AndSkipsNullsAndSystemProperties()
    {
        var entity = new TableEntity("p", "r")
        {
            ["I"] = 1,
            ["L"] = 2L,
            ["D"] = 3.0,
            ["Nan"] = double.NaN,
            ["G"] = Guid.Empty,
            ["B"] = new byte[] { 1, 2 },
            ["T"] = new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero),
            ["S"] = "é'",
            ["Null"] = null,
            ETag = new ETag("W/\"x\""),
            Timestamp = DateTimeOffset.UtcNow,
        };
        string json = Encoding.UTF8.GetString(TableEntityJson.Serialize(entity).Span);

        Assert.Equal(
            "{\"PartitionKey\":\"p\",\"RowKey\":\"r\",\"I\":1,\"L\":\"2\",\"L@odata.type\":\"Edm.Int64\",\"D\":3,\"D@odata.type\":\"Edm.Double\"," +
            "\"Nan\":\"NaN\",\"Nan@odata.type\":\"Edm.Double\",\"G\":\"00000000-0000-0000-0000-000000000000\",\"G@odata.type\":\"Edm.Guid\"," +
            "\"B\":\"AQI=\",\"B@odata.type\":\"Edm.Binary\",\"T\":\"2024-01-01T00:00:00Z\",\"T@odata.type\":\"Edm.DateTime\",\"S\":\"é'\"}",
            json);
    }

    [Fact]
    public void Read_AppliesAnnotations_WhetherTheyComeBeforeOrAfterTheValue()
    {
        const string json = """
            {"odata.metadata":"m","value":[
              {"odata.etag":"W/\"datetime'2024-01-01T00%3A00%3A00Z'\"","PartitionKey":"p","RowKey":"r",
               "Timestamp":"2024-01-01T00:00:00.1234567Z",
               "Before@odata.type":"Edm.Int64","Before":"9007199254740993",
               "After":"12","After@odata.type":"Edm.Int64",
               "Dbl":5.0,"IntegralDblAnnotated@odata.type":"Edm.Double","IntegralDblAnnotated":5,
               "Inf@odata.type":"Edm.Double","Inf":"-Infinity",
               "Int":7,"Str":"12","Bool":true,
               "Bin@odata.type":"Edm.Binary","Bin":"AQI=",
               "G":"0f8fad5b-d9cb-469f-a165-70867728950e","G@odata.type":"Edm.Guid"}
            ]}
            """;
        TableEntity e = Assert.Single(TableEntityJson.ReadEntities(Encoding.UTF8.GetBytes(json)));

        Assert.Equal(new ETag("W/\"datetime'2024-01-01T00%3A00%3A00Z'\""), e.ETag);
        Assert.Equal(new DateTimeOffset(2024, 1, 1, 0, 0, 0, TimeSpan.Zero).AddTicks(1234567), e.Timestamp);
        Assert.Equal(9007199254740993L, e["Before"]);
        Assert.Equal(12L, e["After"]);
        Assert.Equal(5.0, e["Dbl"]);
        Assert.Equal(5.0, e["IntegralDblAnnotated"]);
        Assert.Equal(double.NegativeInfinity, e["Inf"]);
        Assert.Equal(7, e["Int"]);
        Assert.Equal("12", e["Str"]);
        Assert.Equal(true, e["Bool"]);
        Assert.Equal(new byte[] { 1, 2 }, e["Bin"]);
        Assert.Equal(Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e"), e["G"]);
        Assert.False(e.ContainsKey("odata.metadata"));
        Assert.False(e.Keys.Any(k => k.EndsWith("@odata.type")));
    }

    [Fact]
    public void DefaultETag_IsNotStoredAsText()
    {
        var e = new TableEntity("p", "r") { ETag = new ETag("W/\"1\"") };
        e.ETag = default;
        Assert.Equal(default, e.ETag);
        Assert.False(e.ContainsKey("odata.etag"));
    }
}
