using MovieRecs.Storage.Tables;

namespace MovieRecs.Storage.Tests;

public sealed class TableOdataFilterTests
{
    [Fact]
    public void Strings_AreQuoted_WithQuotesDoubled()
    {
        Assert.Equal("Name eq 'O''Brien'", TableClient.CreateQueryFilter($"Name eq {"O'Brien"}"));
        Assert.Equal("Name eq ''' or PartitionKey ne '''", TableClient.CreateQueryFilter($"Name eq {"' or PartitionKey ne '"}"));
        Assert.Equal("'it''s'", TableOdataFilter.QuoteString("it's"));
    }

    [Fact]
    public void EachTypeBecomesItsLiteral()
    {
        var when = new DateTimeOffset(2024, 1, 2, 3, 4, 5, TimeSpan.FromHours(1));
        var id = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");
        string filter = TableClient.CreateQueryFilter(
            $"I eq {42} and L eq {42L} and D eq {1.5} and W eq {2.0} and B eq {true} and T ge {when} and G eq {id} and X eq {new byte[] { 0x0A, 0xFF }} and N eq {(string?)null}");
        Assert.Equal(
            "I eq 42 and L eq 42L and D eq 1.5 and W eq 2.0 and B eq true and T ge datetime'2024-01-02T02:04:05.0000000Z' " +
            "and G eq guid'0f8fad5b-d9cb-469f-a165-70867728950e' and X eq X'0aff' and N eq null",
            filter);
    }

    [Fact]
    public void FormatSpecifiersAndBraces_CannotBypassEscaping()
    {
        Assert.Equal("Name eq 'a''b'", TableClient.CreateQueryFilter($"Name eq {"a'b",10}"));
        Assert.Equal("Rating ge 3.5", TableClient.CreateQueryFilter($"Rating ge {3.5:F0}"));
        Assert.Equal("{literal} eq 'x'", TableClient.CreateQueryFilter($"{{literal}} eq {"x"}"));
    }

    [Fact]
    public void UnsupportedValues_Throw()
    {
        Assert.Throws<NotSupportedException>(() => TableClient.CreateQueryFilter($"X eq {new object()}"));
        Assert.Throws<NotSupportedException>(() => TableClient.CreateQueryFilter($"X eq {double.NaN}"));
    }
}
